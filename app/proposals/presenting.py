"""A proposal as people read it: labelled sections, the same for every reader.

The city's check page, the organisers' page, the reviewer's page and the PDF dossier all
show what `present_proposal` returns, so a label, a yes/no or a country name never differs
between them, and no reader meets a stored code ("PT", "en", True). It reads a live
Proposal or a submitted snapshot (`services.proposal_snapshot`, which reviewers read) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from app.calls.models import Call
from app.proposals import sections
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.countries import country_name
from app.proposals.forms import ATTACHMENT_KIND_LABELS
from app.proposals.models import Attachment, AttachmentKind, Proposal, ProposalRevision
from app.proposals.sections import Kind, SectionKind

ELIGIBILITY = "eligibility"
# What `hide_applicant_contact` keeps from reviewers: the contact person, not the city.
CONTACT_FIELDS = frozenset({"contact_name", "contact_role", "contact_email", "contact_phone"})
PARTNER_KIND_LABELS = {kind.value: label for kind, label in sections.PARTNER_KIND_LABELS.items()}
ATTACHMENT_LABELS = {kind.value: label for kind, label in ATTACHMENT_KIND_LABELS.items()}


@dataclass(frozen=True)
class Answer:
    label: str
    value: str  # "" when not answered
    long: bool = False  # free text, shown with its line breaks
    left_to_right: bool = False  # an address or a phone number, in any page's direction


@dataclass(frozen=True)
class PartnerCard:
    title: str  # the organisation, or "Partner 2" when the call hides names
    kind: str
    offers: tuple[str, ...]
    email_domain: str
    description: str


@dataclass(frozen=True)
class FileRow:
    id: int | None
    name: str
    kind: str
    size: str
    url: str | None  # where this reader downloads it; None: shown, not linked
    removed_at: datetime | None = None
    uploaded_at: datetime | None = None
    checksum: str = ""  # SHA-256, for the organisers' record


@dataclass(frozen=True)
class PresentedSection:
    key: str
    title: str
    answers: tuple[Answer, ...] = ()
    partners: tuple[PartnerCard, ...] | None = None
    files: tuple[FileRow, ...] | None = None
    note: str = ""  # what the call hides from this reader


@dataclass(frozen=True)
class PresentedProposal:
    proposal_id: int | None
    title: str  # "Lisbon, Portugal"
    sections: tuple[PresentedSection, ...]

    def section(self, key: str) -> PresentedSection | None:
        return next((part for part in self.sections if part.key == key), None)


def yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def file_size(size_bytes: int | None) -> str:
    size = size_bytes or 0
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def present_value(spec: sections.FieldSpec, value: Any) -> str:
    """One stored value in words: labels for choices, names for countries and languages."""
    if isinstance(value, bool):
        return yes_no(value)
    if spec.kind == Kind.INTEGER and isinstance(value, int):
        return format_decimal(value)
    return sections.display_value(spec, value)


def present_proposal(
    source: Proposal | ProposalRevision | Mapping[str, Any],
    call: Call,
    *,
    attachments: Iterable[Attachment | Mapping[str, Any]] = (),
    for_reviewer: bool = False,
    download_url: Callable[[int], str] | None = None,
) -> PresentedProposal:
    """Every section of the form, labelled as the form labels it, in the form's order.

    `for_reviewer` applies what the call hides from reviewers (the contact person, the
    partners' names); `download_url(attachment_id)` links each file for a reader who may
    fetch it (the city and the organisers from proposals, a reviewer from their assignment).
    """
    data = _as_snapshot(source)
    hide_contact = for_reviewer and call.hide_applicant_contact
    hide_partners = for_reviewer and call.hide_partner_names
    parts: list[PresentedSection] = []
    eligibility = _eligibility(call, (data.get("answers") or {}).get(ELIGIBILITY))
    if eligibility:
        parts.append(PresentedSection(ELIGIBILITY, _("Eligibility"), eligibility))
    for section in sections.SECTIONS:
        if section.kind == SectionKind.ATTACHMENTS:
            files = tuple(_file_row(item, download_url) for item in attachments)
            parts.append(PresentedSection(section.key, str(section.title), files=files))
        elif section.kind == SectionKind.PARTNERS:
            cards = tuple(
                _partner_card(index, row, hide_name=hide_partners)
                for index, row in enumerate(data.get("partners") or [], start=1)
                if isinstance(row, Mapping)
            )
            note = _("The call hides the partners' names from reviewers.") if hide_partners else ""
            parts.append(
                PresentedSection(section.key, str(section.title), partners=cards, note=note)
            )
        else:
            hidden = hide_contact and section.key == "organisation"
            answers = []
            for spec in sections.fields_of(section, call):
                if hidden and spec.name in CONTACT_FIELDS:
                    continue
                value = present_value(spec, _read(data, section, spec))
                answers.append(
                    Answer(
                        str(spec.label),
                        value,
                        long=spec.kind == Kind.TEXTAREA,
                        left_to_right=spec.kind in (Kind.EMAIL, Kind.PHONE),
                    )
                )
                if spec.kind == Kind.COUNTRY and data.get("continent"):
                    # Derived from the country, not asked; read beside it.
                    continent = data["continent"]
                    answers.append(
                        Answer(_("Continent"), str(CONTINENT_LABELS.get(continent, continent)))
                    )
            note = _("The call hides the contact person from reviewers.") if hidden else ""
            parts.append(
                PresentedSection(section.key, str(section.title), tuple(answers), note=note)
            )
    country = country_name(data.get("country_code"), str(get_locale() or "en"))
    title = ", ".join(part for part in (data.get("city") or "", country) if part)
    return PresentedProposal(data.get("id"), title, tuple(parts))


# -- reading either source the same way --------------------------------------------------------


def _as_snapshot(source: Proposal | ProposalRevision | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, ProposalRevision):
        return {**(source.snapshot or {}), "id": source.proposal_id}
    if not isinstance(source, Proposal):
        return source
    columns = {
        spec.name: getattr(source, spec.name)
        for section in sections.SECTIONS
        for spec in section.fields
        if spec.column
    }
    return {
        **columns,
        "id": source.id,
        "continent": source.continent,
        "answers": source.answers or {},
        "partners": [
            {
                "organisation": partner.organisation,
                "kind": getattr(partner.kind, "value", partner.kind),
                "offers_people": partner.offers_people,
                "offers_space": partner.offers_space,
                "offers_networks": partner.offers_networks,
                "email_domain": partner.email_domain,
                "description": partner.description,
            }
            for partner in source.partners
        ],
    }


def _read(data: Mapping[str, Any], section: sections.Section, spec: sections.FieldSpec) -> Any:
    if spec.column:
        return data.get(spec.name)
    content = (data.get("answers") or {}).get(section.key)
    return content.get(spec.key) if isinstance(content, Mapping) else None


def _eligibility(call: Call, stored: Any) -> tuple[Answer, ...]:
    """Each question with the city's answer. `start_proposal` keeps True for a question whose
    answer qualified (a draft exists only once every answer did), so the city answered the
    qualifying answer; that is what is shown, never the stored flag."""
    stored = stored if isinstance(stored, Mapping) else {}
    answers = []
    for question_id, text, qualifying_answer in _questions(call):
        flag = stored.get(str(question_id))
        answered = qualifying_answer if flag else not qualifying_answer
        answers.append(Answer(text, "" if flag is None else yes_no(answered)))
    return tuple(answers)


def _questions(call: Call) -> tuple[tuple[int, str, bool], ...]:
    """The call's eligibility questions, kept in each process per call version as
    `sections.narrative_fields` keeps the criteria (a question's change moves the call's
    `updated_at`): the city's check page then reads no questions."""
    size = current_app.config["CRITERIA_FIELDS_CACHE_SIZE"]
    cache = current_app.extensions.setdefault("proposal_eligibility_questions", {})
    key = (call.id, call.updated_at)
    questions = cache.get(key)
    if questions is None:
        questions = tuple(
            (question.id, question.text, question.qualifying_answer)
            for question in call.eligibility_questions
        )
        if size > 0 and call.id is not None:
            while len(cache) >= size:
                cache.pop(next(iter(cache), None), None)  # the oldest call goes
            cache[key] = questions
    return questions


def _partner_card(number: int, row: Mapping[str, Any], *, hide_name: bool) -> PartnerCard:
    organisation = (row.get("organisation") or "").strip()
    if hide_name or not organisation:
        title = _("Partner %(number)s", number=number)
    else:
        title = organisation
    kind = row.get("kind") or ""
    return PartnerCard(
        title=title,
        kind=str(PARTNER_KIND_LABELS.get(kind, kind)),
        offers=tuple(str(label) for name, label in sections.PARTNER_OFFERS if row.get(name)),
        email_domain="" if hide_name else (row.get("email_domain") or ""),
        description=row.get("description") or "",
    )


def _file_row(
    item: Attachment | Mapping[str, Any], download_url: Callable[[int], str] | None
) -> FileRow:
    item_id = item.id if isinstance(item, Attachment) else item.get("id")
    url = download_url(item_id) if download_url is not None and item_id is not None else None
    if isinstance(item, Attachment):
        kind = AttachmentKind(item.kind).value
        return FileRow(
            item.id,
            item.original_name,
            str(ATTACHMENT_LABELS.get(kind, kind)),
            file_size(item.size_bytes),
            url=url,
            removed_at=item.deleted_at,
            uploaded_at=item.uploaded_at,
            checksum=item.checksum_sha256 or "",
        )
    kind = item.get("kind") or ""
    return FileRow(
        item.get("id"),
        item.get("name") or "",
        str(ATTACHMENT_LABELS.get(kind, kind)),
        file_size(item.get("size_bytes")),
        url=url,
    )
