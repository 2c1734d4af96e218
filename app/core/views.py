"""The language choice, and the liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session
from flask_login import current_user

from app.core.health import check_readiness
from app.core.i18n import LOCALE_COOKIE
from app.core.urls import safe_next_url
from app.extensions import db

bp = Blueprint("core", __name__)

LOCALE_COOKIE_SECONDS = 365 * 24 * 3600


@bp.post("/locale")
def set_locale():
    locale = request.form.get("locale", "")
    response = redirect(safe_next_url(request.form.get("next")) or "/")
    if locale in current_app.config["OFFERED_LANGUAGES"]:
        session["locale"] = locale
        response.set_cookie(
            LOCALE_COOKIE,
            locale,
            max_age=LOCALE_COOKIE_SECONDS,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return response


@bp.get("/healthz")
def healthz():
    # Liveness only: touches neither the database nor the broker.
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = check_readiness()
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
