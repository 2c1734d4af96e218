"""Shortlist forms: input and its shape only; the rules that need the database live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from app.core.forms import FlaskForm
from app.shortlists.exporters import FORMATS
from app.shortlists.scoring import ScoringOptions
from app.shortlists.services import CompileParameters

METHOD_CHOICES = [SelectChoice("mean", _l("Mean")), SelectChoice("median", _l("Median"))]
GROUP_BY_CHOICES = [
    SelectChoice("continent", _l("Continent")),
    SelectChoice("region", _l("Region")),
]
# The same choices inside a sentence ("at least 3 per continent", "combined by their mean").
GROUP_BY_WORDS = {"continent": _l("continent"), "region": _l("region")}
METHOD_WORDS = {"mean": _l("mean"), "median": _l("median")}


class ScoringFields(FlaskForm):
    method = SelectField(
        _l("Combine the reviews of a criterion by their"), choices=METHOD_CHOICES, default="mean"
    )
    calibrate = BooleanField(
        _l("Calibrate reviewers: compare each score with the reviewer's own mean and spread")
    )
    min_reviews_for_calibration = IntegerField(
        _l("Calibrate a reviewer only after this many reviews"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    weight_by_confidence = BooleanField(_l("Weight each review by the reviewer's confidence"))

    def validate_weight_by_confidence(self, field) -> None:
        if field.data and self.method.data == "median":
            raise ValidationError(_l("Confidence weighting applies to the mean only."))

    def scoring_options(self) -> ScoringOptions:
        return ScoringOptions(
            method=self.method.data if self.method.data in ("mean", "median") else "mean",
            calibrate=bool(self.calibrate.data),
            min_reviews_for_calibration=self.min_reviews_for_calibration.data or 3,
            weight_by_confidence=bool(self.weight_by_confidence.data),
        )


class ScoringOptionsForm(ScoringFields):
    """The ranking page's view options (a GET form: nothing changes)."""

    class Meta:
        csrf = False


class CompileForm(ScoringFields):
    size = IntegerField(
        _l("How many cities"), default=10, validators=[InputRequired(), NumberRange(1, 1000)]
    )
    min_score = DecimalField(
        _l("Minimum score (0 to 100)"), places=2, validators=[Optional(), NumberRange(0, 100)]
    )
    group_by = SelectField(_l("Balance by"), choices=GROUP_BY_CHOICES, default="continent")
    min_per_group = IntegerField(
        _l("At least this many from every continent or region that applied"),
        default=1,
        validators=[InputRequired(), NumberRange(0, 100)],
    )
    max_per_group = IntegerField(
        _l("At most this many per continent or region (empty: no limit)"),
        validators=[Optional(), NumberRange(1, 1000)],
    )
    max_per_country = IntegerField(
        _l("At most this many per country (empty: no limit)"),
        default=1,
        validators=[Optional(), NumberRange(1, 1000)],
    )
    min_groups = IntegerField(
        _l("At least this many different continents or regions"),
        default=0,
        validators=[Optional(), NumberRange(0, 100)],
    )

    def validate_max_per_group(self, field) -> None:
        if field.data is not None and (self.min_per_group.data or 0) > field.data:
            raise ValidationError(_l("The maximum per region cannot be below the minimum."))

    def validate_min_groups(self, field) -> None:
        if field.data and self.size.data and field.data > self.size.data:
            raise ValidationError(_l("More regions than cities cannot be reached."))

    def parameters(self) -> CompileParameters:
        return CompileParameters(
            size=self.size.data,
            min_score=float(self.min_score.data) if self.min_score.data is not None else None,
            group_by=self.group_by.data,
            min_per_group=self.min_per_group.data or 0,
            max_per_group=self.max_per_group.data,
            max_per_country=self.max_per_country.data,
            min_groups=self.min_groups.data or 0,
            scoring=self.scoring_options(),
        )


class AdjustForm(FlaskForm):
    include = HiddenField(validators=[InputRequired(), AnyOf(["1", "0"])])
    reason = TextAreaField(
        _l("Reason for the change"),
        validators=[InputRequired(_l("Say why you change the shortlist.")), Length(max=2000)],
    )


INCLUDE_COMMENTS_LABEL = _l(
    "Include the comments reviewers wrote for the city and allowed to be shared"
)


class PublishPreviewForm(FlaskForm):
    """The preview's view option (a GET form: nothing changes, so no CSRF token)."""

    # Its own id: the publishing form on the same page has the same field.
    include_comments = BooleanField(INCLUDE_COMMENTS_LABEL, id="preview-include-comments")

    class Meta:
        csrf = False


class PublishForm(FlaskForm):
    include_comments = BooleanField(INCLUDE_COMMENTS_LABEL)
    changes_reason = TextAreaField(
        _l("Why publish without compiling again"),
        validators=[Optional(), Length(max=2000)],
    )
    confirm = BooleanField(
        _l("I have read the preview: publish the decisions and email every city"),
        validators=[InputRequired(_l("Confirm that you have read the preview."))],
    )


class ExportForm(FlaskForm):
    export_format = SelectField(
        _l("Format"), choices=[SelectChoice(name, chosen.label) for name, chosen in FORMATS.items()]
    )
