"""Forms of the proposals domain: input only, built from the section definitions.

A section form never validates what is required (a draft may be half empty) and never
decides what may be stored: it parses what was sent and hands it to the save service,
which applies the rules of `sections.py`.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.calls.models import Call
from app.calls.texts import text_in
from app.core.forms import FlaskForm, Form
from app.proposals import sections
from app.proposals.countries import country_choices
from app.proposals.models import AttachmentKind, PartnerKind, Proposal, ProposalState
from app.proposals.services import MAX_ANSWER, MAX_QUESTION, MAX_WITHDRAWAL_REASON

YES_NO = (("yes", _l("Yes")), ("no", _l("No")))
ATTACHMENT_KIND_LABELS = {
    AttachmentKind.LETTER_OF_SUPPORT: _l("Letter of support"),
    AttachmentKind.VENUE_PLAN: _l("Venue plan"),
    AttachmentKind.OTHER: _l("Other document"),
}
# A proposal's state as the organisers read it (the city reads sections.STATE_LABELS).
PROPOSAL_STATE_LABELS = {
    ProposalState.DRAFT: _l("Draft"),
    ProposalState.SUBMITTED: _l("Submitted"),
    ProposalState.CLARIFICATION_REQUESTED: _l("Clarification requested"),
    ProposalState.UNDER_REVIEW: _l("Under review"),
    ProposalState.SHORTLISTED: _l("Shortlisted"),
    ProposalState.DECLINED: _l("Declined"),
    ProposalState.WITHDRAWN: _l("Withdrawn"),
}


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def strip_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def normalise_newlines(value: Any) -> Any:
    # Browsers send CRLF; the character counter and the limit count a line break once.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class WholeNumberField(IntegerField):
    """An integer that may be left empty (a draft), with spaces around it ignored."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        digits = "".join(valuelist[0].split())  # "545 000", with any kind of space
        super().process_formdata([digits])


class RequiredToSubmit:
    """Marks a field as needed before submitting, without the browser's `required`."""

    field_flags = {"required_to_submit": True}

    def __call__(self, form, field) -> None:
        return None


class PartnerForm(Form):
    organisation = StringField(_l("Organisation"), filters=[strip_text])
    kind = SelectField(
        _l("Kind of organisation"),
        choices=choices(
            (kind.value, label) for kind, label in sections.PARTNER_KIND_LABELS.items()
        ),
        default=PartnerKind.OTHER.value,
        validate_choice=False,
    )
    offers_people = BooleanField(sections.PARTNER_OFFERS[0][1])
    offers_space = BooleanField(sections.PARTNER_OFFERS[1][1])
    offers_networks = BooleanField(sections.PARTNER_OFFERS[2][1])
    email_domain = StringField(
        _l("Email domain"),
        filters=[strip_text],
        description=_l("For example example.org; it helps us avoid conflicts of interest."),
    )
    description = TextAreaField(_l("What this partner would do"), filters=[normalise_newlines])


class SectionForm(FlaskForm):
    """The base of every section form; subclasses add the section's fields."""

    version = HiddenField()

    section: sections.Section
    specs: tuple[sections.FieldSpec, ...]

    @property
    def specs_by_name(self) -> dict[str, sections.FieldSpec]:
        return {spec.name: spec for spec in self.specs}

    def sent_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def section_input(self) -> tuple[sections.SectionInput, dict[str, str]]:
        """What was sent (only fields present in the request), and values that did not parse."""
        formdata = request.form
        data = sections.SectionInput()
        parse_errors: dict[str, str] = {}
        for spec in self.specs:
            if spec.name not in formdata:
                continue
            field = self[spec.name]
            if field.process_errors:
                parse_errors[spec.name] = str(field.process_errors[0])
                continue
            data.values[spec.name] = field.data
        if "partners" in self._fields and any(key.startswith("partners-") for key in formdata):
            data.partners = [dict(entry.data) for entry in self["partners"].entries]
        return data, parse_errors

    def attach_errors(self, errors: dict[str, str]) -> None:
        """Show errors (keyed by field id) next to their fields."""
        for field in self._all_fields():
            if field.id in errors:
                field.errors = [*list(field.errors or []), errors[field.id]]

    def _all_fields(self):
        for field in self:
            if isinstance(field, FieldList):
                for entry in field.entries:
                    yield from entry.form
            else:
                yield field


