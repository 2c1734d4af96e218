"""A person's API tokens (routes of the accounts blueprint): the list, a new token shown
once, and revoking one. The API itself is app/api/."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.accounts import api_tokens
from app.accounts.views import bp
from app.core.actions import apply_and_redirect, form_status, save_form
from app.core.forms import FlaskForm


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=api_tokens.NAME_MAX_LENGTH)],
        description=_l("What the token is for, e.g. “Grant database”."),
    )
    days = SelectField(
        _l("Valid for"),
        coerce=int,
        default=90,
        choices=[
            SelectChoice(7, _l("7 days")),
            SelectChoice(30, _l("30 days")),
            SelectChoice(90, _l("90 days")),
            SelectChoice(365, _l("One year")),
        ],
    )
    can_write = BooleanField(
        _l("Allow changes"),
        description=_l(
            "Without it the token only reads. With it, it can also start a compilation or "
            "an export, as you can on the pages."
        ),
    )
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Create the token"))


def _page(form: TokenForm, *, created: api_tokens.NewToken | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "accounts/api_tokens.html",
        form=form,
        tokens=api_tokens.tokens_of(user),
        created=created,
        needs_code=api_tokens.writing_needs_code(user),
        api_docs=url_for("api_reference.page"),
    ), status


@bp.get("/settings/api-tokens")
@login_required
def api_tokens_page():
    return _page(TokenForm())


@bp.post("/settings/api-tokens")
@login_required
def create_api_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=form_status(form))
    user = current_user._get_current_object()
    saved = save_form(
        form,
        lambda: api_tokens.create_token(
            actor=user,
            name=form.name.data,
            days=form.days.data,
            can_write=form.can_write.data,
            code=form.code.data or "",
        ),
    )
    if not saved.ok:
        return _page(form, status=422)
    # Shown once, on this page: never stored, so a reload cannot show it again.
    return _page(TokenForm(formdata=None), created=saved.result)


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    user = current_user._get_current_object()
    if api_tokens.own_token(user, token_id) is None:
        abort(404)  # another person's token is not found, whoever asks
    return apply_and_redirect(
        lambda: api_tokens.revoke_token(actor=user, token_id=token_id),
        done=_("The token is revoked: programs using it are refused from now on."),
        back=url_for("accounts.api_tokens_page"),
    )
