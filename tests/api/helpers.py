"""A personal API token for a person, and requests made with it, as a program makes them."""

from __future__ import annotations

from app.accounts import api_tokens
from app.extensions import db


def token_of(user, *, can_write: bool = False, days: int = 30) -> str:
    """A new token of `user` (its secret, as the settings page shows it once)."""
    created = api_tokens.create_token(
        actor=user, name="tests", days=days, can_write=can_write, code=""
    )
    db.session.commit()
    return created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
