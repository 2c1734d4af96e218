"""Call forms: input and its shape only; the rules that need the database live in services."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.calls.models import (
    Call,
    CallState,
    Criterion,
    EligibilityQuestion,
    ScoreVisibility,
    TranslatableMixin,
)
from app.calls.services import (
    MAX_ANSWER_LENGTH,
    PROPOSAL_LANGUAGES,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    local_to_utc,
    utc_to_local,
)
from app.calls.texts import (
    DEFAULT_LIMIT,
    FIELD_LABELS,
    FIELD_LIMITS,
    ONE_LINE_FIELDS,
    translation,
)
from app.core.forms import FlaskForm
from app.core.i18n import text_direction
from app.errors import DomainError

MEBIBYTE = 1024 * 1024
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

CALL_STATE_LABELS = {
    CallState.DRAFT: _l("Draft"),
    CallState.OPEN: _l("Open"),
    CallState.CLOSED: _l("Closed"),
    CallState.IN_REVIEW: _l("In review"),
    CallState.DECIDED: _l("Decided"),
    CallState.ARCHIVED: _l("Archived"),
}
# The buttons that change a call's state (services.TRANSITIONS), as administrators read them.
TRANSITION_LABELS = {
    "open": _l("Open the call"),
    "close": _l("Close the call now"),
    "start_review": _l("Start the review"),
    "decide": _l("Mark as decided"),
    "archive": _l("Archive"),
}


class AtLeastOne:
    """Like DataRequired for a group of checkboxes, without marking each box `required`
    (which would tell assistive technology that every box must be ticked)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        if not field.data:
            raise StopValidation(str(self.message))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _megabytes(size_bytes: int) -> Decimal:
    return (Decimal(size_bytes) / MEBIBYTE).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class CallForm(FlaskForm):
    """A call's settings. Instants are typed in the administrator's zone and read as UTC."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            DataRequired(),
            Length(max=SLUG_MAX_LENGTH),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters, digits and single hyphens only."),
            ),
        ],
        render_kw={"spellcheck": "false", "autocapitalize": "none"},
    )
    description = TextAreaField(
        _l("Description (Markdown)"), validators=[Optional(), Length(max=50_000)]
    )
    opens_at = DateTimeLocalField(
        _l("Opens at"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Enter a date and time, like 2025-03-01 09:00."))],
    )
    closes_at = DateTimeLocalField(
        _l("Closes at"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Enter a date and time, like 2025-03-31 17:00."))],
    )
    grace_minutes = IntegerField(
        _l("Grace period (minutes)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=24 * 60)],
    )
    review_deadline = DateTimeLocalField(
        _l("Review deadline"), format=LOCAL_FORMAT, validators=[Optional()]
    )
    languages = MultiCheckboxField(
        _l("Languages of the call: its texts are written, and proposals may be written, in each"),
        validators=[AtLeastOne(_l("Choose at least one language."))],
    )
    main_language = SelectField(
        _l("Main language: the one the call's texts are written in first"),
        validate_choice=False,
    )
    max_attachment_mb = DecimalField(
        _l("Size limit per file (MB)"),
        places=1,
        default=Decimal(5),
        validators=[InputRequired(), NumberRange(min=Decimal("0.1"), max=Decimal(100))],
    )
    max_attachments_total_mb = DecimalField(
        _l("Size limit per proposal (MB)"),
        places=1,
        default=Decimal(20),
        validators=[InputRequired(), NumberRange(min=Decimal("0.1"), max=Decimal(500))],
    )
    max_attachments = IntegerField(
        _l("Most attachments per proposal"),
        default=10,
        validators=[InputRequired(), NumberRange(min=0, max=50)],
    )
    score_visibility = SelectField(
        _l("Reviewers see the other reviewers' scores"),
        choices=[
            SelectChoice(ScoreVisibility.NEVER.value, _l("Never")),
            SelectChoice(ScoreVisibility.AFTER_OWN.value, _l("After submitting their own review")),
            SelectChoice(ScoreVisibility.ALWAYS.value, _l("Always")),
        ],
        default=ScoreVisibility.AFTER_OWN.value,
    )
    hide_applicant_contact = BooleanField(_l("Hide the applicant's contact person from reviewers"))
    hide_partner_names = BooleanField(_l("Hide the partner organisations' names from reviewers"))
    conflict_same_country = BooleanField(
        _l("A reviewer from the proposal's country has a conflict of interest"), default=True
    )
    conflict_same_city = BooleanField(
        _l("A reviewer from the proposal's city has a conflict of interest"), default=True
    )
    reviews_per_proposal = IntegerField(
        _l("Reviews per proposal"), default=3, validators=[InputRequired(), NumberRange(1, 20)]
    )

    # Where a service's refusal about a stored setting is shown in this form.
    SERVICE_FIELDS = {
        "max_attachment_bytes": "max_attachment_mb",
        "max_attachments_total_bytes": "max_attachments_total_mb",
    }
    LOCAL_INSTANTS = ("opens_at", "closes_at", "review_deadline")

    def __init__(self, *args: Any, zone: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.languages.choices = [
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in PROPOSAL_LANGUAGES.items()
        ]
        self.main_language.choices = [
            SelectChoice(code, label, render_kw={"lang": code})
            for code, label in PROPOSAL_LANGUAGES.items()
        ]
        self.instants: dict[str, datetime | None] = {}

    @classmethod
    def initial_data(cls, call: Call | None, zone: str) -> dict[str, Any]:
        """What the form shows before the first POST: the call's values in the user's zone."""
        if call is None:
            default = current_app.config["BABEL_DEFAULT_LOCALE"]
            return {"languages": [default], "main_language": default}
        return {
            "title": call.title,
            "slug": call.slug,
            "description": call.description,
            "opens_at": utc_to_local(call.opens_at, zone),
            "closes_at": utc_to_local(call.closes_at, zone),
            "review_deadline": utc_to_local(call.review_deadline, zone)
            if call.review_deadline
            else None,
            "grace_minutes": call.grace_minutes,
            "languages": list(call.languages),
            "main_language": call.languages[0],
            "max_attachment_mb": _megabytes(call.max_attachment_bytes),
            "max_attachments_total_mb": _megabytes(call.max_attachments_total_bytes),
            "max_attachments": call.max_attachments,
            "score_visibility": call.score_visibility.value,
            "hide_applicant_contact": call.hide_applicant_contact,
            "hide_partner_names": call.hide_partner_names,
            "conflict_same_country": call.conflict_same_country,
            "conflict_same_city": call.conflict_same_city,
            "reviews_per_proposal": call.reviews_per_proposal,
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self.LOCAL_INSTANTS:
            local = self[name].data
            if local is None or self[name].errors:
                self.instants[name] = None
                continue
            try:
                self.instants[name] = local_to_utc(local, self.zone)
            except DomainError as error:
                self[name].errors = [*self[name].errors, error.message]
                valid = False
        if self.languages.data and self.main_language.data not in self.languages.data:
            self.main_language.errors = [
                *self.main_language.errors,
                str(_l("Tick the main language among the languages of the call.")),
            ]
            valid = False
        opens_at, closes_at = self.instants.get("opens_at"), self.instants.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.closes_at.errors = [
                *self.closes_at.errors,
                str(_l("The call must close after it opens.")),
            ]
            valid = False
        if (
            not self.max_attachment_mb.errors
            and not self.max_attachments_total_mb.errors
            and self.max_attachments_total_mb.data < self.max_attachment_mb.data
        ):
            self.max_attachments_total_mb.errors = [
                *self.max_attachments_total_mb.errors,
                str(_l("The limit per proposal must be at least the limit per file.")),
            ]
            valid = False
        return valid

    def settings(self) -> dict[str, Any]:
        """The validated input as create_call / update_call keyword arguments."""
        return {
            "title": self.title.data.strip(),
            "slug": self.slug.data.strip(),
            "description": self.description.data or "",
            "opens_at": self.instants["opens_at"],
            "closes_at": self.instants["closes_at"],
            "review_deadline": self.instants["review_deadline"],
            "grace_minutes": self.grace_minutes.data,
            "languages": self.ordered_languages(),
            "max_attachment_bytes": int(self.max_attachment_mb.data * MEBIBYTE),
            "max_attachments_total_bytes": int(self.max_attachments_total_mb.data * MEBIBYTE),
            "max_attachments": self.max_attachments.data,
            "score_visibility": ScoreVisibility(self.score_visibility.data),
            "hide_applicant_contact": self.hide_applicant_contact.data,
            "hide_partner_names": self.hide_partner_names.data,
            "conflict_same_country": self.conflict_same_country.data,
            "conflict_same_city": self.conflict_same_city.data,
            "reviews_per_proposal": self.reviews_per_proposal.data,
        }

    def ordered_languages(self) -> list[str]:
        """The main language first: the call's texts are written in it first."""
        main = self.main_language.data
        return [main, *(code for code in self.languages.data if code != main)]


class CriterionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    guidance = TextAreaField(
        _l("Guidance for applicants"), validators=[Optional(), Length(max=5000)]
    )
    rubric_low = TextAreaField(
        _l("Rubric: what a low score looks like"), validators=[Optional(), Length(max=5000)]
    )
    rubric_middle = TextAreaField(
        _l("Rubric: what a middle score looks like"), validators=[Optional(), Length(max=5000)]
    )
    rubric_high = TextAreaField(
        _l("Rubric: what a high score looks like"), validators=[Optional(), Length(max=5000)]
    )
    weight = DecimalField(
        _l("Weight"),
        places=2,
        default=Decimal(1),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    scale_min = DecimalField(
        _l("Lowest score"),
        places=1,
        default=Decimal(1),
        validators=[InputRequired(), NumberRange(min=-100, max=100)],
    )
    scale_max = DecimalField(
        _l("Highest score"),
        places=1,
        default=Decimal(5),
        validators=[InputRequired(), NumberRange(min=-100, max=100)],
    )
    scale_step = SelectField(
        _l("Score in"),
        choices=[SelectChoice("1.0", _l("Whole points")), SelectChoice("0.5", _l("Half points"))],
        default="1.0",
    )
    max_length = IntegerField(
        _l("Answer length limit (characters)"),
        default=3000,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_ANSWER_LENGTH)],
    )

    @classmethod
    def initial_data(cls, criterion: Criterion | None) -> dict[str, Any]:
        if criterion is None:
            return {}
        return {
            "name": criterion.name,
            "guidance": criterion.guidance,
            "rubric_low": criterion.rubric_low,
            "rubric_middle": criterion.rubric_middle,
            "rubric_high": criterion.rubric_high,
            "weight": Decimal(str(criterion.weight)),
            "scale_min": Decimal(str(criterion.scale_min)),
            "scale_max": Decimal(str(criterion.scale_max)),
            "scale_step": "0.5" if criterion.scale_step == 0.5 else "1.0",
            "max_length": criterion.max_length,
        }

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "guidance": (self.guidance.data or "").strip(),
            "rubric_low": (self.rubric_low.data or "").strip(),
            "rubric_middle": (self.rubric_middle.data or "").strip(),
            "rubric_high": (self.rubric_high.data or "").strip(),
            "weight": float(self.weight.data),
            "scale_min": float(self.scale_min.data),
            "scale_max": float(self.scale_max.data),
            "scale_step": float(self.scale_step.data),
            "max_length": self.max_length.data,
        }


