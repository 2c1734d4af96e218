"""Forms of the reviews domain: input only; the scoring form is built from the call's criteria."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.calls.models import Criterion
from app.core.forms import FlaskForm
from app.errors import DomainError
from app.reviews.models import Recommendation
from app.reviews.reviewing import parse_score

REGIONS = (
    "Africa",
    "Asia",
    "Europe",
    "North America",
    "South America",
    "Oceania",
    "Antarctica",
)
REGION_LABELS = {
    "Africa": _l("Africa"),
    "Asia": _l("Asia"),
    "Europe": _l("Europe"),
    "North America": _l("North America"),
    "South America": _l("South America"),
    "Oceania": _l("Oceania"),
    "Antarctica": _l("Antarctica"),
}
RECOMMENDATION_LABELS = {
    Recommendation.STRONGLY_SUPPORT.value: _l("Strongly support"),
    Recommendation.SUPPORT.value: _l("Support"),
    Recommendation.NEUTRAL.value: _l("Neutral"),
    Recommendation.DO_NOT_SUPPORT.value: _l("Do not support"),
}
CONFIDENCE_LABELS = {
    "1": _l("1 — not confident"),
    "2": _l("2"),
    "3": _l("3 — fairly confident"),
    "4": _l("4"),
    "5": _l("5 — expert in this"),
}

_SEPARATORS = re.compile(r"[,;\n]+")


def split_list(text: str | None) -> list[str]:
    """Items typed one per line or separated by commas."""
    return [item.strip() for item in _SEPARATORS.split(text or "") if item.strip()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReviewerProfileForm(FlaskForm):
    countries = StringField(
        _l("Countries you are affiliated with"),
        description=_l("ISO 3166 codes separated by commas, for example PT, KE."),
    )
    cities = TextAreaField(_l("Cities you are affiliated with"), description=_l("One per line."))
    organisations = TextAreaField(
        _l("Organisations you work or worked with"), description=_l("One per line.")
    )
    email_domains = StringField(
        _l("Email domains of those organisations"),
        description=_l("Separated by commas, for example lisboa.pt, unesco.org."),
    )
    languages = StringField(
        _l("Languages you read"),
        validators=[DataRequired()],
        description=_l("Codes separated by commas, for example en, fr, ar."),
    )
    region = SelectField(
        _l("Your region"),
        choices=[SelectChoice("", _l("Not given"))]
        + [SelectChoice(r, REGION_LABELS[r]) for r in REGIONS],
        default="",
    )
    expertise = TextAreaField(_l("Expertise"), validators=[Length(max=5000)])
    max_proposals = IntegerField(
        _l("Most proposals you will review in a call"),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )

    def fill_from(self, profile) -> None:
        self.countries.data = ", ".join(profile.countries or [])
        self.cities.data = "\n".join(profile.cities or [])
        self.organisations.data = "\n".join(profile.organisations or [])
        self.email_domains.data = ", ".join(profile.email_domains or [])
        self.languages.data = ", ".join(profile.languages or [])
        self.region.data = profile.region or ""
        self.expertise.data = profile.expertise or ""
        self.max_proposals.data = profile.max_proposals

    def values(self) -> dict:
        return {
            "countries": split_list(self.countries.data),
            "cities": split_list(self.cities.data),
            "organisations": split_list(self.organisations.data),
            "email_domains": split_list(self.email_domains.data),
            "languages": split_list(self.languages.data),
            "region": self.region.data or None,
            "expertise": self.expertise.data or "",
            "max_proposals": self.max_proposals.data,
        }


class BaseReviewForm(FlaskForm):
    overall_comment = TextAreaField(
        _l("Comment for the organisers"), validators=[Length(max=20000)]
    )
    comment_for_applicant = TextAreaField(
        _l("Comment for the city"), validators=[Length(max=20000)]
    )
    comment_shareable = BooleanField(_l("This comment may be shared with the city"))
    recommendation = SelectField(
        _l("Recommendation"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(v, label) for v, label in RECOMMENDATION_LABELS.items()],
        default="",
    )
    confidence = SelectField(
        _l("How confident are you in this review?"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(v, label) for v, label in CONFIDENCE_LABELS.items()],
        default="",
    )
    version = HiddenField()

    criteria: list[Criterion] = []

    def score_field(self, criterion: Criterion) -> Field:
        return self[f"score_{criterion.key}"]

    def comment_field(self, criterion: Criterion) -> Field:
        return self[f"comment_{criterion.key}"]


def _score_validator(criterion: Criterion):
    def validate(form, field) -> None:
        try:
            parse_score(criterion, field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None

    return validate


def make_review_form(criteria: list[Criterion], **kwargs) -> BaseReviewForm:
    """A scoring form with `score_<key>` and `comment_<key>` for each of the call's criteria."""

    class ReviewForm(BaseReviewForm):
        pass

    for criterion in criteria:
        setattr(
            ReviewForm,
            f"score_{criterion.key}",
            StringField(
                criterion.name,
                validators=[_score_validator(criterion)],
                render_kw={
                    "type": "number",
                    "min": f"{criterion.scale_min:g}",
                    "max": f"{criterion.scale_max:g}",
                    "step": f"{criterion.scale_step:g}",
                    "inputmode": "decimal",
                },
            ),
        )
        setattr(
            ReviewForm,
            f"comment_{criterion.key}",
            TextAreaField(
                _l("Comment on %(name)s", name=criterion.name), validators=[Length(max=10000)]
            ),
        )
    ReviewForm.criteria = list(criteria)
    return ReviewForm(**kwargs)


