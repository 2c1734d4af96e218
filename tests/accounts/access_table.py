"""Accounts routes in the role x route table.

Pages for logged-out visitors (log in, register, forgotten password, new verification
link) redirect anyone already logged in to their own pages: 302 for every logged-in role.
Emailed links (verification, password reset, invitation) work whoever opens them.
"""

from app.accounts.models import User
from app.accounts.sessions import start_session
from app.accounts.tokens import TokenPurpose, make_token, password_fingerprint
from app.extensions import db
from tests.access import RouteAccess, World, everyone, logged_in, only

NEW_PASSWORD = "a brand new passphrase"


def anonymous_only(anonymous: int = 200) -> dict[str, int]:
    expect = everyone(302)
    expect["anonymous"] = anonymous
    return expect


def _applicant(w: World) -> User:
    return db.session.get(User, w.applicant_user)


def _verify_link(w: World) -> str:
    user = _applicant(w)
    token = make_token(TokenPurpose.VERIFY_EMAIL, user_id=user.id, binding=user.email)
    return f"/verify-email/{token}"


def _password_link(purpose: TokenPurpose, prefix: str):
    def path(w: World) -> str:
        user = _applicant(w)
        fingerprint = password_fingerprint(user.password_hash)
        return f"{prefix}/{make_token(purpose, user_id=user.id, binding=fingerprint)}"

    return path


def _new_password(w: World) -> dict:
    return {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}


def _applicants_other_session(w: World) -> str:
    """The applicant's session on another browser: theirs to end, nobody else's (404)."""
    user_session, _key = start_session(
        user=_applicant(w), user_agent="", address=None, remembered=False
    )
    db.session.commit()
    return f"/settings/sessions/{user_session.id}/end"


reset_link = _password_link(TokenPurpose.RESET_PASSWORD, "/reset-password")
invitation_link = _password_link(TokenPurpose.INVITATION, "/invitation")

