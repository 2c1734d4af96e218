"""Accounts: registration, email verification, login, passwords, profiles, people admin.

Every function takes keyword arguments and, where someone acts, that person explicitly.
Each writes its audit entry and queues its emails in the caller's transaction; the
caller commits once.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts import login_throttle
from app.accounts.models import (
    Role,
    User,
    UserRole,
    is_valid_email,
    new_session_token,
    normalise_email,
)
from app.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.accounts.permissions import (
    can_deactivate_user,
    can_edit_account,
    can_manage_users,
    can_reactivate_user,
)
from app.accounts.tokens import (
    MAX_AGE_SETTINGS,
    TokenError,
    TokenPurpose,
    make_token,
    password_fingerprint,
    read_token,
)
from app.audit.services import record_audit
from app.core.i18n import is_valid_timezone
from app.core.urls import external_url, safe_next_url
from app.db import utcnow
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.outbox.services import queue_notification

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 320
PEOPLE_PER_PAGE = 50
MAX_PAGE = 100_000


# --- loading -------------------------------------------------------------------------------


def _printable(text: str) -> bool:
    # PostgreSQL refuses NUL in text; no name or address holds a control character.
    return not any(unicodedata.category(char) == "Cc" for char in text)


def find_user_by_email(email: str) -> User | None:
    email = normalise_email(email or "")
    if not email or len(email) > EMAIL_MAX_LENGTH or not _printable(email):
        return None
    return user_with_roles(User.email == email)


def user_with_roles(*conditions) -> User | None:
    """One user and their roles in one statement: nearly every page checks a role."""
    query = select(User).where(*conditions).options(joinedload(User.roles))
    return db.session.execute(query).unique().scalar_one_or_none()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# --- the rules every account field follows ---------------------------------------------------


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Enter a name."), field="name", code="name_missing")
    if not _printable(name):
        raise DomainError(
            _("Use letters, digits and punctuation only."), field="name", code="name_invalid"
        )
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            _("Use at most %(count)d characters.", count=NAME_MAX_LENGTH),
            field="name",
            code="name_too_long",
        )
    return name


def clean_email(email: str) -> str:
    normalised = normalise_email(email or "")
    if len(normalised) > EMAIL_MAX_LENGTH or not is_valid_email(normalised):
        raise DomainError(
            _("Enter a valid email address, like name@example.org."),
            field="email",
            code="invalid_email",
        )
    return normalised


def _check_locale(locale: str) -> None:
    if locale not in current_app.config["OFFERED_LANGUAGES"]:
        raise DomainError(_("Choose a language from the list."), field="locale", code="locale")


def _check_timezone(timezone: str) -> None:
    if not timezone or not is_valid_timezone(timezone):
        raise DomainError(_("Choose a time zone from the list."), field="timezone", code="timezone")


def _check_new_password(password: str, *, email: str, field: str = "password") -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise DomainError(problem, field=field, code="weak_password")


def _set_password(user: User, password: str) -> None:
    """A new password ends every session: the session token goes with the old password."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


# --- emails --------------------------------------------------------------------------------


def _minute() -> str:
    # Repeated requests within the same minute send one email, not several.
    return utcnow().strftime("%Y%m%dT%H%M")


def _send(user: User, *, template: str, about: str, **context: object) -> None:
    queue_notification(
        recipient_email=user.email,
        recipient_id=user.id,
        template=template,
        dedup_key=f"{about}:{user.id}:{_minute()}",
        context={"name": user.name, **context},
        locale=user.locale,
    )


def _valid_for(purpose: TokenPurpose) -> int:
    return int(current_app.config[MAX_AGE_SETTINGS[purpose]])


def send_verification_email(*, user: User, next_url: str | None = None) -> None:
    """The confirmation link; `next_url` (a path on this site) is where it leads after."""
    token = make_token(TokenPurpose.VERIFY_EMAIL, user_id=user.id, binding=user.email)
    _send(
        user,
        template="verify_email",
        about="verify-email",
        link=external_url("accounts.verify_email", token=token, next=safe_next_url(next_url)),
        valid_seconds=_valid_for(TokenPurpose.VERIFY_EMAIL),
    )


