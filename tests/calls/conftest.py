"""Fixtures for the calls tests: an administrator in a time zone with summer time."""

from __future__ import annotations

import pytest
from flask import g

from app.extensions import db
from tests.factories import make_admin


@pytest.fixture
def admin(app_context):
    user = make_admin(name="Ada Admin")
    user.timezone = "Europe/Lisbon"
    db.session.flush()
    return user


def forget_request_state() -> None:
    """Requests in a test share the test's app context and so its `g`: forget what
    Flask-Login, Flask-WTF and Flask-Babel cached there for an earlier request."""
    for name in ("_login_user", "csrf_token", "_flask_babel"):
        g.pop(name, None)


def log_in(client, user) -> None:
    forget_request_state()
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


@pytest.fixture
def admin_client(client, admin):
    db.session.commit()
    log_in(client, admin)
    return client