ROUTES = [
    RouteAccess("accounts.login", lambda w: "/login", anonymous_only()),
    RouteAccess(
        "accounts.login",
        lambda w: "/login",
        anonymous_only(422),
        method="POST",
        data=lambda w: {"email": "nobody@example.org", "password": "not the password"},
        name="unknown email",
    ),
    RouteAccess("accounts.logout", lambda w: "/logout", everyone(302), method="POST"),
    RouteAccess("accounts.register", lambda w: "/register", anonymous_only()),
    RouteAccess(
        "accounts.register",
        lambda w: "/register",
        anonymous_only(422),
        method="POST",
        data=lambda w: {"name": "", "email": "not-an-email"},
        name="invalid form",
    ),
    RouteAccess("accounts.verify_email", _verify_link, everyone(200)),
    RouteAccess("accounts.verify_email", _verify_link, everyone(302), method="POST"),
    RouteAccess(
        "accounts.verify_email",
        lambda w: "/verify-email/forged-token",
        everyone(400),
        name="forged token",
    ),
    RouteAccess("accounts.resend_verification", lambda w: "/verify-email/resend", anonymous_only()),
    RouteAccess(
        "accounts.resend_verification",
        lambda w: "/verify-email/resend",
        everyone(302),
        method="POST",
        data=lambda w: {"email": "nobody@example.org"},
    ),
    RouteAccess("accounts.forgot_password", lambda w: "/reset-password", anonymous_only()),
    RouteAccess(
        "accounts.forgot_password",
        lambda w: "/reset-password",
        everyone(302),
        method="POST",
        data=lambda w: {"email": "nobody@example.org"},
    ),
    RouteAccess("accounts.reset_password", reset_link, everyone(200)),
    RouteAccess(
        "accounts.reset_password", reset_link, everyone(302), method="POST", data=_new_password
    ),
    RouteAccess("accounts.accept_invitation", invitation_link, everyone(200)),
    RouteAccess(
        "accounts.accept_invitation",
        invitation_link,
        everyone(302),
        method="POST",
        data=_new_password,
    ),
    RouteAccess("accounts.settings", lambda w: "/settings", logged_in()),
    RouteAccess(
        "accounts.settings",
        lambda w: "/settings",
        logged_in(422),
        method="POST",
        data=lambda w: {"name": "", "locale": "xx", "timezone": "Mars/Olympus"},
        name="invalid form",
    ),
    RouteAccess(
        "accounts.change_password",
        lambda w: "/settings/password",
        logged_in(422),
        method="POST",
        data=lambda w: {
            "current_password": "not the password",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        name="wrong current password",
    ),
    RouteAccess(
        "accounts.end_session",
        _applicants_other_session,
        {**logged_in(404), "applicant": 302},
        method="POST",
    ),
    RouteAccess(
        "accounts.end_other_sessions",
        lambda w: "/settings/sessions/end-others",
        logged_in(302),
        method="POST",
    ),
    RouteAccess("accounts.admin_users", lambda w: "/admin/people", only("administrator")),
    RouteAccess(
        "accounts.admin_users",
        lambda w: "/admin/people?q=app&role=applicant&page=1",
        only("administrator"),
        name="search",
    ),
    RouteAccess(
        "accounts.invite_reviewer", lambda w: "/admin/people/invite", only("administrator")
    ),
    RouteAccess(
        "accounts.invite_reviewer",
        lambda w: "/admin/people/invite",
        only("administrator", ok=302),
        method="POST",
        data=lambda w: {"name": "New Reviewer", "email": "new.reviewer@example.org"},
    ),
    RouteAccess(
        "accounts.deactivate_user",
        lambda w: f"/admin/people/{w.applicant_user}/deactivate",
        only("administrator", ok=302),
        method="POST",
    ),
    RouteAccess(
        "accounts.reactivate_user",
        lambda w: f"/admin/people/{w.applicant_user}/reactivate",
        only("administrator", ok=302),
        method="POST",
    ),
]

# Two-factor login (app/accounts/two_factor_views.py). A code that is no code is refused
# (422) whoever sends it; the login's second step without a password first goes to the login.
NOT_A_CODE = "not a code"
ROUTES += [
    RouteAccess("accounts.two_factor_settings", lambda w: "/settings/two-factor", logged_in()),
    RouteAccess(
        "accounts.start_two_factor_setup",
        lambda w: "/settings/two-factor/setup",
        logged_in(302),
        method="POST",
    ),
    RouteAccess(
        "accounts.confirm_two_factor",
        lambda w: "/settings/two-factor/confirm",
        logged_in(422),
        method="POST",
        data=lambda w: {"confirm-code": NOT_A_CODE},
        name="wrong code",
    ),
    RouteAccess(
        "accounts.regenerate_recovery_codes",
        lambda w: "/settings/two-factor/recovery-codes",
        logged_in(422),
        method="POST",
        data=lambda w: {"regenerate-code": NOT_A_CODE},
        name="wrong code",
    ),
    RouteAccess(
        "accounts.disable_two_factor",
        lambda w: "/settings/two-factor/disable",
        logged_in(422),
        method="POST",
        data=lambda w: {"disable-code": NOT_A_CODE},
        name="wrong code",
    ),
    RouteAccess("accounts.two_factor_challenge", lambda w: "/login/two-factor", everyone(302)),
    RouteAccess(
        "accounts.two_factor_challenge",
        lambda w: "/login/two-factor",
        everyone(302),
        method="POST",
        data=lambda w: {"code": NOT_A_CODE},
        name="no pending login",
    ),
    RouteAccess(
        "accounts.reset_two_factor",
        lambda w: f"/admin/people/{w.applicant_user}/two-factor/reset",
        only("administrator"),
    ),
    RouteAccess(
        "accounts.reset_two_factor",
        lambda w: f"/admin/people/{w.applicant_user}/two-factor/reset",
        only("administrator", ok=302),
        method="POST",
    ),
]
