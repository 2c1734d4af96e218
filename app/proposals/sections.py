"""The application form, declared once: its sections, their fields and what each requires.

Completeness marks, saving a draft, the submit check and the confirmation email all read
these definitions, so they never disagree about what the form holds. A field is stored
either in a Proposal column of the same name (`column=True`) or in `answers[section][name]`;
the narratives live in `answers["narratives"][criterion.key]`, one per criterion of the call.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.calls.models import Call
from app.calls.texts import current_locale, text_in
from app.proposals.countries import country_name, is_country_code
from app.proposals.models import PartnerKind, Proposal, ProposalState


class Kind(enum.StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    INTEGER = "integer"
    COUNTRY = "country"
    LANGUAGE = "language"
    CHOICE = "choice"


class SectionKind(enum.StrEnum):
    FIELDS = "fields"
    PARTNERS = "partners"
    ATTACHMENTS = "attachments"


READINESS_CHOICES = (
    ("yes", _l("Yes, in place")),
    ("planned", _l("Planned, not yet in place")),
    ("no", _l("No")),
)

PARTNER_KIND_LABELS = {
    PartnerKind.NGO: _l("Non-governmental organisation"),
    PartnerKind.UNIVERSITY: _l("University or research body"),
    PartnerKind.CULTURAL: _l("Cultural organisation"),
    PartnerKind.BUSINESS: _l("Business"),
    PartnerKind.PUBLIC: _l("Public body"),
    PartnerKind.OTHER: _l("Other"),
}
PARTNER_OFFERS = (
    ("offers_people", _l("People to run the café")),
    ("offers_space", _l("A space of about 60-80 m², open and accessible")),
    ("offers_networks", _l("Links to the networks that would use the café")),
)
PARTNER_TEXT_LIMITS = {"organisation": 300, "email_domain": 255, "description": 2000}
MAX_PARTNERS = 20
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{3,40}$")
NARRATIVES = "narratives"


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the form field's name and HTML id
    label: Any
    kind: Kind = Kind.TEXT
    required: bool = True  # needed to submit; a draft may leave it empty
    column: bool = False
    max_length: int = 300
    hint: Any = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, Any], ...] = ()
    answers_key: str | None = None  # the key inside answers[section], when not `name`

    @property
    def key(self) -> str:
        return self.answers_key or self.name


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    intro: Any
    fields: tuple[FieldSpec, ...] = ()
    kind: SectionKind = SectionKind.FIELDS
    optional: bool = False


@dataclass(frozen=True)
class Problem:
    """One missing or invalid item, with where to fix it."""

    section: str
    field_id: str
    label: str
    message: str


@dataclass
class SectionInput:
    """What a city sent for one section, already parsed by the form."""

    values: dict[str, Any] = field(default_factory=dict)
    partners: list[dict[str, Any]] | None = None


SECTIONS: tuple[Section, ...] = (
    Section(
        "city",
        _l("Your city"),
        _l("The city that would host the Dialogue Café."),
        (
            FieldSpec("city", _l("City"), column=True, max_length=200),
            FieldSpec("country_code", _l("Country"), Kind.COUNTRY, column=True, max_length=2),
            FieldSpec(
                "region",
                _l("Region, state or province"),
                column=True,
                required=False,
                max_length=200,
            ),
            FieldSpec(
                "population",
                _l("Population"),
                Kind.INTEGER,
                column=True,
                minimum=0,
                maximum=100_000_000,
                hint=_l("An estimate is fine. Digits only."),
            ),
            FieldSpec(
                "language",
                _l("Language of your answers"),
                Kind.LANGUAGE,
                column=True,
                max_length=16,
            ),
        ),
    ),
    Section(
        "organisation",
        _l("Applying organisation"),
        _l("Who applies, and whom we should write to about this proposal."),
        (
            FieldSpec(
                "organisation",
                _l("Applying organisation"),
                column=True,
                hint=_l("The city government, or the organisation applying with its support."),
            ),
            FieldSpec("contact_name", _l("Contact person"), column=True, max_length=200),
            FieldSpec(
                "contact_role",
                _l("Their role or position"),
                required=False,
                max_length=200,
            ),
            FieldSpec(
                "contact_email", _l("Contact email"), Kind.EMAIL, column=True, max_length=320
            ),
            FieldSpec(
                "contact_phone",
                _l("Contact telephone"),
                Kind.PHONE,
                column=True,
                max_length=64,
                hint=_l("With the country code, for example +351 21 000 0000."),
            ),
        ),
    ),
    Section(
        "partners",
        _l("Partner organisations"),
        _l(
            "The organisations that would run the café with you. Each may offer one, two or "
            "all of: people to run the café, a space of about 60-80 m² that is open and "
            "accessible, and links to the networks that would use it."
        ),
        kind=SectionKind.PARTNERS,
    ),
    Section(
        "venue",
        _l("Venue"),
        _l("Where the café would be."),
        (
            FieldSpec("address", _l("Address"), Kind.TEXTAREA, max_length=1000),
            FieldSpec(
                "accessibility",
                _l("Accessibility"),
                Kind.TEXTAREA,
                max_length=3000,
                hint=_l(
                    "Step-free access, public transport, toilets, and how the space is open "
                    "to everyone."
                ),
            ),
            FieldSpec("opening_hours", _l("Opening hours"), max_length=300),
            FieldSpec(
                "floor_area",
                _l("Floor area (m²)"),
                Kind.INTEGER,
                minimum=1,
                maximum=100_000,
                hint=_l("A Dialogue Café needs about 60-80 m²."),
            ),
        ),
    ),
    Section(
        "technical",
        _l("Technical readiness"),
        _l("The café links to other cities through high-quality videoconferencing."),
        (
            FieldSpec(
                "broadband", _l("Broadband connection"), Kind.CHOICE, choices=READINESS_CHOICES
            ),
            FieldSpec(
                "video_wall_room",
                _l("Room for the video wall"),
                Kind.CHOICE,
                choices=READINESS_CHOICES,
            ),
            FieldSpec(
                "staff",
                _l("Staff to run the equipment"),
                Kind.CHOICE,
                choices=READINESS_CHOICES,
            ),
            FieldSpec(
                "technical_notes",
                _l("Notes on technical readiness"),
                Kind.TEXTAREA,
                required=False,
                max_length=3000,
            ),
        ),
    ),
    Section(
        NARRATIVES,
        _l("Your answers to the criteria"),
        _l("One answer per criterion. Reviewers score each answer against the criterion."),
    ),
    Section(
        "programme",
        _l("Programme"),
        _l("What would happen in the café, and with whom."),
        (
            FieldSpec(
                "programme_ideas",
                _l("Programme ideas"),
                Kind.TEXTAREA,
                max_length=5000,
                hint=_l("The first conversations you would like to hold."),
            ),
            FieldSpec(
                "linked_cities",
                _l("Cities to link with"),
                Kind.TEXTAREA,
                max_length=2000,
                hint=_l("The cities your café would like to talk with, and why."),
            ),
        ),
    ),
    Section(
        "funding",
        _l("Funding and sustainability"),
        _l("How the café would be paid for, now and in the years to come."),
        (
            FieldSpec("funding", _l("Funding"), Kind.TEXTAREA, max_length=5000),
            FieldSpec("sustainability", _l("Sustainability"), Kind.TEXTAREA, max_length=5000),
        ),
    ),
    Section(
        "attachments",
        _l("Attachments"),
        _l("Letters of support and venue plans: PDF, PNG or JPEG files."),
        kind=SectionKind.ATTACHMENTS,
        optional=True,
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
FIRST_SECTION = SECTIONS[0].key


def get_section(key: str) -> Section | None:
    return SECTIONS_BY_KEY.get(key)


def next_section(key: str) -> Section | None:
    keys = [section.key for section in SECTIONS]
    index = keys.index(key)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None


def narrative_field_name(criterion_key: str) -> str:
    return f"narrative_{criterion_key}"


def fields_of(section: Section, call: Call) -> tuple[FieldSpec, ...]:
    """The section's fields; the narratives follow the call's criteria."""
    if section.key != NARRATIVES:
        return section.fields
    return narrative_fields(call)


def narrative_fields(call: Call) -> tuple[FieldSpec, ...]:
    """One narrative field per criterion of the call.

    Kept in each process per call version and language (a criterion's name and guidance
    are read in the page's language, app/calls/texts.py), its `updated_at`, which every
    change of a criterion or its translations moves (`calls.services`): the form's pages,
    every page of every city's sitting, then read no criteria. `CRITERIA_FIELDS_CACHE_SIZE`
    calls are kept.
    """
    size = current_app.config["CRITERIA_FIELDS_CACHE_SIZE"]
    cache = current_app.extensions.setdefault("proposal_narrative_fields", {})
    locale = current_locale()  # the criteria's names and guidance in the city's language
    key = (call.id, call.updated_at, locale)
    fields = cache.get(key)
    if fields is None:
        fields = tuple(
            FieldSpec(
                narrative_field_name(criterion.key),
                text_in(criterion, "name", locale).value,
                Kind.TEXTAREA,
                max_length=criterion.max_length,
                hint=text_in(criterion, "guidance", locale).value,
                answers_key=criterion.key,
            )
            for criterion in call.criteria
        )
        if size > 0 and call.id is not None:  # a call not yet stored has no version
            while len(cache) >= size:
                cache.pop(next(iter(cache), None), None)  # the oldest call goes
            cache[key] = fields
    return fields


# -- values -------------------------------------------------------------------------------


def read_value(proposal: Proposal, section: Section, spec: FieldSpec) -> Any:
    if spec.column:
        return getattr(proposal, spec.name)
    return (proposal.answers or {}).get(section.key, {}).get(spec.key)


def write_value(
    proposal: Proposal, answers: dict[str, Any], section: Section, spec: FieldSpec, value: Any
) -> None:
    """Set one field; `answers` is the caller's copy, assigned back once (JSON is not tracked)."""
    if spec.column:
        setattr(proposal, spec.name, "" if value is None and _is_text_column(spec) else value)
    else:
        answers.setdefault(section.key, {})[spec.key] = value


def _is_text_column(spec: FieldSpec) -> bool:
    return spec.kind not in (Kind.INTEGER, Kind.COUNTRY)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def format_error(spec: FieldSpec, value: Any, call: Call) -> str | None:
    """Why a value cannot be stored (empty is always storable in a draft), or None."""
    if is_blank(value):
        return None
    if spec.kind == Kind.INTEGER:
        if not isinstance(value, int) or isinstance(value, bool):
            return _("Please enter a whole number.")
        if spec.minimum is not None and value < spec.minimum:
            return _("Please enter a number of at least %(minimum)s.", minimum=spec.minimum)
        if spec.maximum is not None and value > spec.maximum:
            return _("Please enter a number of at most %(maximum)s.", maximum=spec.maximum)
        return None
    if not isinstance(value, str):
        return _("Please enter text.")
    if len(value) > spec.max_length:
        return _(
            "Please shorten this to %(limit)s characters (it has %(length)s).",
            limit=spec.max_length,
            length=len(value),
        )
    if spec.kind == Kind.EMAIL:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return _("Please enter an email address such as name@example.org.")
    elif spec.kind == Kind.PHONE and not PHONE_PATTERN.match(value.strip()):
        return _("Please enter a telephone number using digits, spaces and + ( ) - only.")
    elif spec.kind == Kind.COUNTRY and not is_country_code(value):
        return _("Please choose a country from the list.")
    elif spec.kind == Kind.LANGUAGE and value not in (call.languages or []):
        return _("Please choose one of the languages this call accepts.")
    elif spec.kind == Kind.CHOICE and value not in {choice for choice, _label in spec.choices}:
        return _("Please choose one of the options.")
    return None


def partner_format_error(row: Mapping[str, Any]) -> str | None:
    for name, limit in PARTNER_TEXT_LIMITS.items():
        if len(row.get(name) or "") > limit:
            return _("Please shorten this to %(limit)s characters.", limit=limit)
    if row.get("kind") not in {kind.value for kind in PartnerKind}:
        return _("Please choose one of the options.")
    return None


# A partner's email domain, as people write it ("example.org", "@câmara-lisboa.pt"): labels
# of letters, digits and hyphens, a dot between them, the last one letters.
EMAIL_DOMAIN = re.compile(r"^@?(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$")


def is_email_domain(value: str | None) -> bool:
    """Empty (not known) or a domain; the conflict check compares it with reviewers'."""
    return not value or EMAIL_DOMAIN.match(value.strip()) is not None


def unknown_partner_kinds(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Rows whose kind is none the form offers (a tampered request), by the kind's field id.

    Checked before the rows are compared with the stored ones: comparing summarises them
    (`partner_summary`), which reads the kind as a PartnerKind.
    """
    kinds = {kind.value for kind in PartnerKind}
    return {
        f"partners-{index}-kind": _("Please choose one of the options.")
        for index, row in enumerate(rows)
        if row.get("kind") and row["kind"] not in kinds and not partner_is_blank(row)
    }


def partner_is_blank(row: Mapping[str, Any]) -> bool:
    return not any((row.get(name) or "").strip() for name in PARTNER_TEXT_LIMITS) and not any(
        row.get(name) for name, _label in PARTNER_OFFERS
    )


# -- completeness ---------------------------------------------------------------------------


def section_problems(proposal: Proposal, section: Section, call: Call) -> list[Problem]:
    """Everything missing or invalid in one section, in the order of the form."""
    if section.kind == SectionKind.PARTNERS:
        return partner_problems(proposal.partners)
    problems = []
    for spec in fields_of(section, call):
        value = read_value(proposal, section, spec)
        if spec.required and is_blank(value):
            message = _("This is needed before you can submit.")
        else:
            message = format_error(spec, value, call)
        if message:
            problems.append(Problem(section.key, spec.name, str(spec.label), message))
    return problems


def partner_problems(partners: Iterable[Any]) -> list[Problem]:
    partners = list(partners)
    label = str(_l("Partner organisations"))
    if not partners:
        return [
            Problem(
                "partners",
                "partners-0-organisation",
                label,
                _("Please name at least one partner organisation."),
            )
        ]
    problems = []
    for index, partner in enumerate(partners):
        row_label = _("Partner %(number)s", number=index + 1)
        if is_blank(partner.organisation):
            problems.append(
                Problem(
                    "partners",
                    f"partners-{index}-organisation",
                    row_label,
                    _("Please give the organisation's name."),
                )
            )
        if not any(getattr(partner, name) for name, _label in PARTNER_OFFERS):
            problems.append(
                Problem(
                    "partners",
                    f"partners-{index}-offers_people",
                    row_label,
                    _("Please say what this partner offers: people, a space or networks."),
                )
            )
    return problems


def all_problems(proposal: Proposal, call: Call) -> list[Problem]:
    return [
        problem for section in SECTIONS for problem in section_problems(proposal, section, call)
    ]


def completeness(proposal: Proposal, call: Call) -> dict[str, bool]:
    """Section key -> complete, for the marks in the section navigation."""
    return {section.key: not section_problems(proposal, section, call) for section in SECTIONS}


def display_value(spec: FieldSpec, value: Any) -> str:
    """A stored value as a reader sees it: choices by their label, countries by name."""
    if is_blank(value):
        return ""
    if spec.kind == Kind.CHOICE:
        return str(dict(spec.choices).get(value, value))
    if spec.kind == Kind.COUNTRY:
        return country_name(value, str(get_locale() or "en"))
    if spec.kind == Kind.LANGUAGE:
        return language_name(value)
    return str(value)


def language_name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(str(get_locale() or "en")) or code
    except (ValueError, UnknownLocaleError):
        return code


def partner_summary(partner: Any) -> str:
    offers = [str(label) for name, label in PARTNER_OFFERS if getattr(partner, name)]
    kind = PARTNER_KIND_LABELS.get(PartnerKind(partner.kind), partner.kind)
    text = f"{partner.organisation or '—'} ({kind})"
    if offers:
        text += ": " + "; ".join(offers)
    if partner.description:
        text += f". {partner.description}"
    return text


@dataclass(frozen=True)
class ReadableSection:
    key: str
    title: str
    items: list[tuple[str, str]]


def readable_answers(proposal: Proposal, call: Call) -> list[ReadableSection]:
    """Every section's answers as (label, value) text, for pages and the confirmation email."""
    readable = []
    for section in SECTIONS:
        if section.kind == SectionKind.ATTACHMENTS:
            continue
        if section.kind == SectionKind.PARTNERS:
            items = [
                (_("Partner %(number)s", number=index + 1), partner_summary(partner))
                for index, partner in enumerate(proposal.partners)
            ]
        else:
            items = [
                (str(spec.label), display_value(spec, read_value(proposal, section, spec)))
                for spec in fields_of(section, call)
            ]
        readable.append(ReadableSection(section.key, str(section.title), items))
    return readable


STATE_LABELS = {
    ProposalState.DRAFT: _l("Draft"),
    ProposalState.SUBMITTED: _l("Submitted"),
    ProposalState.CLARIFICATION_REQUESTED: _l("Question from the organisers"),
    ProposalState.UNDER_REVIEW: _l("Under review"),
    ProposalState.SHORTLISTED: _l("Shortlisted"),
    ProposalState.DECLINED: _l("Not selected"),
    ProposalState.WITHDRAWN: _l("Withdrawn"),
}
