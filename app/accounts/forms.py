"""Account forms: input and its shape only; the rules that need the database live in services."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from babel.core import get_global
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from app.core.forms import FlaskForm
from app.core.i18n import canonical_timezones, is_valid_timezone

TIMEZONE_AREA_LABELS = {
    "Africa": _l("Africa"),
    "America": _l("Americas"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
    "Asia": _l("Asia"),
    "Atlantic": _l("Atlantic Ocean"),
    "Australia": _l("Australia"),
    "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"),
    "Pacific": _l("Pacific Ocean"),
}


def _sort_key(label: str) -> str:
    # "Ábidjan" sorts with the A's: accents and case do not move a city down the list.
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _city_name(name: str, known: Locale) -> str:
    # What Babel's get_timezone_location(return_city=True) answers, without building each
    # zone's tzinfo from its file (0.8 s for the whole list).
    zone = get_global("zone_aliases").get(name, name)
    info = known.time_zones.get(zone, {})
    if "city" in info:
        return info["city"]
    meta = known.meta_zones.get(get_global("meta_zones").get(zone), {})
    return meta.get("city") or zone.rpartition("/")[2].replace("_", " ")


def timezone_label(name: str, locale: str, pattern: str = "%(city)s, %(country)s") -> str:
    """A zone as people know it, in their language: "Lisbon, Portugal", "Kolkata, India"."""
    known = Locale.parse(locale)
    city = _city_name(name, known)
    country_code = canonical_timezones().get(name)
    country = known.territories.get(country_code) if country_code else None
    if not country or country == city:
        return city
    return pattern % {"city": city, "country": country}


@cache
def _timezone_choices(locale: str) -> tuple[SelectChoice, ...]:
    # Labels come from Babel and the catalogue: built once per language, in that language.
    pattern = _("%(city)s, %(country)s")
    grouped = sorted(
        (
            (
                str(TIMEZONE_AREA_LABELS[name.split("/", 1)[0]]),
                timezone_label(name, locale, pattern),
                name,
            )
            for name in canonical_timezones()
        ),
        key=lambda row: (_sort_key(row[0]), _sort_key(row[1]), row[2]),
    )
    utc = SelectChoice("UTC", _("UTC (Coordinated Universal Time)"))
    return (utc, *(SelectChoice(name, label, optgroup=area) for area, label, name in grouped))


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    """Current Area/City zones grouped by region, UTC first; a stored old name stays listed.

    An account saved with an old alias (US/Pacific) keeps it selected rather than quietly
    moving to the first zone of the list when the settings are saved.
    """
    choices = list(_timezone_choices(_current_language()))
    listed = current in canonical_timezones() or current == "UTC"
    if current and not listed and is_valid_timezone(current):
        choices.insert(1, SelectChoice(current, current.replace("_", " ")))
    return choices


def _language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(code, label, render_kw={"lang": code})
        for code, label in current_app.config["OFFERED_LANGUAGES"].items()
    ]


def _current_language() -> str:
    locale = str(get_locale() or "")
    return locale if locale in current_app.config["OFFERED_LANGUAGES"] else "en"


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
    # Declared by each form that mixes this in.
    locale: SelectField
    timezone: SelectField

    def set_choices(self) -> None:
        self.locale.choices = _language_choices()
        self.timezone.choices = timezone_choices(self.timezone.data)


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
    timezone = SelectField(_l("Time zone"), validators=[TimeZone()], validate_choice=False)
    submit = SubmitField(_l("Save settings"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices()
        # UTC is what an account gets without JavaScript at registration: static/js/app.js
        # offers the browser's zone with a button; nothing changes until it is pressed.
        self.timezone.render_kw = {
            "data-propose-timezone": _("Use this browser's time zone: %(zone)s", zone="{zone}")
        }


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
