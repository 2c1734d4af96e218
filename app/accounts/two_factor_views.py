"""Two-factor login pages (routes of the accounts blueprint): one's own setup, recovery codes
and turning it off; the login's second step; an administrator's reset for a lost phone;
and the gate that sends a person whose role requires it to set it up first.

The login view hands over to the second step: when `needs_challenge(user)` it returns
`begin_challenge(user, remember, next_url)` instead of logging in, and this module's
challenge page calls `complete_login(user, remember)` once the code is right.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from app.accounts import services, two_factor
from app.accounts.models import Role, User
from app.accounts.permissions import role_required
from app.accounts.two_factor import needs_challenge
from app.accounts.two_factor_forms import (
    ChallengeForm,
    ConfirmSetupForm,
    DisableForm,
    RegenerateCodesForm,
    ResetForm,
    StartSetupForm,
)
from app.accounts.views import _after_login_url, anonymous_only, bp
from app.core.actions import apply_and_redirect, form_status, save_form
from app.core.urls import safe_next_url
from app.extensions import db, limiter

# The session key of a login whose password was right and whose code is still to come.
PENDING_KEY = "two_factor_pending"

# Pages a person sent to set up two-factor login can still open.
GATE_OPEN_ENDPOINTS = frozenset(
    {
        "static",
        "accounts.logout",
        "accounts.settings",
        "accounts.change_password",
        "accounts.two_factor_settings",
        "accounts.start_two_factor_setup",
        "accounts.confirm_two_factor",
        "core.set_locale",
        "core.healthz",
        "core.readyz",
    }
)

__all__ = [
    "PENDING_KEY",
    "begin_challenge",
    "complete_login",
    "needs_challenge",
    "setup_required",
    "two_factor_gate",
]
setup_required = two_factor.setup_required


# --- the login's second step ---------------------------------------------------------------


def begin_challenge(user: User, remember: bool, next_url: str | None) -> Response:
    """Instead of logging in: remember whose password was right, and ask for the code."""
    session[PENDING_KEY] = two_factor.pending_state(
        user, remember=remember, next_url=safe_next_url(next_url)
    )
    return redirect(url_for("accounts.two_factor_challenge"))


def complete_login(user: User, remember: bool) -> None:
    """The code was right: the login happens now (a new session, app/accounts/loader.py)."""
    session.pop(PENDING_KEY, None)
    login_user(user, remember=remember)


def _pending_user() -> User | None:
    user_id = two_factor.pending_user_id(session.get(PENDING_KEY))
    if user_id is None:
        return None
    user = services.get_user(user_id)
    if user is None or not user.active or not needs_challenge(user):
        return None
    return user


def _pending_key() -> str:
    """Wrong codes are limited per person, from any address: 10 guesses, not a million."""
    user_id = two_factor.pending_user_id(session.get(PENDING_KEY))
    return f"two-factor:{user_id}" if user_id is not None else get_remote_address() or "unknown"


def _refused(response) -> bool:
    return response.status_code == 422


def _limit_setting():
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(_limit_setting, key_func=_pending_key, methods=["POST"], deduct_when=_refused)
@anonymous_only
def two_factor_challenge():
    user = _pending_user()
    if user is None:
        if session.pop(PENDING_KEY, None) is not None:
            flash(_("Your login took too long. Please enter your password again."), "info")
        return redirect(url_for("accounts.login"))
    form = ChallengeForm()
    if form.validate_on_submit():
        state = session[PENDING_KEY]
        if two_factor.pass_challenge(user=user, code=form.code.data):
            # The session and the words are made before the commit, which expires the user.
            complete_login(user, remember=bool(state.get("remember")))
            welcome = _("Welcome, %(name)s.", name=user.name)
            target = _after_login_url(state.get("next"))
            db.session.commit()
            flash(welcome, "success")
            return redirect(target)
        db.session.commit()  # the failed attempt's audit entry
        form.code.errors = [
            *form.code.errors,
            _("This code is not correct. Enter the code your app shows now, or a recovery code."),
        ]
    page = render_template("accounts/two_factor_challenge.html", form=form)
    return page, form_status(form)


# --- one's own two-factor login --------------------------------------------------------------


def _current_user_key() -> str:
    return f"two-factor-settings:{current_user.id}" if current_user.is_authenticated else "-"


def _settings_page(
    *,
    confirm_form: ConfirmSetupForm | None = None,
    regenerate_form: RegenerateCodesForm | None = None,
    disable_form: DisableForm | None = None,
    refused: bool = False,
):
    user = current_user._get_current_object()
    confirm_form = confirm_form or ConfirmSetupForm(formdata=None, prefix="confirm")
    regenerate_form = regenerate_form or RegenerateCodesForm(formdata=None, prefix="regenerate")
    disable_form = disable_form or DisableForm(formdata=None, prefix="disable")
    pending_secret = user.totp_secret if not user.two_factor_enabled else None
    page = render_template(
        "accounts/two_factor_settings.html",
        user=user,
        required=two_factor.is_required(user),
        recovery_codes_left=(
            two_factor.recovery_codes_left(user) if user.two_factor_enabled else None
        ),
        pending_secret=two_factor.format_secret(pending_secret) if pending_secret else None,
        qr=(
            two_factor.qr_svg(two_factor.provisioning_uri(user, pending_secret))
            if pending_secret
            else None
        ),
        start_form=StartSetupForm(formdata=None, prefix="start"),
        confirm_form=confirm_form,
        regenerate_form=regenerate_form,
        disable_form=disable_form,
    )
    return page, form_status(confirm_form, regenerate_form, disable_form, refused=refused)


def _recovery_codes_page(codes: list[str]):
    # Shown in the answer to the POST only: they are nowhere to be read again.
    return render_template("accounts/two_factor_recovery_codes.html", codes=codes)


@bp.get("/settings/two-factor")
@login_required
def two_factor_settings():
    return _settings_page()


@bp.post("/settings/two-factor/setup")
@login_required
def start_two_factor_setup():
    user = current_user._get_current_object()
    return apply_and_redirect(
        lambda: two_factor.start_setup(actor=user),
        done=None,
        back=url_for("accounts.two_factor_settings", _anchor="setup"),
    )


@bp.post("/settings/two-factor/confirm")
@limiter.limit(_limit_setting, key_func=_current_user_key, deduct_when=_refused)
@login_required
def confirm_two_factor():
    user = current_user._get_current_object()
    form = ConfirmSetupForm(prefix="confirm")
    if form.validate_on_submit():
        saved = save_form(form, lambda: two_factor.confirm_setup(actor=user, code=form.code.data))
        if saved and saved.result is not None:
            flash(_("Two-factor login is on."), "success")
            return _recovery_codes_page(saved.result)
    return _settings_page(confirm_form=form, refused=True)  # a form sent here, refused


@bp.post("/settings/two-factor/recovery-codes")
@limiter.limit(_limit_setting, key_func=_current_user_key, deduct_when=_refused)
@login_required
def regenerate_recovery_codes():
    user = current_user._get_current_object()
    form = RegenerateCodesForm(prefix="regenerate")
    if form.validate_on_submit():
        saved = save_form(
            form, lambda: two_factor.regenerate_recovery_codes(actor=user, code=form.code.data)
        )
        if saved and saved.result is not None:
            flash(_("You have new recovery codes; the old ones no longer work."), "success")
            return _recovery_codes_page(saved.result)
    return _settings_page(regenerate_form=form, refused=True)  # a form sent here, refused


@bp.post("/settings/two-factor/disable")
@limiter.limit(_limit_setting, key_func=_current_user_key, deduct_when=_refused)
@login_required
def disable_two_factor():
    user = current_user._get_current_object()
    form = DisableForm(prefix="disable")
    if form.validate_on_submit():
        saved = save_form(
            form, lambda: two_factor.disable(actor=user, user=user, code=form.code.data)
        )
        if saved:
            flash(_("Two-factor login is off."), "success")
            return redirect(url_for("accounts.two_factor_settings"))
    return _settings_page(disable_form=form, refused=True)  # a form sent here, refused


# --- administrators: a lost phone -------------------------------------------------------------


@bp.route("/admin/people/<int:user_id>/two-factor/reset", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def reset_two_factor(user_id: int):
    person = services.get_user(user_id) or abort(404)
    form = ResetForm()
    if form.validate_on_submit():
        return apply_and_redirect(
            lambda: two_factor.disable(actor=current_user._get_current_object(), user=person),
            done=_(
                "Two-factor login is off for %(name)s; we have told them by email.",
                name=person.name,
            ),
            back=url_for("accounts.admin_users"),
        )
    return render_template(
        "accounts/two_factor_reset.html",
        form=form,
        person=person,
        can_reset=two_factor.can_reset_two_factor(current_user, person),
    )


# --- the gate: a role that requires it ---------------------------------------------------------


def two_factor_gate():
    """Before every page: a person whose role requires two-factor login and who has not set
    it up is sent to set it up (and may still log out or change their settings)."""
    if request.endpoint is None or request.endpoint in GATE_OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not setup_required(current_user):
        return None
    flash(_("Your role requires two-factor login. Please set it up to continue."), "info")
    return redirect(url_for("accounts.two_factor_settings"))


@bp.record_once
def _register_gate(state) -> None:
    # TWO_FACTOR_ENFORCE off: the pages stay, nobody is sent to them.
    if state.app.config.get("TWO_FACTOR_ENFORCE", True):
        state.app.before_request(two_factor_gate)
