"""The language choice, and the liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session
from flask_login import current_user

from app.core.health import check_readiness
from app.core.urls import safe_next_url
from app.extensions import db

bp = Blueprint("core", __name__)


@bp.post("/locale")
def set_locale():
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or "/")


@bp.get("/healthz")
def healthz():
    # Liveness only: touches neither the database nor the broker.
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = check_readiness()
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
