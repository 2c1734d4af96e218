"""Proposals: starting, saving, submitting, withdrawing, attachments and clarifications.

Every write by a city passes the deadline rule (`ensure_accepting_proposals`) first, except
the answer to a clarification. Saves compare the version the page was loaded with, so a
second tab never silently overwrites the first.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.audit.services import record_audit
from app.calls.models import Call, EligibilityQuestion
from app.calls.services import ensure_accepting_proposals
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.errors import Conflict, DomainError, NotAllowed, NotFound
from app.extensions import db
from app.outbox.services import queue_notification
from app.proposals import queries, sections, storage
from app.proposals.continents import continent_for
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    Clarification,
    Partner,
    PartnerKind,
    Proposal,
    ProposalRevision,
    ProposalState,
)
from app.proposals.permissions import CLARIFIABLE_STATES, EDITABLE_STATES, WITHDRAWABLE_STATES
from app.proposals.signals import proposal_submitted

MAX_WITHDRAWAL_REASON = 2000
MAX_QUESTION = 5000
MAX_ANSWER = 10000
PARTNER_FIELDS = (
    "organisation",
    "kind",
    "offers_people",
    "offers_space",
    "offers_networks",
    "email_domain",
    "description",
)


# -- errors that carry more than a message ----------------------------------------------------


@dataclass(frozen=True)
class FieldDifference:
    """One field as this page would save it and as it is saved now."""

    name: str
    label: str
    yours: str
    saved: str


class ProposalConflict(Conflict):
    """The proposal changed since the page was loaded; nothing was saved."""

    def __init__(self, message: str, *, current_version: int, differences: list[FieldDifference]):
        super().__init__(message, code="version_conflict")
        self.current_version = current_version
        self.differences = differences


class IncompleteProposal(DomainError):
    status_code = 422
    code = "incomplete"

    def __init__(self, problems: list[sections.Problem]):
        super().__init__(_("Some answers are missing or need correcting."))
        self.problems = problems


class Ineligible(DomainError):
    code = "ineligible"

    def __init__(self, questions: list[EligibilityQuestion]):
        super().__init__(_("This call is not open to proposals like yours."))
        self.questions = questions


@dataclass
class SaveResult:
    version: int
    saved_at: datetime
    changed: bool
    errors: dict[str, str] = field(default_factory=dict)  # fields that were not stored


@dataclass(frozen=True)
class SubmitResult:
    revision: ProposalRevision
    created: bool  # False when this exact content was already submitted (a double click)


# -- starting -------------------------------------------------------------------------------


def ineligible_questions(
    call: Call, answers: Mapping[int, bool | None]
) -> list[EligibilityQuestion]:
    """The questions whose answer does not qualify (an unanswered question never qualifies)."""
    return [
        question
        for question in call.eligibility_questions
        if answers.get(question.id) is None or answers[question.id] != question.qualifying_answer
    ]


def start_proposal(
    *, actor: User, call: Call, eligibility: Mapping[int, bool | None]
) -> tuple[Proposal, bool]:
    """The city's draft for this call: its existing one, or a new one if it is eligible.

    Returns (proposal, created). One proposal per city account per call: the account's row
    is locked so that two clicks at once still create one draft.
    """
    if not actor.has_role(Role.APPLICANT):
        raise NotAllowed(_("Only city accounts can apply to a call."))
    ensure_accepting_proposals(call)
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    existing = queries.active_proposal_for(call_id=call.id, owner_id=actor.id)
    if existing is not None:
        return existing, False
    failing = ineligible_questions(call, eligibility)
    if failing:
        raise Ineligible(failing)
    languages = call.languages or ["en"]
    proposal = Proposal(
        call_id=call.id,
        owner_id=actor.id,
        state=ProposalState.DRAFT,
        contact_name=actor.name,
        contact_email=actor.email,
        language=actor.locale if actor.locale in languages else languages[0],
        answers={
            "eligibility": {str(question.id): True for question in call.eligibility_questions}
        },
    )
    db.session.add(proposal)
    db.session.flush()
    _audit(actor, proposal, "proposal.created", call_id=call.id)
    return proposal, True


# -- saving ---------------------------------------------------------------------------------


def save_section(
    *,
    actor: User,
    proposal: Proposal,
    section_key: str,
    data: sections.SectionInput,
    expected_version: int | None,
) -> SaveResult:
    """Store what the city typed in one section; required answers may still be empty.

    A value that cannot be stored (too long, not a number...) is left out and reported,
    the rest is saved. A page loaded from an older version gets a ProposalConflict that
    shows both versions of every field it would change.
    """
    _ensure_writable(actor, proposal)
    section = sections.get_section(section_key)
    if section is None or section.kind == sections.SectionKind.ATTACHMENTS:
        raise NotFound(_("There is no such section."))
    call = proposal.call
    differences = _differences(proposal, section, call, data)
    if expected_version != proposal.version:
        if differences:
            raise ProposalConflict(
                _(
                    "This proposal was changed in another window or by someone else since "
                    "you opened this page. Nothing was saved: compare the two versions below."
                ),
                current_version=proposal.version,
                differences=differences,
            )
        return SaveResult(proposal.version, proposal.updated_at, changed=False)

    errors: dict[str, str] = {}
    answers = copy.deepcopy(proposal.answers or {})
    changed = False
    for spec in sections.fields_of(section, call):
        if spec.name not in data.values:
            continue
        value = data.values[spec.name]
        message = sections.format_error(spec, value, call)
        if message:
            errors[spec.name] = message
            continue
        if _same(sections.read_value(proposal, section, spec), value):
            continue
        sections.write_value(proposal, answers, section, spec, value)
        if spec.name == "country_code":
            proposal.country_code = value.upper() if value else None
            proposal.continent = continent_for(value)
        changed = True
    if data.partners is not None:
        partner_errors = _partner_errors(data.partners)
        errors.update(partner_errors)
        if not partner_errors and _partner_rows(proposal.partners) != _clean_rows(data.partners):
            _replace_partners(proposal, data.partners)
            changed = True
    if not changed:
        return SaveResult(proposal.version, proposal.updated_at, changed=False, errors=errors)
    proposal.answers = answers
    # Touching the row makes every save a new version, partners-only changes included.
    proposal.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ProposalConflict(
            _("This proposal was changed at the same moment elsewhere. Nothing was saved."),
            current_version=proposal.version,
            differences=differences,
        ) from error
    return SaveResult(proposal.version, proposal.updated_at, changed=True, errors=errors)


def _same(stored: Any, sent: Any) -> bool:
    if sections.is_blank(stored) and sections.is_blank(sent):
        return True
    return stored == sent


def _differences(
    proposal: Proposal, section: sections.Section, call: Call, data: sections.SectionInput
) -> list[FieldDifference]:
    differences = []
    for spec in sections.fields_of(section, call):
        if spec.name not in data.values:
            continue
        stored = sections.read_value(proposal, section, spec)
        sent = data.values[spec.name]
        if not _same(stored, sent):
            differences.append(
                FieldDifference(
                    spec.name,
                    str(spec.label),
                    "" if sent is None else str(sent),
                    "" if stored is None else str(stored),
                )
            )
    if data.partners is not None:
        saved = _partner_rows(proposal.partners)
        yours = _clean_rows(data.partners)
        if saved != yours:
            differences.append(
                FieldDifference(
                    "partners",
                    _("Partner organisations"),
                    _rows_text(yours),
                    _rows_text(saved),
                )
            )
    return differences


def _partner_rows(partners: list[Partner]) -> list[dict[str, Any]]:
    return [
        {
            "organisation": partner.organisation or "",
            "kind": PartnerKind(partner.kind).value,
            "offers_people": bool(partner.offers_people),
            "offers_space": bool(partner.offers_space),
            "offers_networks": bool(partner.offers_networks),
            "email_domain": partner.email_domain or "",
            "description": partner.description or "",
        }
        for partner in partners
    ]


def _clean_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as stored: blank rows dropped, every key present, text trimmed."""
    cleaned = []
    for row in rows:
        if sections.partner_is_blank(row):
            continue
        cleaned.append(
            {
                "organisation": (row.get("organisation") or "").strip(),
                "kind": row.get("kind") or PartnerKind.OTHER.value,
                "offers_people": bool(row.get("offers_people")),
                "offers_space": bool(row.get("offers_space")),
                "offers_networks": bool(row.get("offers_networks")),
                "email_domain": (row.get("email_domain") or "").strip().lower(),
                "description": row.get("description") or "",
            }
        )
    return cleaned


