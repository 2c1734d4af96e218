"""Two-factor login: a time-based one-time code (TOTP, RFC 6238) after the password, or one
of ten single-use recovery codes; who must use it, and turning it off when a phone is lost.

- Setting up keeps a new secret on the person (`totp_secret`) without turning it on; a code
  from their authenticator app confirms it (`totp_enabled_at`) and gives ten recovery codes,
  shown once and stored as SHA-256 digests (48 random bits each: no slow hash is needed).
- A code is accepted in its 30-second step or the one before or after (a phone's clock
  drifts), and only once: the step of the last code accepted is kept, and a code of that
  step or an earlier one is refused, so a code seen over a shoulder cannot be replayed.
- The roles in TWO_FACTOR_REQUIRED_ROLES must use it; they cannot turn it off themselves.
  A person who lost their phone (and their recovery codes) asks another administrator to
  reset it (`disable` by an administrator), or, for the last administrator, the server's
  operator runs `flask reset-two-factor EMAIL`. The person is told by email.

The pending login between the password and the code lives in the Flask session
(app/accounts/two_factor_views.py); the state it keeps is built and read here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from datetime import datetime
from typing import Any, cast

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import CursorResult, delete, func, or_, select, update

from app.accounts.models import RecoveryCode, Role, User
from app.accounts.permissions import can_manage_users
from app.audit.services import record_audit
from app.core.urls import external_url
from app.db import utcnow
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.outbox.services import queue_notification

ISSUER = "Dialogue Café Call"  # the account's name in the authenticator app
TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_GROUPS = 3  # "4821-0937-5512": digits only, so one numeric field takes both
RECOVERY_CODE_GROUP_DIGITS = 4
CODE_MAX_LENGTH = 32  # what a form accepts, spaces and hyphens included
PENDING_SECONDS = 5 * 60  # between the password and the code


# --- who must use it -----------------------------------------------------------------------


def is_required(user: User) -> bool:
    """The person holds a role of TWO_FACTOR_REQUIRED_ROLES."""
    required = current_app.config.get("TWO_FACTOR_REQUIRED_ROLES", (Role.ADMINISTRATOR.value,))
    return any(role in required for role in user.role_names)


def setup_required(user: User) -> bool:
    """Their role requires two-factor login and they have not set it up yet."""
    return is_required(user) and not user.two_factor_enabled


def needs_challenge(user: User) -> bool:
    """After the password, the login asks for a code."""
    return user.two_factor_enabled


def can_reset_two_factor(actor: User | None, target: User) -> bool:
    """An administrator, for another person (for oneself: the settings page, with a code)."""
    return can_manage_users(actor) and actor is not None and actor.id != target.id


# --- setting up ----------------------------------------------------------------------------


def start_setup(*, actor: User) -> str:
    """A new secret for the person, kept until a code confirms it; returns it."""
    if actor.two_factor_enabled:
        raise DomainError(_("Two-factor login is already on."), code="two_factor_on")
    secret = pyotp.random_base32()
    actor.totp_secret = secret
    actor.totp_last_used_step = None
    record_audit(actor, "user.two_factor_setup_started", actor)
    return secret


def provisioning_uri(user: User, secret: str | None = None) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    secret = secret or user.totp_secret
    if not secret:
        raise ValueError("the person has no two-factor secret")
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri`, drawn here as inline SVG: the secret goes to no other service."""
    # A full QR code (never a Micro QR, which few apps read), dark on white whatever the theme.
    svg = segno.make_qr(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=_("QR code of your two-factor key")
    )
    return Markup(svg)  # noqa: S704 - segno's own SVG; the title is escaped by segno


def format_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_setup(*, actor: User, code: str, now: datetime | None = None) -> list[str]:
    """A code from the new secret turns two-factor login on; returns the recovery codes,
    which are shown once and never again."""
    if actor.two_factor_enabled:
        raise DomainError(_("Two-factor login is already on."), code="two_factor_on")
    if not actor.totp_secret:
        raise DomainError(
            _("Start the setup first: it gives you the key for your app."), code="no_setup"
        )
    now = now or utcnow()
    step = _matching_step(actor.totp_secret, _digits(code), now)
    if step is None or not _claim_step(actor, step):
        raise _wrong_code()
    actor.totp_enabled_at = now
    codes = _new_recovery_codes(actor)
    record_audit(actor, "user.two_factor_enabled", actor)
    return codes


# --- checking a code -----------------------------------------------------------------------


def verify(*, user: User, code: str, now: datetime | None = None) -> bool:
    """A current code from the app, or an unused recovery code (then used up)."""
    return _accept_code(user, code, now=now) is not None


def pass_challenge(*, user: User, code: str, now: datetime | None = None) -> bool:
    """The second step of a login: the code is checked, and the attempt audited."""
    method = _accept_code(user, code, now=now)
    if method is None:
        record_audit(None, "user.two_factor_failed", user)
        return False
    details: dict[str, Any] = {"method": method}
    if method == "recovery_code":
        details["recovery_codes_left"] = recovery_codes_left(user)
    record_audit(user, "user.two_factor_passed", user, details)
    return True


def _accept_code(user: User, code: str, *, now: datetime | None) -> str | None:
    """ "totp" or "recovery_code" when the code is accepted (and now used), else None."""
    if not user.two_factor_enabled or not user.totp_secret:
        return None
    digits = _digits(code)
    if len(digits) == TOTP_DIGITS:
        step = _matching_step(user.totp_secret, digits, now or utcnow())
        return "totp" if step is not None and _claim_step(user, step) else None
    if len(digits) == RECOVERY_CODE_GROUPS * RECOVERY_CODE_GROUP_DIGITS:
        return "recovery_code" if _use_recovery_code(user, digits, now=now) else None
    return None


