"""Fixtures of the proposals tests: a request context, so that messages can be translated."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _request_context(app):
    # Services build translated messages; the locale selector reads the request.
    with app.test_request_context():
        yield
