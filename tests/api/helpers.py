"""A personal API token for a person, and requests made with it, as a program makes them."""

from __future__ import annotations

import pyotp

from app.accounts import api_tokens
from app.extensions import db


def token_of(user, *, can_write: bool = False, days: int = 30) -> str:
    """A new token of `user` (its secret, as the settings page shows it once); for an
    administrator's writing token, with a code from their authenticator."""
    code = ""
    if can_write and api_tokens.writing_needs_code(user):
        code = pyotp.TOTP(user.totp_secret).now()
        user.totp_last_used_step = None  # a second token in the same 30 s takes the same code
    created = api_tokens.create_token(
        actor=user, name="tests", days=days, can_write=can_write, code=code
    )
    db.session.commit()
    return created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
