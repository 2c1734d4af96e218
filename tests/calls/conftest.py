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


def log_in(client, user) -> None:
    # Requests in a test share the test's app context, so Flask-Login's cached user too.
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


@pytest.fixture
def admin_client(client, admin):
    db.session.commit()
    log_in(client, admin)
    return client