def _make_field(spec: sections.FieldSpec, call: Call) -> Field:
    validators = [RequiredToSubmit()] if spec.required else []
    options: dict[str, Any] = {"validators": validators, "description": spec.hint or ""}
    if spec.kind == sections.Kind.TEXTAREA:
        return TextAreaField(spec.label, filters=[normalise_newlines], **options)
    if spec.kind == sections.Kind.EMAIL:
        return EmailField(spec.label, filters=[strip_text], **options)
    if spec.kind == sections.Kind.PHONE:
        return TelField(spec.label, filters=[strip_text], **options)
    if spec.kind == sections.Kind.INTEGER:
        return WholeNumberField(spec.label, **options)
    if spec.kind == sections.Kind.COUNTRY:
        countries = [("", _l("Choose a country")), *country_choices(str(get_locale() or "en"))]
        return SelectField(
            spec.label,
            choices=choices(countries),
            validate_choice=False,
            **options,
        )
    if spec.kind == sections.Kind.LANGUAGE:
        languages = [("", _l("Choose a language"))] + [
            (code, sections.language_name(code)) for code in call.languages or ["en"]
        ]
        return SelectField(spec.label, choices=choices(languages), validate_choice=False, **options)
    if spec.kind == sections.Kind.CHOICE:
        return RadioField(
            spec.label, choices=choices(spec.choices), validate_choice=False, **options
        )
    return StringField(spec.label, filters=[strip_text], **options)


def make_section_form(section: sections.Section, call: Call) -> type[SectionForm]:
    specs = sections.fields_of(section, call)
    attributes: dict[str, Any] = {"section": section, "specs": specs}
    for spec in specs:
        attributes[spec.name] = _make_field(spec, call)
    if section.kind == sections.SectionKind.PARTNERS:
        attributes["partners"] = FieldList(
            FormField(PartnerForm), min_entries=1, max_entries=sections.MAX_PARTNERS + 1
        )
    return type(f"{section.key.title()}SectionForm", (SectionForm,), attributes)


def section_form_data(
    proposal: Proposal, section: sections.Section, *, extra_partner_rows: int = 0
) -> dict[str, Any]:
    """The stored answers in the shape of the section's form."""
    data: dict[str, Any] = {"version": str(proposal.version)}
    for spec in sections.fields_of(section, proposal.call):
        data[spec.name] = sections.read_value(proposal, section, spec)
    if section.kind == sections.SectionKind.PARTNERS:
        rows = [
            {
                "organisation": partner.organisation,
                "kind": PartnerKind(partner.kind).value,
                "offers_people": partner.offers_people,
                "offers_space": partner.offers_space,
                "offers_networks": partner.offers_networks,
                "email_domain": partner.email_domain or "",
                "description": partner.description,
            }
            for partner in proposal.partners
        ]
        data["partners"] = rows + [{} for _ in range(extra_partner_rows)]
    return data


def make_eligibility_form(call: Call) -> type[FlaskForm]:
    attributes: dict[str, Any] = {
        f"question_{question.id}": RadioField(
            text_in(question, "text").value,
            choices=choices(YES_NO),
            validators=[InputRequired(message=_l("Please answer this question."))],
        )
        for question in call.eligibility_questions
    }

    def answers(self) -> dict[int, bool | None]:
        return {
            question.id: {"yes": True, "no": False}.get(self[f"question_{question.id}"].data)
            for question in call.eligibility_questions
        }

    attributes["answers"] = answers
    return type("EligibilityForm", (FlaskForm,), attributes)


class SubmitForm(FlaskForm):
    version = HiddenField()


class UploadForm(FlaskForm):
    file = FileField(
        _l("File (PDF, PNG or JPEG)"),
        validators=[FileRequired(message=_l("Please choose a file."))],
    )
    kind = SelectField(
        _l("What is it?"),
        choices=choices((kind.value, label) for kind, label in ATTACHMENT_KIND_LABELS.items()),
        default=AttachmentKind.LETTER_OF_SUPPORT.value,
    )


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you withdraw this proposal?"),
        filters=[normalise_newlines],
        validators=[
            DataRequired(message=_l("Please tell us why you withdraw.")),
            Length(max=MAX_WITHDRAWAL_REASON),
        ],
    )


class ClarificationQuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question to the city"),
        filters=[normalise_newlines],
        validators=[DataRequired(message=_l("Please write a question.")), Length(max=MAX_QUESTION)],
    )


class ClarificationAnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"),
        filters=[normalise_newlines],
        validators=[DataRequired(message=_l("Please write your answer.")), Length(max=MAX_ANSWER)],
    )


class ProposalFilterForm(FlaskForm):
    """The proposal list's filters, read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    state = SelectField(
        _l("State"),
        choices=[SelectChoice("", _l("Any state"))]
        + [SelectChoice(state.value, label) for state, label in PROPOSAL_STATE_LABELS.items()],
        default="",
        validate_choice=True,
    )
    country = StringField(_l("Country"), validators=[Optional(), Length(max=2)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=200)])
    q = SearchField(
        _l("Search city, organisation, contact name or email"),
        validators=[Optional(), Length(max=200)],
    )
    after = IntegerField(validators=[Optional(), NumberRange(min=0)])
    all = BooleanField(_l("Show every proposal at once"))

    def valid_or_empty(self, name: str) -> Any:
        """A filter's value, or nothing when it did not validate (its error is shown)."""
        field = self[name]
        return None if field.errors else field.data
