"""Accounts test fixtures."""

from __future__ import annotations

import pytest
from flask import g, request_started


@pytest.fixture(autouse=True)
def _each_request_loads_its_own_user(app):
    """Test requests share the test's app context, so `g` (where Flask-Login keeps the
    current user) would carry one client's login into another client's request. Forget it
    at the start of every request, as a real server does, so that tests with several
    browsers see what each browser would see."""

    def forget_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)