def _rows_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(sections.partner_summary(_RowView(row)) for row in rows)


class _RowView:
    """Lets a row dict be summarised like a Partner."""

    def __init__(self, row: Mapping[str, Any]):
        self.__dict__.update(row)


def _partner_errors(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    errors = {}
    if len(rows) > sections.MAX_PARTNERS:
        errors["partners"] = _(
            "At most %(limit)s partner organisations.", limit=sections.MAX_PARTNERS
        )
    for index, row in enumerate(rows):
        message = sections.partner_format_error(row)
        if message:
            errors[f"partners-{index}-organisation"] = message
        elif not sections.is_email_domain(row.get("email_domain")):
            errors[f"partners-{index}-email_domain"] = _(
                "Please write a domain such as example.org."
            )
    return errors


def _replace_partners(proposal: Proposal, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update partners in place by position, so their ids stay stable."""
    cleaned = _clean_rows(rows)
    existing = list(proposal.partners)
    for position, row in enumerate(cleaned):
        partner = existing[position] if position < len(existing) else Partner()
        for name in PARTNER_FIELDS:
            setattr(partner, name, row[name])
        partner.kind = PartnerKind(row["kind"])
        partner.email_domain = row["email_domain"] or None
        partner.position = position
        if position >= len(existing):
            proposal.partners.append(partner)
    for partner in existing[len(cleaned) :]:
        proposal.partners.remove(partner)


# -- submitting -----------------------------------------------------------------------------


def proposal_snapshot(proposal: Proposal) -> dict[str, Any]:
    """The answers as submitted: what a revision keeps and reviewers read."""
    return {
        "city": proposal.city,
        "country_code": proposal.country_code,
        "region": proposal.region,
        "continent": proposal.continent,
        "population": proposal.population,
        "organisation": proposal.organisation,
        "contact_name": proposal.contact_name,
        "contact_email": proposal.contact_email,
        "contact_phone": proposal.contact_phone,
        "language": proposal.language,
        "answers": copy.deepcopy(proposal.answers or {}),
        "partners": _partner_rows(proposal.partners),
        "attachments": [
            {
                "id": attachment.id,
                "name": attachment.original_name,
                "kind": AttachmentKind(attachment.kind).value,
                "size_bytes": attachment.size_bytes,
            }
            for attachment in queries.active_attachments(proposal.id)
        ],
    }


def has_unsubmitted_changes(proposal: Proposal) -> bool:
    if proposal.state == ProposalState.DRAFT:
        return True
    latest = queries.latest_revision(proposal.id)
    return latest is None or latest.snapshot != proposal_snapshot(proposal)


def submit_proposal(
    *, actor: User, proposal: Proposal, expected_version: int | None
) -> SubmitResult:
    """Submit (or re-submit) the proposal: a new revision and a confirmation email.

    The row is locked, so a double click waits for the first submission and then finds
    nothing new to submit: one revision, one email.
    """
    _ensure_owner(actor, proposal)
    queries.lock_loaded_proposal(proposal)
    _ensure_writable(actor, proposal)
    snapshot = proposal_snapshot(proposal)
    latest = queries.latest_revision(proposal.id)
    if proposal.state != ProposalState.DRAFT and latest and latest.snapshot == snapshot:
        return SubmitResult(latest, created=False)
    if expected_version != proposal.version:
        raise ProposalConflict(
            _(
                "This proposal was changed in another window since you opened this page. "
                "Please check your answers and submit again."
            ),
            current_version=proposal.version,
            differences=[],
        )
    problems = sections.all_problems(proposal, proposal.call)
    if problems:
        raise IncompleteProposal(problems)
    now = utcnow()
    revision = ProposalRevision(
        proposal_id=proposal.id,
        number=(latest.number + 1) if latest else 1,
        snapshot=snapshot,
        submitted_at=now,
        submitted_by_id=actor.id,
    )
    db.session.add(revision)
    if proposal.state == ProposalState.DRAFT:
        proposal.state = ProposalState.SUBMITTED
    proposal.submitted_at = now
    db.session.flush()
    _audit(actor, proposal, "proposal.submitted", revision=revision.number)
    proposal_submitted.send(proposal, proposal_id=proposal.id)
    _notify_owner(
        proposal,
        template="proposal_submitted",
        dedup_key=f"proposal-submitted:{proposal.id}:{revision.number}",
        context_builder=lambda: {
            "revision": revision.number,
            "submitted_at": now.isoformat(),
            "answers": [
                {"title": part.title, "items": [list(item) for item in part.items]}
                for part in sections.readable_answers(proposal, proposal.call)
            ],
            "attachments": [item["name"] for item in snapshot["attachments"]],
            "status_url": external_url("proposals.my_proposals"),
        },
    )
    return SubmitResult(revision, created=True)


def withdraw_proposal(*, actor: User, proposal: Proposal, reason: str) -> Proposal:
    """The city withdraws while the call is open; nothing is deleted."""
    _ensure_owner(actor, proposal)
    ensure_accepting_proposals(proposal.call)
    if proposal.state not in WITHDRAWABLE_STATES:
        raise DomainError(_("This proposal can no longer be withdrawn."), code="not_withdrawable")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please tell us why you withdraw."), field="reason")
    if len(reason) > MAX_WITHDRAWAL_REASON:
        raise DomainError(
            _("Please shorten this to %(limit)s characters.", limit=MAX_WITHDRAWAL_REASON),
            field="reason",
        )
    proposal.state = ProposalState.WITHDRAWN
    proposal.withdrawn_at = utcnow()
    proposal.withdrawal_reason = reason
    db.session.flush()
    _audit(actor, proposal, "proposal.withdrawn", reason=reason)
    _notify_owner(
        proposal,
        template="proposal_withdrawn",
        dedup_key=f"proposal-withdrawn:{proposal.id}",
        context_builder=lambda: {
            "reason": reason,
            "status_url": external_url("proposals.my_proposals"),
        },
    )
    return proposal


# -- attachments ----------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def add_attachment(
    *,
    actor: User,
    proposal: Proposal,
    stream: BinaryIO,
    filename: str | None,
    kind: AttachmentKind,
) -> Attachment:
    """Check the file by its content and the call's limits, store it, record it."""
    _ensure_writable(actor, proposal)
    call = proposal.call
    existing = queries.active_attachments(proposal.id)
    if len(existing) >= call.max_attachments:
        raise DomainError(
            _("A proposal can have at most %(count)s attachments.", count=call.max_attachments),
            code="too_many_attachments",
            field="file",
        )
    data = storage.read_at_most(stream, call.max_attachment_bytes)
    if data is None:
        raise DomainError(
            _(
                "This file is larger than %(limit)s MB. Please choose a smaller file.",
                limit=_megabytes(call.max_attachment_bytes),
            ),
            code="file_too_large",
            field="file",
        )
    if not data:
        raise DomainError(_("This file is empty."), code="file_empty", field="file")
    used = sum(attachment.size_bytes for attachment in existing)
    if used + len(data) > call.max_attachments_total_bytes:
        raise DomainError(
            _(
                "Together your attachments may take %(limit)s MB; %(left)s MB are left.",
                limit=_megabytes(call.max_attachments_total_bytes),
                left=_megabytes(max(call.max_attachments_total_bytes - used, 0)),
            ),
            code="attachments_total_too_large",
            field="file",
        )
    content_type = storage.detect_content_type(data)
    if content_type is None:
        raise DomainError(
            _("Only PDF, PNG and JPEG files are accepted, and this file is none of them."),
            code="file_type_not_allowed",
            field="file",
        )
    stored = storage.store_file(data, content_type)
    attachment = Attachment(
        proposal_id=proposal.id,
        kind=kind,
        original_name=storage.clean_original_name(filename, content_type),
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        checksum_sha256=stored.checksum_sha256,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    db.session.add(attachment)
    db.session.flush()
    _audit(
        actor,
        proposal,
        "proposal.attachment_added",
        attachment_id=attachment.id,
        name=attachment.original_name,
    )
    return attachment


def delete_attachment(*, actor: User, proposal: Proposal, attachment: Attachment) -> None:
    """Soft delete: the file and its row stay, for the history."""
    _ensure_writable(actor, proposal)
    if attachment.proposal_id != proposal.id or attachment.deleted_at is not None:
        raise NotFound(_("There is no such attachment."))
    attachment.deleted_at = utcnow()
    db.session.flush()
    _audit(
        actor,
        proposal,
        "proposal.attachment_deleted",
        attachment_id=attachment.id,
        name=attachment.original_name,
    )


# -- reviewing ------------------------------------------------------------------------------

# The audit entry that says a proposal's review has started: the reviews domain is above
# this one, so its assignments are not read here; the proposal's own history is.
UNDER_REVIEW_ACTION = "proposal.under_review"


def mark_under_review(*, actor: User | None, proposal_ids: Collection[int]) -> list[int]:
    """Reviewing starts for these proposals: submitted -> under review.

    A proposal is under review from its first assignment to a reviewer; the reviews domain
    calls this whenever it assigns. A proposal waiting for a clarification keeps waiting,
    and the city's answer brings it to under review rather than back to submitted (see
    `answer_clarification`). Each proposal is recorded once; returns the ids whose review
    started now.
    """
    ids = set(proposal_ids)
    if not ids:
        return []
    already = set(
        db.session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.object_type == "proposal",
                AuditEntry.action == UNDER_REVIEW_ACTION,
                AuditEntry.object_id.in_(ids),
            )
        )
    )
    starting = db.session.execute(
        select(Proposal.id, Proposal.state).where(
            Proposal.id.in_(ids - already),
            Proposal.state.in_((ProposalState.SUBMITTED, ProposalState.CLARIFICATION_REQUESTED)),
        )
    ).all()
    submitted = [pid for pid, state in starting if state == ProposalState.SUBMITTED]
    if submitted:
        db.session.execute(
            update(Proposal)
            .where(Proposal.id.in_(submitted), Proposal.state == ProposalState.SUBMITTED)
            .values(state=ProposalState.UNDER_REVIEW, version=Proposal.version + 1),
            execution_options={"synchronize_session": "fetch"},
        )
    for proposal_id, state in sorted(starting):
        record_audit(actor, UNDER_REVIEW_ACTION, ("proposal", proposal_id), {"from": state.value})
    db.session.flush()
    return sorted(pid for pid, _state in starting)


def review_started(proposal: Proposal) -> bool:
    """Whether the proposal's review has started (it was marked under review once)."""
    return (
        db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.object_type == "proposal",
                AuditEntry.object_id == proposal.id,
                AuditEntry.action == UNDER_REVIEW_ACTION,
            )
            .limit(1)
        )
        is not None
    )


