"""Two-factor login forms: a code typed from an authenticator app or a recovery code.

Several of them share the settings page, so each has a prefix: their fields' ids differ.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.accounts.two_factor import CODE_MAX_LENGTH
from app.core.forms import FlaskForm

# What a phone needs to offer its number pad and the code it just received.
CODE_INPUT = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "spellcheck": "false",
    "autocapitalize": "off",
    "maxlength": CODE_MAX_LENGTH,
}


def _code_field(label) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(_l("Enter the code.")), Length(max=CODE_MAX_LENGTH)],
        render_kw=CODE_INPUT,
    )


class StartSetupForm(FlaskForm):
    submit = SubmitField(_l("Set up two-factor login"))


class ConfirmSetupForm(FlaskForm):
    code = _code_field(_l("Code from your app"))
    submit = SubmitField(_l("Turn on two-factor login"))


class RegenerateCodesForm(FlaskForm):
    code = _code_field(_l("Code from your app"))
    submit = SubmitField(_l("Make new recovery codes"))


class DisableForm(FlaskForm):
    code = _code_field(_l("Code from your app"))
    submit = SubmitField(_l("Turn off two-factor login"))


class ChallengeForm(FlaskForm):
    code = _code_field(_l("Code"))
    submit = SubmitField(_l("Log in"))


class ResetForm(FlaskForm):
    submit = SubmitField(_l("Turn off their two-factor login"))
