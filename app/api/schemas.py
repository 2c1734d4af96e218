"""The API's documents (marshmallow): what each resource answers, read from the models and
the same query rows the pages use. Texts an organiser writes come with every translation."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "stable, for programs"})
    message = fields.String(required=True, metadata={"description": "for people"})
    field = fields.String(allow_none=True, metadata={"description": "the field at fault"})
    problems = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        data_key="fields",
        metadata={"description": "each refused field with its messages (422)"},
    )


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


Translations = fields.Dict(
    keys=fields.String(),
    values=fields.Dict(keys=fields.String(), values=fields.String()),
    metadata={"description": "language -> field -> text, for the call's other languages"},
)


class CriterionOut(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    position = fields.Integer(required=True)
    name = fields.String(required=True)
    guidance = fields.String(required=True)
    rubric_low = fields.String(required=True)
    rubric_middle = fields.String(required=True)
    rubric_high = fields.String(required=True)
    weight = fields.Float(required=True)
    scale_min = fields.Float(required=True)
    scale_max = fields.Float(required=True)
    scale_step = fields.Float(required=True)
    max_length = fields.Integer(required=True)
    translations = Translations


class EligibilityQuestionOut(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    text = fields.String(required=True)
    explanation = fields.String(required=True)
    qualifying_answer = fields.Boolean(required=True)
    translations = Translations


class CallSummaryOut(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    languages = fields.List(fields.String(), required=True)


class CallOut(CallSummaryOut):
    description = fields.String(required=True, metadata={"description": "Markdown"})
    review_deadline = fields.DateTime(allow_none=True)
    reviews_per_proposal = fields.Integer(required=True)
    translations = Translations
    criteria = fields.List(fields.Nested(CriterionOut), required=True)
    eligibility_questions = fields.List(fields.Nested(EligibilityQuestionOut), required=True)