# -- clarifications -------------------------------------------------------------------------


def request_clarification(*, actor: User, proposal: Proposal, question: str) -> Clarification:
    """An administrator asks the city a question; the city is emailed.

    Submitted or under review -> clarification requested, until the city answers.
    """
    if not actor.has_role(Role.ADMINISTRATOR):
        raise NotAllowed(_("Only administrators can ask for a clarification."))
    if proposal.state not in CLARIFIABLE_STATES:
        raise DomainError(
            _("You can ask about a proposal only once it is submitted."),
            code="not_clarifiable",
        )
    question = _required_text(question, MAX_QUESTION, field_name="question")
    clarification = Clarification(
        proposal_id=proposal.id, question=question, asked_by_id=actor.id, asked_at=utcnow()
    )
    db.session.add(clarification)
    proposal.state = ProposalState.CLARIFICATION_REQUESTED
    db.session.flush()
    _audit(actor, proposal, "proposal.clarification_requested", clarification=clarification.id)
    _notify_owner(
        proposal,
        template="clarification_requested",
        dedup_key=f"clarification-requested:{clarification.id}",
        context_builder=lambda: {
            "question": question,
            "answer_url": external_url(
                "proposals.answer_clarification",
                proposal_id=proposal.id,
                clarification_id=clarification.id,
            ),
        },
    )
    return clarification


