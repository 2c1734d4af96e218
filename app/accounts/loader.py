"""Flask-Login wiring: a session is valid only while the user's session token is unchanged."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.services import user_with_roles
from app.extensions import login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Not "strong": city officials on mobile networks change address often.
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    user = user_with_roles(User.session_token == session_token)
    if user is None or not user.active:
        return None
    return user