def _send_password_link(user: User, *, purpose: TokenPurpose, template: str, **context) -> None:
    token = make_token(purpose, user_id=user.id, binding=password_fingerprint(user.password_hash))
    endpoint = (
        "accounts.accept_invitation"
        if purpose == TokenPurpose.INVITATION
        else "accounts.reset_password"
    )
    _send(
        user,
        template=template,
        about=purpose.value,
        link=external_url(endpoint, token=token),
        valid_seconds=_valid_for(purpose),
        **context,
    )


# --- registration and verification ----------------------------------------------------------


def register_applicant(
    *, name: str, email: str, password: str, locale: str, timezone: str, next_url: str | None = None
) -> User | None:
    """A city registers. Returns the new user, or None when the email was already taken.

    Both cases look the same from outside (same answer, same time spent hashing): the
    owner of an existing address gets an email telling them so, nobody else learns it.
    """
    name = clean_name(name)
    email = clean_email(email)
    _check_new_password(password, email=email)
    _check_locale(locale)
    _check_timezone(timezone)
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is not None:
        _tell_account_exists(existing)
        return None
    user = User(
        email=email,
        name=name,
        password_hash=password_hash,
        locale=locale,
        timezone=timezone,
        roles=[UserRole(role=Role.APPLICANT)],
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        # Registered by a second request in the same instant: answer as for any existing one.
        _tell_account_exists(find_user_by_email(email))
        return None
    record_audit(user, "user.registered", user)
    send_verification_email(user=user, next_url=next_url)
    return user


def _tell_account_exists(user: User | None) -> None:
    if user is None:
        return
    record_audit(None, "user.registration_for_existing_email", user)
    _send(
        user,
        template="account_exists",
        about="account-exists",
        login_link=external_url("accounts.login"),
        reset_link=external_url("accounts.forgot_password"),
    )


def user_for_verification_link(*, token: str) -> User:
    """The user a verification link is for, if it is still good."""
    user, claims = _user_from_token(TokenPurpose.VERIFY_EMAIL, token)
    if claims.binding != user.email:
        raise _invalid_link()
    return user


def verify_email(*, token: str) -> User:
    """Mark the address as confirmed. Opening the link twice is harmless."""
    user = user_for_verification_link(token=token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record_audit(user, "user.email_verified", user)
    return user


def resend_verification(*, email: str) -> None:
    """A fresh verification link, if that address has an unconfirmed, active account."""
    user = find_user_by_email(email)
    if user is not None and user.active and user.email_verified_at is None:
        send_verification_email(user=user)


# --- login and logout ----------------------------------------------------------------------


class LoginStatus(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # unknown email or wrong password: never said which
    INACTIVE = "inactive"
    UNVERIFIED = "unverified"
    WAIT = "wait"  # many failed logins for this email lately: this address waits first


@dataclass(frozen=True)
class LoginOutcome:
    status: LoginStatus
    user: User | None = None
    retry_after: int = 0  # seconds, for WAIT


def log_in(*, email: str, password: str, address: str | None = None) -> LoginOutcome:
    """Check the credentials; on success record the login (the view starts the session).

    `address` is the client's: after many failed logins for this email, each address waits
    before its next try and the password is not checked meanwhile (app.accounts.login_throttle).
    """
    typed = normalise_email(email or "")[:EMAIL_MAX_LENGTH]
    wait = login_throttle.seconds_to_wait(email=typed, address=address)
    if wait:
        return LoginOutcome(LoginStatus.WAIT, retry_after=wait)
    user = find_user_by_email(email)
    # Always hash: an unknown email costs as much time as a wrong password.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        _record_failed_login(user, reason="credentials")
        _count_failed_login(typed, user)
        return LoginOutcome(LoginStatus.INVALID)
    if not user.active:
        _record_failed_login(user, reason="inactive")
        return LoginOutcome(LoginStatus.INACTIVE, user)
    if user.email_verified_at is None:
        _record_failed_login(user, reason="unverified")
        send_verification_email(user=user)
        return LoginOutcome(LoginStatus.UNVERIFIED, user)
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record_audit(user, "user.logged_in", user)
    return LoginOutcome(LoginStatus.OK, user)


def _record_failed_login(user: User | None, *, reason: str) -> None:
    # What was typed is kept only when it is an account's address: a password typed into
    # the email field must not end up in the audit log.
    details = {"reason": reason, **({"email": user.email} if user is not None else {})}
    record_audit(None, "user.login_failed", user or ("user", None), details)


def _count_failed_login(typed_email: str, user: User | None) -> None:
    """Count a wrong password for the account; its owner hears of it once per window."""
    failures = login_throttle.count_failed_login(email=typed_email)
    if user is None or failures != login_throttle.slowdown().amount:
        return
    _send(
        user,
        template="login_failures",
        about="login-failures",
        failures=failures,
        window_seconds=login_throttle.window_seconds(),
        reset_link=external_url("accounts.forgot_password"),
    )


def log_out(*, user: User) -> None:
    """Log out everywhere: every session and remember-me cookie of this user ends."""
    user.session_token = new_session_token()
    record_audit(user, "user.logged_out", user)


# --- passwords -----------------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Email a reset link if the account exists; the caller answers the same either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    record_audit(None, "user.password_reset_requested", user)
    _send_password_link(user, purpose=TokenPurpose.RESET_PASSWORD, template="password_reset")


def user_for_password_link(*, purpose: TokenPurpose, token: str) -> User:
    """The user a reset or invitation link is for, if it is still good."""
    user, claims = _user_from_token(purpose, token)
    if not user.active or claims.binding != password_fingerprint(user.password_hash):
        raise _invalid_link()
    return user


def set_password_from_link(*, purpose: TokenPurpose, token: str, password: str) -> User:
    """Choose a password from an emailed link; the link dies with the old password.

    Opening the link proves the address, so it also counts as verification. The caller
    logs the user in on this browser; every other session has ended.
    """
    user = user_for_password_link(purpose=purpose, token=token)
    _check_new_password(password, email=user.email)
    _set_password(user, password)
    now = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = now
    user.last_login_at = now
    action = (
        "user.invitation_accepted" if purpose == TokenPurpose.INVITATION else "user.password_reset"
    )
    record_audit(user, action, user)
    return user


def change_password(*, actor: User, user: User, current_password: str, new_password: str) -> None:
    """Change one's own password; every other session ends (the caller keeps this one)."""
    if not can_edit_account(actor, user):
        raise NotAllowed(_("You can only change your own password."))
    if not verify_password(user.password_hash, current_password):
        raise DomainError(
            _("Your current password is not correct."),
            field="current_password",
            code="wrong_password",
        )
    _check_new_password(new_password, email=user.email, field="new_password")
    _set_password(user, new_password)
    record_audit(actor, "user.password_changed", user)


def _invalid_link() -> DomainError:
    return DomainError(
        _("This link is not valid or has already been used. Please ask for a new one."),
        code="invalid_link",
    )


def _user_from_token(purpose: TokenPurpose, token: str):
    try:
        claims = read_token(purpose, token)
    except TokenError as error:
        if error.expired:
            raise DomainError(
                _("This link has expired. Please ask for a new one."), code="expired_link"
            ) from None
        raise _invalid_link() from None
    user = db.session.get(User, claims.user_id, options=[joinedload(User.roles)])
    if user is None:
        raise _invalid_link()
    return user, claims


# --- own settings --------------------------------------------------------------------------


def update_profile(*, actor: User, user: User, name: str, locale: str, timezone: str) -> None:
    if not can_edit_account(actor, user):
        raise NotAllowed(_("You can only change your own settings."))
    name = clean_name(name)
    _check_locale(locale)
    _check_timezone(timezone)
    changes = {
        field: value
        for field, value in (("name", name), ("locale", locale), ("timezone", timezone))
        if getattr(user, field) != value
    }
    if not changes:
        return
    for field, value in changes.items():
        setattr(user, field, value)
    record_audit(actor, "user.profile_updated", user, details={"changed": sorted(changes)})


# --- administrators: people ------------------------------------------------------------------


def search_people(
    *,
    actor: User,
    search: str = "",
    role: Role | None = None,
    page: int = 1,
    per_page: int = PEOPLE_PER_PAGE,
) -> Pagination:
    """One page of people, by name; their roles come in one more query, whatever the size."""
    if not can_manage_users(actor):
        raise NotAllowed(_("Only administrators can see the list of people."))
    query = select(User).order_by(User.name, User.id)
    search = "".join(char for char in " ".join((search or "").split()) if _printable(char))
    if search:
        query = query.where(
            or_(
                User.name.icontains(search, autoescape=True),
                User.email.icontains(search, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(exists().where(UserRole.user_id == User.id, UserRole.role == role))
    # A page number typed into the address bar must not overflow the SQL offset.
    page = min(max(page, 1), MAX_PAGE)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)


@dataclass(frozen=True)
class InvitationOutcome:
    user: User
    created: bool


def invite_reviewer(*, actor: User, name: str, email: str) -> InvitationOutcome:
    """Invite an expert to review: a new account with a link to choose a password, or the
    reviewer role for someone who already has an account."""
    if not can_manage_users(actor):
        raise NotAllowed(_("Only administrators can invite reviewers."))
    name = clean_name(name)
    email = clean_email(email)
    user = find_user_by_email(email)
    created = user is None
    if user is None:
        user = User(email=email, name=name, password_hash=None, roles=[])
        db.session.add(user)
        _grant_reviewer(user)
        db.session.flush()
    if created or (user.has_role(Role.REVIEWER) and user.password_hash is None):
        # New, or invited before and never came: a fresh link either way.
        _send_invitation(user, actor=actor)
        record_audit(
            actor, "user.reviewer_invited", user, details={} if created else {"again": True}
        )
        return InvitationOutcome(user, created=created)
    if user.has_role(Role.REVIEWER):
        raise DomainError(
            _("%(email)s is already a reviewer.", email=email),
            field="email",
            code="already_reviewer",
        )
    _grant_reviewer(user)
    db.session.flush()
    _send(
        user,
        template="role_granted",
        about="role-granted-reviewer",
        inviter=actor.name,
        login_link=external_url("accounts.login"),
    )
    record_audit(actor, "user.role_granted", user, details={"role": Role.REVIEWER.value})
    return InvitationOutcome(user, created=False)


def _grant_reviewer(user: User) -> None:
    # The reviewer profile is the reviews domain's (a floor above): made when first saved,
    # read as the defaults until then.
    user.roles.append(UserRole(role=Role.REVIEWER))


def _send_invitation(user: User, *, actor: User) -> None:
    _send_password_link(
        user,
        purpose=TokenPurpose.INVITATION,
        template="reviewer_invitation",
        inviter=actor.name,
    )


def deactivate_user(*, actor: User, user: User) -> None:
    """The person can no longer log in; every session of theirs ends now."""
    if not can_deactivate_user(actor, user):
        if can_manage_users(actor) and user.id == actor.id:
            raise DomainError(_("You cannot deactivate your own account."), code="deactivate_self")
        if can_manage_users(actor):
            raise DomainError(_("This account is already deactivated."), code="already_inactive")
        raise NotAllowed(_("Only administrators can deactivate accounts."))
    user.active = False
    user.session_token = new_session_token()
    record_audit(actor, "user.deactivated", user)


def reactivate_user(*, actor: User, user: User) -> None:
    if not can_reactivate_user(actor, user):
        if can_manage_users(actor):
            raise DomainError(_("This account is already active."), code="already_active")
        raise NotAllowed(_("Only administrators can reactivate accounts."))
    user.active = True
    record_audit(actor, "user.reactivated", user)


# --- the command line ----------------------------------------------------------------------


def grant_administrator(*, email: str) -> User | None:
    """Give an existing account the administrator role; None when there is no such account."""
    user = find_user_by_email(clean_email(email))
    if user is None:
        return None
    if not user.has_role(Role.ADMINISTRATOR):
        user.roles.append(UserRole(role=Role.ADMINISTRATOR))
        record_audit(
            None,
            "user.role_granted",
            user,
            details={"role": Role.ADMINISTRATOR.value, "by": "command line"},
        )
    return user


def create_administrator(*, email: str, name: str, password: str) -> User:
    """A new, verified administrator account (from the command line, so nobody acts)."""
    email = clean_email(email)
    name = clean_name(name)
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this email already exists."), code="email_taken")
    _check_new_password(password, email=email)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        email_verified_at=utcnow(),
        roles=[UserRole(role=Role.ADMINISTRATOR)],
    )
    db.session.add(user)
    db.session.flush()
    record_audit(None, "user.administrator_created", user, details={"by": "command line"})
    return user
