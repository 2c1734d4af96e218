"""Helpers for two-factor login in tests: the codes an authenticator app would show, and a
login's second step answered on a client."""

from __future__ import annotations

from datetime import datetime

import pyotp

from app.db import utcnow
from tests.factories import TEST_TOTP_SECRET


def code_for(secret: str = TEST_TOTP_SECRET, *, at: datetime | None = None, steps: int = 0) -> str:
    """The app's code at `at` (now), or `steps` time steps later or earlier."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(at or utcnow()) + steps)


def answer_challenge(client, code: str | None = None):
    """Type the code on the login's second page (after a right password)."""
    return client.post("/login/two-factor", data={"code": code or code_for()})