class WithdrawForm(FlaskForm):
    kind = RadioField(
        _l("Why do you step back?"),
        choices=[
            SelectChoice("abstain", _l("I abstain (no time, outside my expertise)")),
            SelectChoice("conflict", _l("I have a conflict of interest with this proposal")),
        ],
        validators=[InputRequired()],
        default="abstain",
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class AutoAssignForm(FlaskForm):
    replan_unstarted = BooleanField(
        _l("Also re-plan assignments that nobody has started"),
        description=_l("Assignments with a review, draft or submitted, are always kept."),
    )


# Ids as the database stores them (32-bit): a longer number is a damaged plan, not a 500.
_ID = r"[0-9]{1,9}"
_PAIR = re.compile(rf"{_ID}:{_ID}")
_IDS = re.compile(rf"{_ID}(,{_ID})*")


class ApplyPlanForm(FlaskForm):
    pairs = HiddenField()
    removals = HiddenField()
    # The assignments the preview said applying ends, so that applying ends no others.
    recusals = HiddenField()
    # The preview's option, to show the same plan again when applying is refused.
    replan_unstarted = HiddenField()
    confirm_recusals = BooleanField(
        _l("End these reviews, submitted ones included, because of the conflicts of interest")
    )

    def validate_pairs(self, field) -> None:
        if field.data and not all(_PAIR.fullmatch(p) for p in field.data.split(",")):
            raise ValidationError(_l("The plan was damaged; preview again."))

    def validate_removals(self, field) -> None:
        if field.data and not _IDS.fullmatch(field.data):
            raise ValidationError(_l("The plan was damaged; preview again."))

    def validate_recusals(self, field) -> None:
        if field.data and not _IDS.fullmatch(field.data):
            raise ValidationError(_l("The plan was damaged; preview again."))

    def pair_list(self) -> list[tuple[int, int]]:
        return (
            [(int(p), int(r)) for p, r in (pair.split(":") for pair in self.pairs.data.split(","))]
            if self.pairs.data
            else []
        )

    def removal_list(self) -> list[int]:
        return [int(i) for i in self.removals.data.split(",")] if self.removals.data else []

    def recusal_list(self) -> list[int]:
        return [int(i) for i in self.recusals.data.split(",")] if self.recusals.data else []

    def replans_unstarted(self) -> bool:
        return self.replan_unstarted.data == "y"

    @staticmethod
    def encode(
        pairs: list[tuple[int, int]],
        removals: list[int],
        recusals: Sequence[int] = (),
        replan_unstarted: bool = False,
    ) -> dict[str, str]:
        return {
            "pairs": ",".join(f"{p}:{r}" for p, r in pairs),
            "removals": ",".join(str(i) for i in removals),
            "recusals": ",".join(str(i) for i in recusals),
            "replan_unstarted": "y" if replan_unstarted else "",
        }


class ChooseReviewersForm(FlaskForm):
    reviewer_ids = MultiCheckboxField(_l("Reviewers"), coerce=int, validate_choice=False)


class ChooseProposalsForm(FlaskForm):
    proposal_ids = MultiCheckboxField(_l("Proposals"), coerce=int, validate_choice=False)


class SetConflictForm(FlaskForm):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ButtonForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
