"""Account pages: register, confirm the email, log in and out, passwords, settings, people."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import services, two_factor
from app.accounts.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    ConfirmEmailForm,
    EmailOnlyForm,
    InviteReviewerForm,
    LoginForm,
    PeopleFilterForm,
    ProfileForm,
    RegistrationForm,
    SetPasswordForm,
)
from app.accounts.models import Role, normalise_email
from app.accounts.permissions import can_deactivate_user, can_reactivate_user, role_required
from app.accounts.services import LoginStatus
from app.accounts.tokens import TokenPurpose
from app.core.actions import apply_and_redirect, form_status, save_form, show_refusal
from app.core.navigation import nav_entry, nav_items
from app.core.urls import page_url_maker, safe_next_url
from app.errors import DomainError, error_response, wants_json
from app.extensions import db, limiter

bp = Blueprint("accounts", __name__)
bp.record_once(
    nav_entry(
        position=20, role=Role.ADMINISTRATOR, endpoint="accounts.admin_users", label=_l("People")
    )
)


# --- helpers -------------------------------------------------------------------------------


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _typed_email_key() -> str:
    """Throttle per account: the normalised email typed in the form, whoever sends it."""
    typed = normalise_email(request.form.get("email", ""))[: services.EMAIL_MAX_LENGTH]
    return f"email:{typed}"


def _typed_email_and_address_key() -> str:
    """Throttle per account and client address (behind PROXY_COUNT proxies, the client's)."""
    return f"{_typed_email_key()}|address:{get_remote_address()}"


def _refused_login(response) -> bool:
    # Only a refused login counts against the pair: neither a login that works nor a wait.
    return response.status_code == 422


def _throttle(*, per_address: str, per_account: str | None = None) -> Callable:
    """Limit POSTs per client address and, when named, per email typed (config settings)."""

    def decorator(view: Callable) -> Callable:
        if per_account:
            view = limiter.limit(
                _setting(per_account), key_func=_typed_email_key, methods=["POST"]
            )(view)
        return limiter.limit(_setting(per_address), methods=["POST"])(view)

    return decorator


def _current_user_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address() or "unknown"


def _home_for(user) -> str:
    """The first page of the user's own work (their navigation's first entry)."""
    items = nav_items(user)
    return items[0].url if items else url_for("calls.index")


def _after_login_url(next_url: str | None) -> str:
    return safe_next_url(next_url) or _home_for(current_user)


def anonymous_only(view: Callable) -> Callable:
    """Pages for logged-out visitors; someone logged in is taken to their own pages."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return redirect(_after_login_url(request.args.get("next")))
        return view(*args, **kwargs)

    return wrapped


def _link_problem(error: DomainError):
    db.session.rollback()
    return render_template("accounts/link_problem.html", message=error.message), 400


def _keeps_remember_cookie() -> bool:
    cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return bool(request.cookies.get(cookie_name))


def _email_link_page(service: Callable, template: str, done_message: Callable[[str], str]):
    """Ask for a link by email: the same answer whether the address has an account or not."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        service(email=form.email.data)
        db.session.commit()
        flash(done_message(normalise_email(form.email.data)), "success")
        return redirect(url_for("accounts.login"))
    return render_template(template, form=form), form_status(form)


# --- registration and email verification -----------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@_throttle(per_address="REGISTRATION_LIMIT_PER_ADDRESS")
@anonymous_only
def register():
    form = RegistrationForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        next_url = safe_next_url(form.next.data)
        saved = save_form(
            form,
            lambda: services.register_applicant(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                next_url=next_url,
            ),
        )
        if saved:
            # The same words whether the address was new or already known.
            flash(
                _(
                    "Thank you. We have sent an email to %(email)s. Open the link in it to "
                    "confirm your address, then log in.",
                    email=normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("accounts.login", next=next_url))
    return render_template("accounts/register.html", form=form), form_status(form)


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    # Opening the link only shows a button: mail scanners that follow links change nothing.
    form = ConfirmEmailForm()
    next_url = safe_next_url(request.args.get("next"))  # where the city was going
    try:
        if not form.validate_on_submit():
            user = services.user_for_verification_link(token=token)
            return render_template(
                "accounts/verify_email.html", form=form, user=user, next_url=next_url
            )
        services.verify_email(token=token)
    except DomainError as error:
        return _link_problem(error)
    confirmed = _("Thank you, your email address is confirmed.")
    if current_user.is_authenticated:
        target = next_url or _home_for(current_user)
    else:
        target = url_for("accounts.login", next=next_url)
    db.session.commit()
    flash(confirmed, "success")
    return redirect(target)


@bp.route("/verify-email/resend", methods=["GET", "POST"])
@_throttle(per_address="EMAIL_LINK_LIMIT_PER_ADDRESS", per_account="EMAIL_LINK_LIMIT_PER_ACCOUNT")
@anonymous_only
def resend_verification():
    return _email_link_page(
        services.resend_verification,
        "accounts/resend_verification.html",
        lambda email: _(
            "If %(email)s has an account that is not confirmed yet, we have sent it a new link.",
            email=email,
        ),
    )


# --- login and logout ----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@_throttle(per_address="LOGIN_LIMIT_PER_ADDRESS")
@limiter.limit(
    _setting("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"),
    key_func=_typed_email_and_address_key,
    methods=["POST"],
    deduct_when=_refused_login,
)
@anonymous_only
def login():
    """The rule of the limits and of the slow-down: app/accounts/login_throttle.py."""
    form = LoginForm(next=request.args.get("next", ""))
    problem = None
    if form.validate_on_submit():
        outcome = services.log_in(
            email=form.email.data, password=form.password.data, address=get_remote_address()
        )
        if outcome.status is LoginStatus.WAIT:
            return _wait_before_login(form, outcome.retry_after)
        if outcome.status is LoginStatus.OK and two_factor.needs_challenge(outcome.user):
            # The password was right; the login happens once the code is (two_factor_views).
            from app.accounts.two_factor_views import begin_challenge

            db.session.commit()
            return begin_challenge(outcome.user, form.remember.data, form.next.data)
        if outcome.status is LoginStatus.OK:
            # The session and the words are made before the commit, which expires the user.
            login_user(outcome.user, remember=form.remember.data)
            welcome = _("Welcome, %(name)s.", name=outcome.user.name)
            target = _after_login_url(form.next.data)
            db.session.commit()
            flash(welcome, "success")
            return redirect(target)
        db.session.commit()
        problem = {
            # One message for an unknown email and a wrong password.
            LoginStatus.INVALID: _("The email address or the password is not correct."),
            LoginStatus.INACTIVE: _(
                "This account has been deactivated. Please contact the organisers of the call."
            ),
            LoginStatus.UNVERIFIED: _(
                "Please confirm your email address first: we have just sent you a new link."
            ),
        }[outcome.status]
    page = render_template("accounts/login.html", form=form, problem=problem)
    return page, form_status(form, refused=problem is not None)


def _wait_before_login(form: LoginForm, seconds: int):
    """429 on the login form, the same words for any email typed; Retry-After the wait."""
    problem = ngettext(
        "There have been many failed logins with this email address lately. Please wait "
        "%(num)d second, then log in again.",
        "There have been many failed logins with this email address lately. Please wait "
        "%(num)d seconds, then log in again.",
        seconds,
    )
    g.login_wait_seconds = seconds
    if wants_json():
        return error_response(429, problem)
    return render_template("accounts/login.html", form=form, problem=problem), 429


def _retry_after_the_wait(response: Response) -> Response:
    """flask-limiter rewrites Retry-After from its own limits' windows (rounded down) on
    every response; none of them was reached by a login told to wait, so the wait wins."""
    seconds = g.pop("login_wait_seconds", None)
    if seconds is not None:
        response.headers["Retry-After"] = str(seconds)
    return response


@bp.record_once
def _set_retry_after_last(state) -> None:
    # The app's after-request functions run last-registered first; flask-limiter's was
    # registered with the extensions, so this one goes to the front to run after it.
    state.app.after_request_funcs.setdefault(None, []).insert(0, _retry_after_the_wait)


@bp.post("/logout")
def logout():
    if not current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    services.log_out(user=current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have logged out. Every session of your account has ended."), "success")
    return redirect(url_for("calls.index"))


# --- passwords -----------------------------------------------------------------------------


@bp.route("/reset-password", methods=["GET", "POST"])
@_throttle(per_address="EMAIL_LINK_LIMIT_PER_ADDRESS", per_account="EMAIL_LINK_LIMIT_PER_ACCOUNT")
@anonymous_only
def forgot_password():
    return _email_link_page(
        services.request_password_reset,
        "accounts/forgot_password.html",
        lambda email: _(
            "If %(email)s has an account, we have sent it a link to choose a new password.",
            email=email,
        ),
    )


def _set_password_page(purpose: TokenPurpose, token: str, template: str):
    form = SetPasswordForm()
    try:
        user = services.user_for_password_link(purpose=purpose, token=token)
    except DomainError as error:
        return _link_problem(error)
    if form.validate_on_submit():
        try:
            user = services.set_password_from_link(
                purpose=purpose, token=token, password=form.password.data
            )
        except DomainError as error:
            if error.field is None:
                return _link_problem(error)
            show_refusal(form, error)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is saved and you are logged in."), "success")
            return redirect(_home_for(user))
    return render_template(template, form=form, user=user), form_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(TokenPurpose.RESET_PASSWORD, token, "accounts/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _set_password_page(TokenPurpose.INVITATION, token, "accounts/accept_invitation.html")


# --- own settings --------------------------------------------------------------------------


def _settings_page(profile_form: ProfileForm, password_form: ChangePasswordForm):
    page = render_template(
        "accounts/settings.html", profile_form=profile_form, password_form=password_form
    )
    return page, form_status(profile_form, password_form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        saved = save_form(
            form,
            lambda: services.update_profile(
                actor=user,
                user=user,
                name=form.name.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
            ),
        )
        if saved:
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(form, ChangePasswordForm(formdata=None))


@bp.post("/settings/password")
# Per account only: a guesser here already holds a session, and the owner can still reset.
@limiter.limit(_setting("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"), key_func=_current_user_key)
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        saved = save_form(
            form,
            lambda: services.change_password(
                actor=user,
                user=user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            ),
        )
        if saved:
            # Every other session ended with the old token; this one carries the new one.
            login_user(user, remember=_keeps_remember_cookie())
            flash(
                _("Your password is changed. You have been logged out everywhere else."),
                "success",
            )
            return redirect(url_for("accounts.settings"))
    return _settings_page(ProfileForm(formdata=None, obj=user), form)


# --- administrators: people ------------------------------------------------------------------


@bp.get("/admin/people")
@role_required(Role.ADMINISTRATOR)
def admin_users():
    form = PeopleFilterForm(request.args)
    people = services.search_people(
        actor=current_user,
        search=(form.q.data or "")[:200],
        role=form.selected_role(),
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "accounts/admin_users.html",
        form=form,
        people=people,
        page_url=page_url_maker("accounts.admin_users"),
        role_labels=ROLE_LABELS,
        can_deactivate=can_deactivate_user,
        can_reactivate=can_reactivate_user,
    )


@bp.route("/admin/people/invite", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def invite_reviewer():
    form = InviteReviewerForm()
    if form.validate_on_submit():
        saved = save_form(
            form,
            lambda: services.invite_reviewer(
                actor=current_user, name=form.name.data, email=form.email.data
            ),
        )
        if saved and (outcome := saved.result) is not None:
            if outcome.created or outcome.user.password_hash is None:
                message = _(
                    "We have sent %(email)s an invitation to review.", email=outcome.user.email
                )
            else:
                message = _(
                    "%(name)s already had an account and is now a reviewer; we have told them.",
                    name=outcome.user.name,
                )
            flash(message, "success")
            return redirect(url_for("accounts.admin_users"))
    return render_template("accounts/invite_reviewer.html", form=form), form_status(form)


def _change_activation(user_id: int, service: Callable, done_message: Callable[[str], str]):
    user = services.get_user(user_id) or abort(404)
    return apply_and_redirect(
        lambda: service(actor=current_user, user=user),
        done=done_message(user.name),
        back=safe_next_url(request.form.get("next")) or url_for("accounts.admin_users"),
    )


@bp.post("/admin/people/<int:user_id>/deactivate")
@role_required(Role.ADMINISTRATOR)
def deactivate_user(user_id: int):
    return _change_activation(
        user_id,
        services.deactivate_user,
        lambda name: _("%(name)s can no longer log in; their sessions have ended.", name=name),
    )


@bp.post("/admin/people/<int:user_id>/reactivate")
@role_required(Role.ADMINISTRATOR)
def reactivate_user(user_id: int):
    return _change_activation(
        user_id,
        services.reactivate_user,
        lambda name: _("%(name)s can log in again.", name=name),
    )


# --- pages in modules of their own that add routes to this blueprint: the person's sessions,
# two-factor login (and its gate), personal API tokens ---------------------------------------

from app.accounts import session_views, token_views, two_factor_views  # noqa: E402, F401
