"""The API's documents of rankings, shortlists, exports and jobs (marshmallow): what the
ranking, shortlist and job pages show, and the options of their forms.

The input schemas refuse what the pages' forms refuse (app/shortlists/forms.py), with the
same messages; their defaults are the forms' defaults.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import OneOf, Range

from app.shortlists.exporters import FORMATS
from app.shortlists.scoring import METHODS, ScoringOptions
from app.shortlists.services import CompileParameters
from app.shortlists.solver import GROUP_BY_CHOICES

# --- input ----------------------------------------------------------------------------------


class ScoringIn(Schema):
    """How the reviews of a criterion are combined: the ranking page's options."""

    method = fields.String(
        load_default="mean",
        validate=OneOf(METHODS),
        metadata={"description": "combine the reviews of a criterion by their mean or median"},
    )
    calibrate = fields.Boolean(
        load_default=False,
        metadata={"description": "compare each score with the reviewer's own mean and spread"},
    )
    min_reviews_for_calibration = fields.Integer(
        load_default=3,
        validate=Range(1, 1000),
        metadata={"description": "calibrate a reviewer only after this many reviews"},
    )
    weight_by_confidence = fields.Boolean(
        load_default=False,
        metadata={"description": "weight each review by its confidence (the mean only)"},
    )

    @validates_schema
    def _confidence_weights_the_mean_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("weight_by_confidence") and data.get("method") == "median":
            raise ValidationError(
                _("Confidence weighting applies to the mean only."), "weight_by_confidence"
            )

    @staticmethod
    def scoring_options(data: dict[str, Any]) -> ScoringOptions:
        return ScoringOptions(
            method=data["method"],
            calibrate=data["calibrate"],
            min_reviews_for_calibration=data["min_reviews_for_calibration"],
            weight_by_confidence=data["weight_by_confidence"],
        )


class RankingQuery(ScoringIn):
    @post_load
    def _options(self, data: dict[str, Any], **kwargs: Any) -> ScoringOptions:
        return self.scoring_options(data)


_DEFAULTS = CompileParameters()


class CompileIn(ScoringIn):
    """The compile form's rules; a rule left out takes the form's default, null is no limit."""

    size = fields.Integer(
        load_default=_DEFAULTS.size,
        validate=Range(1, 1000),
        metadata={"description": "how many cities"},
    )
    min_score = fields.Float(
        load_default=None,
        allow_none=True,
        validate=Range(0, 100),
        metadata={"description": "the minimum score, 0 to 100 (null: none)"},
    )
    group_by = fields.String(
        load_default=_DEFAULTS.group_by,
        validate=OneOf(GROUP_BY_CHOICES),
        metadata={"description": "balance by continent or region"},
    )
    min_per_group = fields.Integer(
        load_default=_DEFAULTS.min_per_group,
        validate=Range(0, 100),
        metadata={"description": "at least this many from every continent or region that applied"},
    )
    max_per_group = fields.Integer(
        load_default=_DEFAULTS.max_per_group,
        allow_none=True,
        validate=Range(1, 1000),
        metadata={"description": "at most this many per continent or region (null: no limit)"},
    )
    max_per_country = fields.Integer(
        load_default=_DEFAULTS.max_per_country,
        allow_none=True,
        validate=Range(1, 1000),
        metadata={"description": "at most this many per country (null: no limit)"},
    )
    min_groups = fields.Integer(
        load_default=_DEFAULTS.min_groups,
        validate=Range(0, 100),
        metadata={"description": "at least this many different continents or regions"},
    )

    @validates_schema
    def _rules_fit_together(self, data: dict[str, Any], **kwargs: Any) -> None:
        maximum, minimum = data.get("max_per_group"), data.get("min_per_group") or 0
        if maximum is not None and minimum > maximum:
            raise ValidationError(
                _("The maximum per region cannot be below the minimum."), "max_per_group"
            )
        if (data.get("min_groups") or 0) > (data.get("size") or 0):
            raise ValidationError(_("More regions than cities cannot be reached."), "min_groups")

    @post_load
    def _parameters(self, data: dict[str, Any], **kwargs: Any) -> CompileParameters:
        return CompileParameters(
            size=data["size"],
            min_score=data["min_score"],
            group_by=data["group_by"],
            min_per_group=data["min_per_group"],
            max_per_group=data["max_per_group"],
            max_per_country=data["max_per_country"],
            min_groups=data["min_groups"],
            scoring=self.scoring_options(data),
        )


