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
    """Make the next request's client a new visitor with its own CSRF token.

    The root conftest already forgets the user and locale cached in the shared `g` before
    every request, but keeps Flask-WTF's token there on purpose (tests/accounts compares
    pages of two clients byte for byte); tests of per-visitor tokens drop it here."""
    g.pop("csrf_token", None)