def answer_clarification(
    *, actor: User, proposal: Proposal, clarification: Clarification, answer: str
) -> Clarification:
    """The city answers, even after the deadline (this answer only); administrators are told.

    The last open question answered, the proposal goes back to submitted, or to under
    review when its review had started (`mark_under_review`).
    """
    _ensure_owner(actor, proposal)
    if clarification.proposal_id != proposal.id:
        raise NotFound(_("There is no such question."))
    if clarification.answer is not None:
        raise DomainError(_("This question is already answered."), code="already_answered")
    if proposal.state == ProposalState.WITHDRAWN:
        raise DomainError(_("This proposal was withdrawn."), code="withdrawn")
    clarification.answer = _required_text(answer, MAX_ANSWER, field_name="answer")
    clarification.answered_by_id = actor.id
    clarification.answered_at = utcnow()
    db.session.flush()
    if proposal.state == ProposalState.CLARIFICATION_REQUESTED and not (
        queries.open_clarifications(proposal.id)
    ):
        # Back where the lifecycle left it: once reviewing started, it is under review.
        proposal.state = (
            ProposalState.UNDER_REVIEW if review_started(proposal) else ProposalState.SUBMITTED
        )
        db.session.flush()
    _audit(actor, proposal, "proposal.clarification_answered", clarification=clarification.id)
    context = {
        "call_title": proposal.call.title,  # to the organisers: the call's main language
        "city": proposal.city,
        "question": clarification.question,
        "answer": clarification.answer,
        "proposal_url": external_url("proposals.admin_detail", proposal_id=proposal.id),
    }
    for administrator in queries.administrators():
        queue_notification(
            recipient_email=administrator.email,
            recipient_id=administrator.id,
            template="clarification_answered",
            dedup_key=f"clarification-answered:{clarification.id}:{administrator.id}",
            context=context,
            locale=administrator.locale,
            call_id=proposal.call_id,
        )
    return clarification


