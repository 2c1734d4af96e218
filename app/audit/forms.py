"""The audit trail's filters: read from the query string, a bad value is a field error."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.audit.labels import ACTION_LABELS, SUBJECT_LABELS
from app.audit.queries import AuditFilters
from app.core.forms import FlaskForm


def _choices(labels: dict, every: str) -> list[SelectChoice]:
    """The choice of everything first, then the names in the reader's alphabetical order."""
    named = sorted(labels.items(), key=lambda item: str(item[1]).casefold())
    return [SelectChoice("", every), *(SelectChoice(code, label) for code, label in named)]


def _start_of(day: date, zone: ZoneInfo, *, days_later: int = 0) -> datetime | None:
    """Midnight of the day (or of one after it) where the reader is, as a UTC instant;
    None past the calendar's ends (year 1, year 9999), where nothing is left to filter."""
    try:
        midnight = datetime.combine(day + timedelta(days=days_later), time(), tzinfo=zone)
        return midnight.astimezone(UTC)
    except OverflowError:
        return None


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = SearchField(
        _l("Who (part of a name or email address)"), validators=[Optional(), Length(max=200)]
    )
    action = SelectField(_l("What"), validators=[Optional()])
    since = DateField(_l("From (day)"), validators=[Optional()])
    until = DateField(_l("To (day, included)"), validators=[Optional()])
    object_type = SelectField(_l("Object"), validators=[Optional()])
    object_id = IntegerField(
        _l("Object number"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = _choices(ACTION_LABELS, _l("Every action"))
        self.object_type.choices = _choices(SUBJECT_LABELS, _l("Every kind of object"))

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day comes on or after the first."))

    def filters(self, zone: ZoneInfo) -> AuditFilters:
        """What the reader asked for; the days are the reader's days (their time zone)."""
        return AuditFilters(
            actor=" ".join((self.actor.data or "").split()),
            action=self.action.data or None,
            since=_start_of(self.since.data, zone) if self.since.data else None,
            until=_start_of(self.until.data, zone, days_later=1) if self.until.data else None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data,
        )
