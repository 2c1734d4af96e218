"""Personal API tokens: a person creates one on their settings page (shown once), reads
their list and revokes any; the API (app/api/) finds the person a token acts for.

A token is `dcc_` and 43 random URL-safe characters (256 bits): its SHA-256 is stored, so
a copy of the table opens nothing, and no slow hash is needed. A token is read-only unless
created for writing; an administrator creating a writing token with two-factor login on
types a current code first (a stolen session cannot mint a lasting credential).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import two_factor
from app.accounts.models import ApiToken, Role, User
from app.audit.services import record_audit
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db

TOKEN_PREFIX = "dcc_"  # noqa: S105 - the mark of our tokens, not a secret
SHOWN_PREFIX_LENGTH = 12  # "dcc_" and 8 characters: enough to tell tokens apart
NAME_MAX_LENGTH = 100
LIFETIMES_DAYS = (7, 30, 90, 365)
# Writing is a person's own work on the pages; last_used_at is written at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, newest first, revoked and expired ones included."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def own_token(user: User, token_id: int) -> ApiToken | None:
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def writing_needs_code(user: User) -> bool:
    """An administrator with two-factor login types a code to create a writing token."""
    return Role.ADMINISTRATOR.value in user.role_names and user.two_factor_enabled


def create_token(
    *,
    actor: User,
    name: str,
    days: int,
    can_write: bool,
    code: str = "",
    now: datetime | None = None,
) -> NewToken:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            _("Give the token a name of at most %(count)s characters.", count=NAME_MAX_LENGTH),
            code="invalid_name",
            field="name",
        )
    if days not in LIFETIMES_DAYS:
        raise DomainError(_("Choose one of the durations offered."), code="invalid_days")
    needs_code = can_write and writing_needs_code(actor)
    if needs_code and not two_factor.verify(user=actor, code=code, now=now):
        raise DomainError(
            _("Type a current code from your authenticator app to create a writing token."),
            code="two_factor_required",
            field="code",
        )
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        token_hash=_digest(secret),
        can_write=can_write,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_audit(
        actor, "api_token.created", token, {"name": name, "can_write": can_write, "days": days}
    )
    return NewToken(token, secret)


def revoke_token(*, actor: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """The owner revokes one of their tokens (another person's is not found)."""
    token = own_token(actor, token_id)
    if token is None:
        raise NotFound(_("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.session.flush()
        record_audit(actor, "api_token.revoked", token, {"name": token.name})
    return token


def token_for(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token `secret` is, its owner active; None for anything else."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = now or utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()  # a read answers without committing: the use is kept here
    return token