# -- helpers --------------------------------------------------------------------------------


def _required_text(text: str | None, limit: int, *, field_name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Please write something here."), field=field_name)
    if len(text) > limit:
        raise DomainError(
            _("Please shorten this to %(limit)s characters.", limit=limit), field=field_name
        )
    return text


def _ensure_owner(actor: User, proposal: Proposal) -> None:
    # A proposal that is not yours does not exist, as far as you can tell.
    if actor is None or proposal.owner_id != actor.id:
        raise NotFound(_("There is no such proposal."))


def _ensure_writable(actor: User, proposal: Proposal) -> None:
    _ensure_owner(actor, proposal)
    ensure_accepting_proposals(proposal.call)
    if proposal.state not in EDITABLE_STATES:
        raise DomainError(
            _("This proposal can no longer be changed."), code="proposal_not_editable"
        )


def _audit(actor: User | None, proposal: Proposal, action: str, **details: Any) -> None:
    record_audit(actor, action, proposal, details=details)


def _notify_owner(proposal: Proposal, *, template: str, dedup_key: str, context_builder) -> None:
    """Queue a message to the city account, its text built in the city's own language."""
    owner = db.session.get_one(User, proposal.owner_id)
    locale = owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        context = {
            "call_title": title_in(proposal.call, locale),
            "city": proposal.city,
            "name": owner.name,
            **context_builder(),
        }
    queue_notification(
        recipient_email=owner.email,
        recipient_id=owner.id,
        template=template,
        dedup_key=dedup_key,
        context=context,
        locale=locale,
        call_id=proposal.call_id,
    )


# -- the upload folder ------------------------------------------------------------------------


@dataclass
class FileCheck:
    missing: list[int] = field(default_factory=list)  # attachment ids without their file
    altered: list[int] = field(default_factory=list)  # files whose checksum changed
    orphans: list[str] = field(default_factory=list)  # files no attachment names
    removed: list[str] = field(default_factory=list)


def check_stored_files(*, remove_orphans_older_than: timedelta | None = None) -> FileCheck:
    """Compare the upload folder with the attachments (deleted ones keep their files).

    Orphans come from uploads whose transaction rolled back; they are removed only when
    older than the given age, so that an upload in flight is never touched.
    """
    result = FileCheck()
    known = {}
    for attachment_id, stored_name, checksum in db.session.execute(
        select(Attachment.id, Attachment.stored_name, Attachment.checksum_sha256)
    ):
        known[stored_name] = attachment_id
        path = storage.path_for(stored_name)
        if not path.is_file():
            result.missing.append(attachment_id)
        elif hashlib.sha256(path.read_bytes()).hexdigest() != checksum:
            result.altered.append(attachment_id)
    cutoff = utcnow() - remove_orphans_older_than if remove_orphans_older_than else None
    for stored_name in sorted(storage.stored_names_on_disk() - set(known)):
        result.orphans.append(stored_name)
        path = storage.path_for(stored_name)
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if cutoff is not None and modified < cutoff:
            path.unlink()
            result.removed.append(stored_name)
    return result
