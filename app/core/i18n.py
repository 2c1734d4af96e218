"""Which language and time zone each page speaks: the user's choice, then the browser."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from app.extensions import babel


def select_locale() -> str | None:
    if not has_request_context():
        # A command, a task or a service test: the default locale (emails force their own).
        return None
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages))


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return session.get("timezone")


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/translations"),
    )

    @app.context_processor
    def inject_languages():
        from flask_babel import get_locale

        return {"languages": app.config["LANGUAGES"], "current_locale": str(get_locale())}
