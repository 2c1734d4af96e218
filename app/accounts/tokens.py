"""Signed, expiring links for accounts: email verification, password reset, invitations.

Each purpose has its own salt, so a token made for one purpose is refused by another.
Password tokens carry a fingerprint of the current password hash: once the password
changes, every link issued before is dead, which makes them single use.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose, not a password
    INVITATION = "reviewer-invitation"


# Config keys holding each purpose's lifetime in seconds.
MAX_AGE_SETTINGS = {
    TokenPurpose.VERIFY_EMAIL: "EMAIL_TOKEN_MAX_AGE",
    TokenPurpose.RESET_PASSWORD: "PASSWORD_RESET_MAX_AGE",
    TokenPurpose.INVITATION: "INVITATION_MAX_AGE",
}


class TokenError(Exception):
    """The token is forged, damaged, for another purpose or expired."""

    def __init__(self, *, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    # The email (verification) or password fingerprint (password links) the token was made for.
    binding: str


def _serializer(purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"dialogue-cafe.accounts.{purpose.value}"
    )


def password_fingerprint(password_hash: str | None) -> str:
    """A short keyed digest of the password hash: changes whenever the password does."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, (password_hash or "no-password").encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def make_token(purpose: TokenPurpose, *, user_id: int, binding: str) -> str:
    return _serializer(purpose).dumps({"u": user_id, "b": binding})


def read_token(purpose: TokenPurpose, token: str) -> TokenClaims:
    """The token's claims if its signature holds and it is younger than its max age."""
    max_age = current_app.config[MAX_AGE_SETTINGS[purpose]]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(expired=True) from None
    except BadSignature:
        raise TokenError(expired=False) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or not isinstance(data.get("b"), str)
    ):
        raise TokenError(expired=False)
    return TokenClaims(user_id=data["u"], binding=data["b"])