class ExportIn(Schema):
    export_format = fields.String(
        required=True,
        data_key="format",
        validate=OneOf(list(FORMATS)),
        metadata={"description": "one of the export formats: " + ", ".join(FORMATS)},
    )


# --- output ---------------------------------------------------------------------------------

Links = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ScoringOptionsOut(Schema):
    method = fields.String(required=True)
    calibrate = fields.Boolean(required=True)
    min_reviews_for_calibration = fields.Integer(required=True)
    weight_by_confidence = fields.Boolean(required=True)


class RankingCriterionOut(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    weight = fields.Float(required=True)
    scale_min = fields.Float(required=True)
    scale_max = fields.Float(required=True)


class RankedProposalOut(Schema):
    rank = fields.Integer(required=True)
    raw_rank = fields.Integer(required=True, metadata={"description": "the rank uncalibrated"})
    proposal_id = fields.Integer(required=True)
    city = fields.String(required=True)
    country_code = fields.String(allow_none=True)
    continent = fields.String(allow_none=True)
    score = fields.Float(
        allow_none=True,
        metadata={"description": "the ranked score, 0-100: calibrated when asked, else raw"},
    )
    total = fields.Float(allow_none=True, metadata={"description": "weighted total, 0-100"})
    total_calibrated = fields.Float(
        allow_none=True, metadata={"description": "with reviewer calibration; null without it"}
    )
    spread = fields.Float(
        allow_none=True,
        metadata={"description": "sd of the reviews' own totals, 0-100 points (two reviews)"},
    )
    disagreement = fields.Boolean(required=True)
    reviews_submitted = fields.Integer(required=True)
    reviews_pending = fields.Integer(required=True)
    reviews_missing = fields.Integer(required=True)
    criteria = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        required=True,
        metadata={"description": "criterion key -> the reviews' mean on its own scale"},
    )


class RankingOut(Schema):
    call_id = fields.Integer(required=True)
    options = fields.Nested(ScoringOptionsOut, required=True)
    criteria = fields.List(fields.Nested(RankingCriterionOut), required=True)
    proposals = fields.List(fields.Nested(RankedProposalOut), required=True)


class ShortlistSummaryOut(Schema):
    id = fields.Integer(required=True)
    call_id = fields.Integer(required=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    compiled_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    size = fields.Integer(required=True, metadata={"description": "proposals in the shortlist"})
    job_id = fields.Integer(allow_none=True)
    links = Links


class ShortlistEntryOut(Schema):
    rank = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    city = fields.String(required=True)
    country_code = fields.String(allow_none=True)
    continent = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    included = fields.Boolean(required=True)
    why = fields.String(required=True, metadata={"description": "why in or out, in words"})
    why_code = fields.String(allow_none=True, metadata={"description": "stable, for programs"})
    adjusted_at = fields.DateTime(allow_none=True)
    adjustment_reason = fields.String(allow_none=True)


class ShortlistOut(ShortlistSummaryOut):
    parameters = fields.Dict(required=True, metadata={"description": "the compile rules"})
    problems = fields.List(
        fields.String(), required=True, metadata={"description": "why no shortlist, in words"}
    )
    entries = fields.List(fields.Nested(ShortlistEntryOut), required=True)


class JobResultOut(Schema):
    name = fields.String(required=True)
    url = fields.String(required=True)


class JobOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "queued, running, ..."})
    progress = fields.Integer(required=True, metadata={"description": "percent"})
    message = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    result = fields.Nested(
        JobResultOut, allow_none=True, metadata={"description": "the file, once succeeded"}
    )
    links = Links
