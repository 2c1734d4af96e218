"""Outbox forms: the list's filters and the bulk message; input and its shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.core.forms import FlaskForm
from app.notifications.bulk import (
    BODY_MAX_LENGTH,
    GROUP_LABELS,
    SUBJECT_MAX_LENGTH,
    BulkGroup,
)
from app.notifications.kinds import message_kind
from app.outbox.models import NotificationStatus

STATUS_LABELS = {
    NotificationStatus.PENDING: _l("Pending"),
    NotificationStatus.SENT: _l("Sent"),
    NotificationStatus.FAILED: _l("Failed"),
    NotificationStatus.CANCELLED: _l("Cancelled"),
}


def optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the field says so


def _one_line(form, field) -> None:
    if field.data and ("\r" in field.data or "\n" in field.data):
        raise ValidationError(_l("The subject is one line."))


class OutboxFilterForm(FlaskForm):
    """Read from the query string; a bad value is a field error, never a 500."""

    class Meta:
        csrf = False

    recipient = SearchField(_l("Recipient's email"), validators=[Optional(), Length(max=320)])
    status = SelectField(_l("State"), validators=[Optional()])
    template = SelectField(_l("Message"), validators=[Optional()])
    call_id = SelectField(_l("Call"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args, templates: list[str], calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("Every state"))] + [
            SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()
        ]
        self.template.choices = [SelectChoice("", _l("Every message"))] + [
            SelectChoice(name, message_kind(name)) for name in templates
        ]
        self.call_id.choices = [SelectChoice("", _l("Every call"))] + [
            SelectChoice(call.id, call.title) for call in calls
        ]


class BulkMessageForm(FlaskForm):
    call_id = SelectField(_l("Call"), coerce=optional_int, validators=[InputRequired()])
    group = SelectField(
        _l("Who receives it"),
        choices=[SelectChoice(group.value, label) for group, label in GROUP_LABELS.items()],
        validators=[InputRequired()],
    )
    subject = StringField(
        _l("Subject"),
        validators=[InputRequired(), Length(max=SUBJECT_MAX_LENGTH), _one_line],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[InputRequired(), Length(max=BODY_MAX_LENGTH)],
        description=_l(
            "Plain text. Each person is greeted by name and the message ends with a link "
            "to the call. Blank lines separate paragraphs."
        ),
    )
    # Drawn when the preview is shown; the same preview sent twice is sent once.
    bulk_id = HiddenField()
    fingerprint = HiddenField()

    def __init__(self, *args, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.call_id.choices = [SelectChoice(call.id, call.title) for call in calls]

    @property
    def chosen_group(self) -> BulkGroup:
        return BulkGroup(self.group.data)