def _digits(code: str) -> str:
    """The code's digits (any script's: an Arabic keyboard types ٤٨٢١), without the spaces
    and hyphens people add; "" when anything else is in it."""
    digits = []
    for char in (code or "")[:CODE_MAX_LENGTH]:
        if char.isspace() or char in "-‐‑–":
            continue
        if not char.isdecimal():
            return ""
        digits.append(str(unicodedata.decimal(char)))
    return "".join(digits)


def _matching_step(secret: str, digits: str, now: datetime) -> int | None:
    """The time step (of the current one and its two neighbours) whose code this is."""
    if len(digits) != TOTP_DIGITS:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record the step as used, unless it (or a later one) already was; one statement, so
    two requests racing with the same code cannot both win."""
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_used_step.is_(None), User.totp_last_used_step < step),
        )
        .values(totp_last_used_step=step)
    )
    return cast(CursorResult, claimed).rowcount == 1


# --- recovery codes ------------------------------------------------------------------------


def _digest(digits: str) -> str:
    return hashlib.sha256(digits.encode()).hexdigest()


def _new_recovery_code() -> str:
    groups = (
        f"{secrets.randbelow(10**RECOVERY_CODE_GROUP_DIGITS):0{RECOVERY_CODE_GROUP_DIGITS}d}"
        for _group in range(RECOVERY_CODE_GROUPS)
    )
    return "-".join(groups)


def _new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes; every earlier one stops working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _code in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(_digits(code))) for code in codes
    )
    db.session.flush()
    return codes


def _use_recovery_code(user: User, digits: str, *, now: datetime | None) -> bool:
    digest = _digest(digits)
    unused = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    # Every stored digest is compared, in constant time: how long it takes tells nothing.
    matched = None
    for code_id, code_hash in unused:
        if hmac.compare_digest(code_hash, digest):
            matched = code_id
    if matched is None:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == matched, RecoveryCode.used_at.is_(None))
        .values(used_at=now or utcnow())
    )
    return cast(CursorResult, used).rowcount == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def regenerate_recovery_codes(*, actor: User, code: str, now: datetime | None = None) -> list[str]:
    """Ten new recovery codes for a current code; the old ones stop working."""
    if not actor.two_factor_enabled:
        raise DomainError(_("Two-factor login is not on."), code="two_factor_off")
    if not verify(user=actor, code=code, now=now):
        raise _wrong_code()
    codes = _new_recovery_codes(actor)
    record_audit(actor, "user.recovery_codes_regenerated", actor)
    return codes


# --- turning it off ------------------------------------------------------------------------


def disable(
    *, actor: User | None, user: User, code: str | None = None, now: datetime | None = None
) -> None:
    """Turn two-factor login off: a person for themselves with a current code (unless their
    role requires it), an administrator for another person who lost their phone, or the
    command line (`actor` None) for the last administrator. Either of the last two is told
    to the person by email."""
    if actor is not None and actor.id == user.id:
        _disable_own(user, code=code or "", now=now)
        return
    if actor is not None and not can_reset_two_factor(actor, user):
        raise NotAllowed(_("Only administrators can turn off another person's two-factor login."))
    if user.totp_secret is None:
        raise DomainError(
            _("%(name)s does not use two-factor login.", name=user.name), code="two_factor_off"
        )
    _clear(user)
    details = {"by": "command line"} if actor is None else {}
    record_audit(actor, "user.two_factor_reset", user, details)
    _tell_reset(user, actor=actor)


def _disable_own(user: User, *, code: str, now: datetime | None) -> None:
    if not user.two_factor_enabled:
        raise DomainError(_("Two-factor login is not on."), code="two_factor_off")
    if is_required(user):
        raise DomainError(
            _("Your role requires two-factor login: it cannot be turned off."),
            code="two_factor_required",
        )
    if not verify(user=user, code=code, now=now):
        raise _wrong_code()
    _clear(user)
    record_audit(user, "user.two_factor_disabled", user)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_used_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _tell_reset(user: User, *, actor: User | None) -> None:
    minute = utcnow().strftime("%Y%m%dT%H%M")
    queue_notification(
        recipient_email=user.email,
        recipient_id=user.id,
        template="two_factor_reset",
        dedup_key=f"two-factor-reset:{user.id}:{minute}",
        context={
            "name": user.name,
            "by": actor.name if actor is not None else None,
            "settings_link": external_url("accounts.two_factor_settings"),
        },
        locale=user.locale,
    )


def _wrong_code() -> DomainError:
    return DomainError(
        _("This code is not correct. Enter the code your app shows now, or a recovery code."),
        field="code",
        code="wrong_two_factor_code",
    )


# --- the login's pending second step -------------------------------------------------------


def pending_state(
    user: User, *, remember: bool, next_url: str | None, now: float | None = None
) -> dict[str, Any]:
    """What the session keeps between the password and the code (no secret in it)."""
    return {
        "user_id": user.id,
        "at": int(now if now is not None else time.time()),
        "remember": bool(remember),
        "next": next_url or None,
    }


def pending_user_id(state: object, *, now: float | None = None) -> int | None:
    """The person whose password was right, while the PENDING_SECONDS to type the code last."""
    if not isinstance(state, dict):
        return None
    user_id, at = state.get("user_id"), state.get("at")
    if not isinstance(user_id, int) or not isinstance(at, int):
        return None
    elapsed = (now if now is not None else time.time()) - at
    return user_id if 0 <= elapsed < PENDING_SECONDS else None
