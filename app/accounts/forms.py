"""Account forms: input and its shape only; the rules that need the database live in services."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts.models import Role, is_valid_email
from app.accounts.passwords import MAX_PASSWORD_LENGTH, password_problem
from app.accounts.services import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from app.core.i18n import is_valid_timezone
from app.core.widgets import LongListSelect


@cache
def timezone_choices() -> tuple[SelectChoice, ...]:
    names = sorted(available_timezones() - {"Factory", "localtime", "posixrules"})
    return tuple(SelectChoice(name, name.replace("_", " ")) for name in names or ["UTC"])


def _language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(code, label, render_kw={"lang": code})
        for code, label in current_app.config["LANGUAGES"].items()
    ]


def _current_language() -> str:
    locale = str(get_locale() or "")
    return locale if locale in current_app.config["LANGUAGES"] else "en"


class EmailAddress:
    """Syntax only, with email-validator; no DNS lookup."""

    def __call__(self, form, field) -> None:
        if field.data and not is_valid_email(field.data):
            raise ValidationError(_l("Enter a valid email address, like name@example.org."))


class TimeZone:
    def __call__(self, form, field) -> None:
        if not field.data or not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))


class NewPassword:
    """The password rules (length, not the email), with the form's email field if it has one."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field) -> None:
        email = form[self.email_field].data if self.email_field else None
        problem = password_problem(field.data or "", email=email)
        if problem:
            raise ValidationError(problem)


def _email_field(label=None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=EMAIL_MAX_LENGTH),
            EmailAddress(),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _name_field(label) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(_l("Enter a name.")), Length(max=NAME_MAX_LENGTH)],
        render_kw={"autocomplete": "name"},
    )


def _new_password_fields(email_field: str | None = None) -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")), NewPassword(email_field)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class ProfileFieldsMixin:
    def set_choices(self) -> None:
        self.locale.choices = _language_choices()
        self.timezone.choices = list(timezone_choices())


class RegistrationForm(FlaskForm, ProfileFieldsMixin):
    name = _name_field(_l("Your name"))
    email = _email_field()
    password, confirm_password = _new_password_fields("email")
    locale = SelectField(_l("Preferred language"), default=_current_language)
    # Prefilled by static/js/accounts.js from the browser; a plain list without JavaScript.
    timezone = SelectField(
        _l("Time zone"),
        default="UTC",
        validators=[TimeZone()],
        validate_choice=False,
        render_kw={"data-detect-timezone": True},
        widget=LongListSelect(),
    )
    submit = SubmitField(_l("Register"))
    # Where the city was going (the call's Apply button): the confirmation link leads back.
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()
        if self.is_submitted():
            # The person has seen the list: keep what they chose, even UTC.
            self.timezone.render_kw = {}


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=EMAIL_MAX_LENGTH)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class EmailOnlyForm(FlaskForm):
    """Asking for a password reset or a new verification link."""

    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField(_l("Confirm my email address"))


class SetPasswordForm(FlaskForm):
    password, confirm_password = _new_password_fields()
    submit = SubmitField(_l("Save my password"))


class ProfileForm(FlaskForm, ProfileFieldsMixin):
    name = _name_field(_l("Your name"))
    locale = SelectField(_l("Preferred language"))
    timezone = SelectField(
        _l("Time zone"), validators=[TimeZone()], validate_choice=False, widget=LongListSelect()
    )
    submit = SubmitField(_l("Save settings"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Enter your current password.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), NewPassword()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class InviteReviewerForm(FlaskForm):
    name = _name_field(_l("Name"))
    email = _email_field()
    submit = SubmitField(_l("Send invitation"))


ROLE_LABELS = {
    Role.APPLICANT: _l("Applicant"),
    Role.REVIEWER: _l("Reviewer"),
    Role.ADMINISTRATOR: _l("Administrator"),
}


class PeopleFilterForm(FlaskForm):
    """The search on the list of people: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role"))]
        + [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    submit = SubmitField(_l("Search"))

    def selected_role(self) -> Role | None:
        try:
            return Role(self.role.data) if self.role.data else None
        except ValueError:
            return None
