"""Accounts test fixtures."""

from __future__ import annotations

import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def _each_request_starts_afresh(app):
    """Test requests share the test's app context, so `g` (where Flask-Login keeps the
    current user and Flask-Babel the locale) would carry one client's login or language
    into the next request. Forget both at the start of every request, as a real server
    does, so that tests with several browsers see what each browser would see."""

    def forget_user(sender, **extra):
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)
