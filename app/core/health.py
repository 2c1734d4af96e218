"""Readiness: can this process reach its database and its broker?"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from app.extensions import db


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_broker() -> dict:
    if current_app.config["TASK_DISPATCH"] != "celery":
        return {"ok": True, "mode": current_app.config["TASK_DISPATCH"]}
    import redis

    try:
        client = redis.Redis.from_url(
            current_app.config["CELERY"]["broker_url"], socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def check_readiness() -> dict[str, dict]:
    return {"database": check_database(), "broker": check_broker()}