class EligibilityQuestionForm(FlaskForm):
    text = TextAreaField(_l("Question (answered yes or no)"), validators=[DataRequired()])
    qualifying_answer = RadioField(
        _l("The answer that qualifies"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        default="yes",
    )
    explanation = TextAreaField(
        _l("Explanation shown to an applicant whose answer does not qualify"),
        validators=[Optional(), Length(max=5000)],
    )

    @classmethod
    def initial_data(cls, question: EligibilityQuestion | None) -> dict[str, Any]:
        if question is None:
            return {}
        return {
            "text": question.text,
            "qualifying_answer": "yes" if question.qualifying_answer else "no",
            "explanation": question.explanation,
        }

    def values(self) -> dict[str, Any]:
        return {
            "text": self.text.data.strip(),
            "qualifying_answer": self.qualifying_answer.data == "yes",
            "explanation": (self.explanation.data or "").strip(),
        }


def translation_field_name(field: str, locale: str) -> str:
    return f"{field}__{locale}"


class TranslationsForm(FlaskForm):
    """One call text's values in the call's other languages, a field per (text, language).

    Built per object by `make_translations_form`, as the city's section forms are.
    """

    texts: tuple[tuple[str, str], ...] = ()  # (field, locale), in the page's order

    def values(self) -> dict[str, dict[str, str]]:
        """locale -> field -> text, for services.save_translations."""
        values: dict[str, dict[str, str]] = {}
        for field, locale in self.texts:
            data = self[translation_field_name(field, locale)].data or ""
            values.setdefault(locale, {})[field] = data.strip()
        return values


def make_translations_form(fields: tuple[str, ...], locales: list[str]) -> type[TranslationsForm]:
    attributes: dict[str, Any] = {"texts": tuple((f, loc) for f in fields for loc in locales)}
    for field in fields:
        limit = FIELD_LIMITS.get(field, DEFAULT_LIMIT)
        kind = StringField if field in ONE_LINE_FIELDS else TextAreaField
        for locale in locales:
            attributes[translation_field_name(field, locale)] = kind(
                f"{FIELD_LABELS[field]} ({PROPOSAL_LANGUAGES.get(locale, locale)})",
                validators=[Optional(), Length(max=limit)],
                render_kw={"lang": locale, "dir": text_direction(locale)},
            )
    return type("TranslationsForm", (TranslationsForm,), attributes)


def translations_form_data(obj: TranslatableMixin, locales: list[str]) -> dict[str, str]:
    return {
        translation_field_name(field, locale): translation(obj, field, locale)
        for field in obj.TRANSLATABLE_FIELDS
        for locale in locales
    }
