"""Sessions: one row per login on one browser, its time limits, and ending it.

A browser's login cookie (and its "keep me logged in" cookie) carries the login id
"<session token>.<key>": the person's session token, whose replacement ends every session
at once (logout, a new password, deactivation), and the random key of one `UserSession`,
which ends that session alone. The loader (app/accounts/loader.py) accepts a login id only
while the token is the person's, the row is not ended and it is within its time:

- a session ends `SESSION_IDLE_MINUTES` after its last request, and `SESSION_MAX_HOURS`
  after the login however busy it is;
- a session started with "Keep me logged in" ends `REMEMBER_COOKIE_DURATION` after the
  login, the life of its cookie, idle or not (the person chose to stay logged in there).

The rows follow the person's identity: when the session token is replaced or a role is
granted or taken away, every open row of theirs ends in the same flush, so the settings
page never lists a session that no longer works, and a new role starts a new session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import SessionEnd, User, UserRole, UserSession
from app.audit.services import record_audit
from app.db import utcnow
from app.errors import NotFound
from app.extensions import db

SEPARATOR = "."
# last_seen_at is written at most this often: not one write per request.
ACTIVITY_PRECISION = timedelta(minutes=1)
USER_AGENT_MAX_LENGTH = 255
ADDRESS_MAX_LENGTH = 45


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def login_id(user: User, key: str) -> str:
    """What the cookies carry for this session (Flask-Login's user id)."""
    return f"{user.session_token}{SEPARATOR}{key}"


# --- starting and finding ----------------------------------------------------------------


def start_session(
    *,
    user: User,
    user_agent: str,
    address: str | None,
    remembered: bool,
    now: datetime | None = None,
) -> tuple[UserSession, str]:
    """A new session for a login; returns the row and the key only the browser keeps."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        key_hash=_digest(key),
        remembered=remembered,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
        address=(address or "")[:ADDRESS_MAX_LENGTH] or None,
    )
    db.session.add(row)
    db.session.flush()
    return row, key


def find_session(login_id: str) -> tuple[User, UserSession] | None:
    """The person and the session a login id names, in one statement (every page asks)."""
    token, separator, key = (login_id or "").partition(SEPARATOR)
    if not (token and separator and key):
        return None  # a cookie from before sessions had rows
    query = (
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.session_token == token, UserSession.key_hash == _digest(key))
        .options(joinedload(User.roles))
    )
    found = db.session.execute(query).unique().one_or_none()
    return (found[0], found[1]) if found else None


# --- time limits ---------------------------------------------------------------------------


def _remember_duration() -> timedelta:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def expiry(user_session: UserSession, *, now: datetime | None = None) -> SessionEnd | None:
    """Why the session is past its time (IDLE or MAX_AGE), or None while it is within it."""
    now = now or utcnow()
    config = current_app.config
    if user_session.remembered:
        return SessionEnd.MAX_AGE if now - user_session.created_at >= _remember_duration() else None
    if now - user_session.created_at >= timedelta(hours=config["SESSION_MAX_HOURS"]):
        return SessionEnd.MAX_AGE
    if now - user_session.last_seen_at >= timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return SessionEnd.IDLE
    return None


def is_open(user_session: UserSession, *, now: datetime | None = None) -> bool:
    return user_session.ended_at is None and expiry(user_session, now=now) is None


def record_activity(*, user_session: UserSession, now: datetime | None = None) -> bool:
    """The session was used now; True when that was written (at most once a minute)."""
    now = now or utcnow()
    if now - user_session.last_seen_at < ACTIVITY_PRECISION:
        return False
    user_session.last_seen_at = now
    return True


def expire_session(
    *, user_session: UserSession, reason: SessionEnd, now: datetime | None = None
) -> None:
    """End a session found past its time (the person is asked to log in again)."""
    if _end(user_session, reason, now=now):
        record_audit(None, "user.session_expired", user_session, {"reason": reason.value})


def _end(user_session: UserSession, reason: SessionEnd, *, now: datetime | None = None) -> bool:
    if user_session.ended_at is not None:
        return False
    user_session.ended_at = now or utcnow()
    user_session.end_reason = reason
    return True


# --- the person's own sessions -----------------------------------------------------------


def open_sessions(user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The person's sessions that still work, the most recently used first."""
    query = (
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in db.session.scalars(query) if is_open(row, now=now)]


def own_session(user: User, session_id: int) -> UserSession | None:
    """One of the person's own sessions, ended or not; None for anyone else's."""
    user_session = db.session.get(UserSession, session_id)
    if user_session is None or user_session.user_id != user.id:
        return None
    return user_session


def end_session(*, actor: User, session_id: int, now: datetime | None = None) -> UserSession:
    """End one of one's own sessions (another browser's); ending it twice is harmless."""
    user_session = own_session(actor, session_id)
    if user_session is None:
        # Someone else's session is not named to them, not even as forbidden.
        raise NotFound(_("This session does not exist."))
    if _end(user_session, SessionEnd.ENDED_BY_OWNER, now=now):
        record_audit(actor, "user.session_ended", user_session)
    return user_session


def end_other_sessions(
    *, actor: User, current_session_id: int | None, now: datetime | None = None
) -> int:
    """End every session of one's own but this one; returns how many ended."""
    now = now or utcnow()
    others = [row for row in open_sessions(actor, now=now) if row.id != current_session_id]
    for row in others:
        _end(row, SessionEnd.ENDED_BY_OWNER, now=now)
    if others:
        record_audit(
            actor, "user.other_sessions_ended", actor, {"sessions": [row.id for row in others]}
        )
    return len(others)


def end_current_session(*, user_session: UserSession) -> None:
    """Logging out on this browser ends this session (the service may have ended all)."""
    _end(user_session, SessionEnd.LOGGED_OUT)


# --- the rows follow the person's identity -------------------------------------------------


def _changed_identities(session: Session) -> dict[int, SessionEnd]:
    """People whose session token was replaced or whose roles changed in this flush."""
    changed: dict[int, SessionEnd] = {}
    for obj in session.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        state = inspect(obj)
        roles = state.attrs.roles.history
        if roles.added or roles.deleted:
            changed.setdefault(obj.id, SessionEnd.ROLE_CHANGED)
        # `added`, not `deleted`: a token set on an expired user has no old value loaded.
        if state.attrs.session_token.history.added:
            changed[obj.id] = SessionEnd.ALL_ENDED
    for obj in (*session.new, *session.deleted):
        # A role added or removed as a row of its own, for someone who already had a session.
        if isinstance(obj, UserRole) and obj.user_id is not None:
            changed.setdefault(obj.user_id, SessionEnd.ROLE_CHANGED)
    return changed


@event.listens_for(Session, "before_flush")
def _end_sessions_of_changed_identities(session: Session, flush_context, instances) -> None:
    changed = _changed_identities(session)
    if not changed:
        return
    now = utcnow()
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id.in_(changed), UserSession.ended_at.is_(None))
    )
    for row in rows:
        _end(row, changed[row.user_id], now=now)
