"""The rules of proposals, tested through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEntry
from app.calls.models import CallState
from app.db import utcnow
from app.errors import DeadlinePassed, DomainError, NotAllowed, NotFound
from app.extensions import db
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.proposals import services, storage
from app.proposals.models import (
    AttachmentKind,
    Partner,
    PartnerKind,
    Proposal,
    ProposalRevision,
    ProposalState,
)
from tests.factories import make_admin, make_call, make_proposal, make_reviewer, make_user
from tests.proposals.helpers import (
    attach,
    complete_proposal,
    count,
    minimal_jpeg,
    minimal_pdf,
    minimal_png,
    save,
    section_input,
)


def notifications(template: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.template == template).order_by(Notification.id)
        )
    )


def eligible_answers(call):
    return {question.id: question.qualifying_answer for question in call.eligibility_questions}


# -- starting ---------------------------------------------------------------------------------


def test_an_eligible_city_gets_a_draft_with_its_contact_filled_in(city, call):
    proposal, created = services.start_proposal(
        actor=city, call=call, eligibility=eligible_answers(call)
    )
    assert created
    assert proposal.state == ProposalState.DRAFT
    assert proposal.owner_id == city.id
    assert proposal.call_id == call.id
    assert proposal.contact_email == "ana@lisboa.example"
    assert proposal.contact_name == "Ana Lisboa"
    assert count(AuditEntry, AuditEntry.action == "proposal.created") == 1


def test_an_ineligible_answer_creates_nothing_and_explains_why(city, call):
    answers = eligible_answers(call)
    second = call.eligibility_questions[1]
    answers[second.id] = True  # a company
    with pytest.raises(services.Ineligible) as refused:
        services.start_proposal(actor=city, call=call, eligibility=answers)
    assert [question.explanation for question in refused.value.questions] == [
        "Companies may be partners, not applicants."
    ]
    assert count(Proposal) == 0


def test_an_unanswered_eligibility_question_does_not_qualify(city, call):
    answers = eligible_answers(call)
    answers[call.eligibility_questions[0].id] = None
    with pytest.raises(services.Ineligible):
        services.start_proposal(actor=city, call=call, eligibility=answers)


def test_starting_again_returns_the_existing_proposal(city, call):
    first, _ = services.start_proposal(actor=city, call=call, eligibility=eligible_answers(call))
    again, created = services.start_proposal(actor=city, call=call, eligibility={})
    assert again.id == first.id
    assert not created
    assert count(Proposal) == 1


def test_after_withdrawing_a_city_may_start_a_new_proposal(city, call):
    make_proposal(call=call, owner=city, state=ProposalState.WITHDRAWN)
    proposal, created = services.start_proposal(
        actor=city, call=call, eligibility=eligible_answers(call)
    )
    assert created
    assert count(Proposal, Proposal.owner_id == city.id) == 2
    assert proposal.state == ProposalState.DRAFT


def test_only_city_accounts_can_start_a_proposal(call):
    reviewer = make_reviewer()
    with pytest.raises(NotAllowed):
        services.start_proposal(actor=reviewer, call=call, eligibility=eligible_answers(call))


def test_starting_a_proposal_on_a_closed_call_is_refused(city):
    call = make_call(state=CallState.CLOSED)
    with pytest.raises(DeadlinePassed):
        services.start_proposal(actor=city, call=call, eligibility={})


# -- saving -------------------------------------------------------------------------------------


def test_saving_stores_columns_and_answers_and_makes_a_new_version(city, call):
    proposal = make_proposal(call=call, owner=city)
    version = proposal.version
    result = save(
        proposal,
        "city",
        version=version,
        city="Porto",
        country_code="PT",
        population=231_800,
        region="Norte",
    )
    assert result.changed
    assert result.version == version + 1 == proposal.version
    assert (proposal.city, proposal.population, proposal.region) == ("Porto", 231_800, "Norte")

    save(proposal, "venue", address="Praça da Liberdade", floor_area=75)
    assert proposal.answers["venue"] == {"address": "Praça da Liberdade", "floor_area": 75}


def test_saving_a_country_derives_its_continent(city, call):
    proposal = make_proposal(call=call, owner=city)
    save(proposal, "city", country_code="MZ")
    assert (proposal.country_code, proposal.continent) == ("MZ", "Africa")


def test_saving_unchanged_answers_keeps_the_version(city, call):
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    version = proposal.version
    result = save(proposal, "city", version=version, city="Lisbon")
    assert not result.changed
    assert proposal.version == version


def test_a_stale_version_is_a_conflict_showing_both_versions(city, call):
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    loaded_version = proposal.version
    save(proposal, "city", version=loaded_version, city="Lisboa")
    with pytest.raises(services.ProposalConflict) as conflict:
        save(proposal, "city", version=loaded_version, city="Lisbon (second tab)")
    assert conflict.value.status_code == 409
    assert conflict.value.current_version == proposal.version
    [difference] = conflict.value.differences
    assert (difference.name, difference.yours, difference.saved) == (
        "city",
        "Lisbon (second tab)",
        "Lisboa",
    )
    assert proposal.city == "Lisboa"


def test_a_stale_version_that_changes_nothing_is_harmless(city, call):
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    loaded_version = proposal.version
    save(proposal, "city", version=loaded_version, region="Lisboa")
    result = save(proposal, "city", version=loaded_version, region="Lisboa")
    assert not result.changed
    assert result.version == proposal.version


def test_a_narrative_over_its_limit_is_refused_and_the_rest_is_saved(city, call):
    criterion = call.criteria[0]
    criterion.max_length = 20
    proposal = make_proposal(call=call, owner=city)
    field = f"narrative_{criterion.key}"
    other = f"narrative_{call.criteria[1].key}"
    result = save(proposal, "narratives", **{field: "x" * 21, other: "Short and sweet."})
    assert field in result.errors
    assert "20" in result.errors[field]
    assert proposal.answers["narratives"][call.criteria[1].key] == "Short and sweet."
    assert proposal.answers["narratives"][criterion.key] != "x" * 21

    exactly = save(proposal, "narratives", **{field: "y" * 20})
    assert not exactly.errors
    assert proposal.answers["narratives"][criterion.key] == "y" * 20


@pytest.mark.parametrize(
    ("section", "values", "field"),
    [
        ("organisation", {"contact_email": "not an address"}, "contact_email"),
        ("organisation", {"contact_phone": "call me maybe"}, "contact_phone"),
        ("city", {"country_code": "XX"}, "country_code"),
        ("city", {"population": -5}, "population"),
        ("city", {"language": "de"}, "language"),
        ("technical", {"broadband": "maybe"}, "broadband"),
        ("venue", {"floor_area": 0}, "floor_area"),
    ],
)
def test_values_that_cannot_be_stored_are_reported_not_saved(city, call, section, values, field):
    proposal = make_proposal(call=call, owner=city)
    before = dict(proposal.answers)
    result = save(proposal, section, **values)
    assert list(result.errors) == [field]
    assert not result.changed
    assert proposal.answers == before


def test_fields_a_section_does_not_offer_are_never_stored(city, call):
    proposal = make_proposal(call=call, owner=city)
    other_call = make_call()
    save(
        proposal,
        "city",
        city="Faro",
        state="shortlisted",
        owner_id=999,
        call_id=other_call.id,
        score=5,
    )
    assert proposal.city == "Faro"
    assert proposal.state == ProposalState.DRAFT
    assert proposal.owner_id == city.id
    assert proposal.call_id == call.id
    assert "score" not in str(proposal.answers)


def test_partners_are_added_changed_and_removed_in_place(city, call):
    proposal = make_proposal(call=call, owner=city)
    rows = [
        {"organisation": "Casa da Cultura", "kind": "cultural", "offers_space": True},
        {"organisation": "Universidade", "kind": "university", "offers_people": True},
        {"organisation": "", "kind": "other"},  # a blank row from the form
    ]
    save(proposal, "partners", partners=rows)
    assert [p.organisation for p in proposal.partners] == ["Casa da Cultura", "Universidade"]
    first_id = proposal.partners[0].id
    assert proposal.partners[1].kind == PartnerKind.UNIVERSITY

    save(proposal, "partners", partners=[{**rows[0], "offers_networks": True}])
    db.session.flush()
    assert [p.organisation for p in proposal.partners] == ["Casa da Cultura"]
    assert proposal.partners[0].id == first_id
    assert proposal.partners[0].offers_networks
    assert count(Partner, Partner.proposal_id == proposal.id) == 1


def test_a_partners_only_change_is_a_new_version(city, call):
    proposal = make_proposal(call=call, owner=city)
    version = proposal.version
    save(proposal, "partners", version=version, partners=[{"organisation": "ONG", "kind": "ngo"}])
    assert proposal.version == version + 1


def test_a_proposal_of_another_city_cannot_be_saved(city, call):
    proposal = make_proposal(call=call)
    with pytest.raises(NotFound):
        services.save_section(
            actor=city,
            proposal=proposal,
            section_key="city",
            data=section_input(city="Mine now"),
            expected_version=proposal.version,
        )
    assert proposal.city == "Lisbon"


def test_a_withdrawn_proposal_cannot_be_changed(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.WITHDRAWN)
    with pytest.raises(DomainError) as refused:
        save(proposal, "city", city="Again")
    assert refused.value.code == "proposal_not_editable"


# -- submitting -----------------------------------------------------------------------------------


def test_submit_lists_every_missing_answer_at_once(city, call):
    proposal = make_proposal(call=call, owner=city, city="")
    proposal.answers = {}
    db.session.flush()
    with pytest.raises(services.IncompleteProposal) as incomplete:
        services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    where = {(problem.section, problem.field_id) for problem in incomplete.value.problems}
    assert ("city", "city") in where
    assert ("city", "population") in where
    assert ("organisation", "contact_phone") in where
    assert ("partners", "partners-0-organisation") in where
    assert ("venue", "address") in where
    assert ("technical", "broadband") in where
    assert {f"narrative_{c.key}" for c in call.criteria} <= {field for _, field in where}
    assert ("programme", "linked_cities") in where
    assert ("funding", "sustainability") in where
    assert proposal.state == ProposalState.DRAFT
    assert count(ProposalRevision) == 0


def test_a_partner_must_be_named_and_offer_something(city, call):
    proposal = complete_proposal(call=call, owner=city)
    proposal.partners[0].offers_people = False
    proposal.partners[0].offers_space = False
    proposal.partners[0].offers_networks = False
    with pytest.raises(services.IncompleteProposal) as incomplete:
        services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    assert [problem.field_id for problem in incomplete.value.problems] == [
        "partners-0-offers_people"
    ]


def test_submitting_makes_a_revision_and_queues_one_confirmation(city, call):
    proposal = complete_proposal(call=call, owner=city)
    result = services.submit_proposal(
        actor=city, proposal=proposal, expected_version=proposal.version
    )
    assert result.created
    assert result.revision.number == 1
    assert proposal.state == ProposalState.SUBMITTED
    assert proposal.submitted_at is not None
    assert result.revision.snapshot["answers"]["venue"]["floor_area"] == 72
    assert result.revision.snapshot["partners"][0]["organisation"] == "Casa da Cultura"
    [message] = notifications("proposal_submitted")
    assert message.dedup_key == f"proposal-submitted:{proposal.id}:1"
    assert message.recipient_email == city.email


def test_the_confirmation_carries_a_copy_of_the_answers(city, call, app):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    [message] = notifications("proposal_submitted")
    email = render_notification(message)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "submission 1" in email["Subject"]
    for content in (text, html):
        assert "Rua Augusta 1" in content
        assert "Our answer on Diversity." in content
        assert "Casa da Cultura" in content


def test_submitting_queues_the_conflict_check_once_committed(city, call, dispatched_tasks):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    assert ("reviews.detect_proposal_conflicts", {"proposal_id": proposal.id}) not in (
        dispatched_tasks
    )
    db.session.commit()
    assert ("reviews.detect_proposal_conflicts", {"proposal_id": proposal.id}) in dispatched_tasks


def test_a_double_clicked_submit_makes_one_revision_and_one_email(city, call):
    proposal = complete_proposal(call=call, owner=city)
    version = proposal.version
    first = services.submit_proposal(actor=city, proposal=proposal, expected_version=version)
    second = services.submit_proposal(actor=city, proposal=proposal, expected_version=version)
    assert first.created
    assert not second.created
    assert second.revision.id == first.revision.id
    assert count(ProposalRevision, ProposalRevision.proposal_id == proposal.id) == 1
    assert len(notifications("proposal_submitted")) == 1


def test_submitting_a_proposal_changed_since_it_was_read_reads_it_again(city, call):
    """Another request saved between this one's read and its lock: the lock sees it."""
    proposal = complete_proposal(call=call, owner=city)
    read_version = proposal.version
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(version=Proposal.version + 1, city="Porto")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(services.ProposalConflict):
        services.submit_proposal(actor=city, proposal=proposal, expected_version=read_version)
    assert proposal.city == "Porto"
    assert count(ProposalRevision, ProposalRevision.proposal_id == proposal.id) == 0


def test_a_change_after_submitting_is_a_new_revision(city, call):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    assert not services.has_unsubmitted_changes(proposal)
    save(proposal, "programme", linked_cities="Rio de Janeiro and Dakar.")
    assert services.has_unsubmitted_changes(proposal)
    result = services.submit_proposal(
        actor=city, proposal=proposal, expected_version=proposal.version
    )
    assert result.revision.number == 2
    assert result.revision.snapshot["answers"]["programme"]["linked_cities"] == (
        "Rio de Janeiro and Dakar."
    )
    assert [n.dedup_key for n in notifications("proposal_submitted")] == [
        f"proposal-submitted:{proposal.id}:1",
        f"proposal-submitted:{proposal.id}:2",
    ]


def test_submitting_a_page_older_than_the_last_save_is_a_conflict(city, call):
    proposal = complete_proposal(call=call, owner=city)
    loaded = proposal.version
    save(proposal, "city", version=loaded, city="Lisboa")
    with pytest.raises(services.ProposalConflict):
        services.submit_proposal(actor=city, proposal=proposal, expected_version=loaded)
    assert count(ProposalRevision) == 0


def test_resubmitting_keeps_an_open_question_open(city, call):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    services.request_clarification(actor=make_admin(), proposal=proposal, question="Budget?")
    save(proposal, "funding", funding="A bigger budget.")
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    assert proposal.state == ProposalState.CLARIFICATION_REQUESTED


# -- withdrawing --------------------------------------------------------------------------------


def test_withdrawing_keeps_everything_and_records_the_reason(city, call):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    services.withdraw_proposal(actor=city, proposal=proposal, reason="  The council changed. ")
    assert proposal.state == ProposalState.WITHDRAWN
    assert proposal.withdrawn_at is not None
    assert proposal.withdrawal_reason == "The council changed."
    assert count(ProposalRevision, ProposalRevision.proposal_id == proposal.id) == 1
    assert proposal.partners
    [message] = notifications("proposal_withdrawn")
    assert message.dedup_key == f"proposal-withdrawn:{proposal.id}"


def test_withdrawing_needs_a_reason(city, call):
    proposal = make_proposal(call=call, owner=city)
    with pytest.raises(DomainError) as refused:
        services.withdraw_proposal(actor=city, proposal=proposal, reason="   ")
    assert refused.value.field == "reason"
    assert proposal.state == ProposalState.DRAFT


def test_a_proposal_under_review_cannot_be_withdrawn(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.UNDER_REVIEW)
    with pytest.raises(DomainError):
        services.withdraw_proposal(actor=city, proposal=proposal, reason="Too late")


# -- the deadline, on every write ---------------------------------------------------------------


def _write(kind: str, city, proposal):
    if kind == "save":
        return save(proposal, "city", city="Deadline city")
    if kind == "submit":
        return services.submit_proposal(
            actor=city, proposal=proposal, expected_version=proposal.version
        )
    if kind == "upload":
        return attach(proposal, name="letter.pdf")
    if kind == "delete":
        attachment = proposal.attachments[0]
        return services.delete_attachment(actor=city, proposal=proposal, attachment=attachment)
    if kind == "withdraw":
        return services.withdraw_proposal(actor=city, proposal=proposal, reason="Deadline test")
    raise AssertionError(kind)


WRITES = ["save", "submit", "upload", "delete", "withdraw"]


def _assert_written(kind: str, proposal) -> None:
    """What the city sees after an accepted write, read back from the database."""
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    if kind == "save":
        assert proposal.city == "Deadline city"
    elif kind == "submit":
        assert proposal.state == ProposalState.SUBMITTED
        assert count(ProposalRevision, ProposalRevision.proposal_id == proposal.id) == 1
    elif kind == "upload":
        names = [a.original_name for a in proposal.attachments if a.deleted_at is None]
        assert sorted(names) == ["letter.pdf", "plan.pdf"]
    elif kind == "delete":
        assert [a.deleted_at is not None for a in proposal.attachments] == [True]
    elif kind == "withdraw":
        assert proposal.state == ProposalState.WITHDRAWN
        assert proposal.withdrawal_reason == "Deadline test"
    else:
        raise AssertionError(kind)


@pytest.fixture
def deadline_setup(city, time_machine):
    closes_at = utcnow().replace(microsecond=0) + timedelta(days=2)
    call = make_call(closes_at=closes_at)
    proposal = complete_proposal(call=call, owner=city)
    attach(proposal, name="plan.pdf", kind=AttachmentKind.VENUE_PLAN)
    db.session.refresh(proposal)
    return call, proposal


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_one_second_before_the_deadline_is_accepted(
    kind, city, deadline_setup, time_machine
):
    call, proposal = deadline_setup
    time_machine.move_to(call.closes_at - timedelta(seconds=1), tick=False)
    _write(kind, city, proposal)
    _assert_written(kind, proposal)


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_at_the_deadline_is_refused(kind, city, deadline_setup, time_machine):
    call, proposal = deadline_setup
    time_machine.move_to(call.closes_at, tick=False)
    with pytest.raises(DeadlinePassed):
        _write(kind, city, proposal)


@pytest.mark.parametrize("kind", WRITES)
def test_the_grace_period_extends_every_write(kind, city, deadline_setup, time_machine):
    call, proposal = deadline_setup
    call.grace_minutes = 30
    time_machine.move_to(call.closes_at + timedelta(minutes=30, seconds=-1), tick=False)
    _write(kind, city, proposal)
    _assert_written(kind, proposal)


@pytest.mark.parametrize("kind", WRITES)
def test_a_write_at_the_end_of_the_grace_period_is_refused(
    kind, city, deadline_setup, time_machine
):
    call, proposal = deadline_setup
    call.grace_minutes = 30
    time_machine.move_to(call.closes_at + timedelta(minutes=30), tick=False)
    with pytest.raises(DeadlinePassed):
        _write(kind, city, proposal)


def test_a_closed_call_refuses_writes_even_before_its_closing_instant(city):
    call = make_call(state=CallState.CLOSED)
    proposal = complete_proposal(call=call, owner=city)
    with pytest.raises(DeadlinePassed):
        _write("save", city, proposal)


# -- attachments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "filename", "content_type"),
    [
        (minimal_pdf, "Carta de apoio.pdf", "application/pdf"),
        (minimal_png, "plan.png", "image/png"),
        (minimal_jpeg, "photo.jpeg", "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_files_are_kept_with_their_checksum(
    city, call, app, maker, filename, content_type
):
    proposal = make_proposal(call=call, owner=city)
    data = maker()
    attachment = attach(proposal, data, name=filename)
    assert attachment.content_type == content_type
    assert attachment.size_bytes == len(data)
    assert attachment.original_name == filename
    path = storage.path_for(attachment.stored_name)
    assert path.read_bytes() == data
    assert str(path).startswith(app.config["UPLOAD_FOLDER"])
    assert filename not in str(path)
    import hashlib

    assert attachment.checksum_sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"MZ\x90\x00\x03\x00\x00\x00",
        b"PK\x03\x04 a zip named like a pdf",
        b"Just text that says %PDF-1.4 later on",
    ],
)
def test_a_file_is_judged_by_its_content_not_its_name(city, call, data):
    proposal = make_proposal(call=call, owner=city)
    with pytest.raises(DomainError) as refused:
        attach(proposal, data, name="letter.pdf")
    assert refused.value.code == "file_type_not_allowed"


def test_a_file_over_the_per_file_limit_is_refused(city):
    call = make_call(max_attachment_bytes=1000, max_attachments_total_bytes=5000)
    proposal = make_proposal(call=call, owner=city)
    with pytest.raises(DomainError) as refused:
        attach(
            proposal,
            minimal_pdf() + b"\n" * 1000,
            name="big.pdf",
        )
    assert refused.value.code == "file_too_large"


def test_the_total_size_of_attachments_is_limited(city):
    pdf = minimal_pdf()
    call = make_call(
        max_attachment_bytes=len(pdf) + 10, max_attachments_total_bytes=2 * len(pdf) + 5
    )
    proposal = make_proposal(call=call, owner=city)
    for _ in range(2):
        attach(proposal, pdf, name="a.pdf")
    with pytest.raises(DomainError) as refused:
        attach(proposal, pdf, name="c.pdf")
    assert refused.value.code == "attachments_total_too_large"


def test_the_number_of_attachments_is_limited_and_removed_files_do_not_count(city):
    call = make_call(max_attachments=1)
    proposal = make_proposal(call=call, owner=city)
    first = attach(proposal, name="a.pdf")
    with pytest.raises(DomainError) as refused:
        attach(proposal, minimal_png(), name="b.png")
    assert refused.value.code == "too_many_attachments"
    services.delete_attachment(actor=city, proposal=proposal, attachment=first)
    attach(proposal, minimal_png(), name="b.png")


def test_an_empty_file_is_refused(city, call):
    proposal = make_proposal(call=call, owner=city)
    with pytest.raises(DomainError) as refused:
        attach(proposal, b"", name="empty.pdf")
    assert refused.value.code == "file_empty"


def test_removing_an_attachment_keeps_the_row_and_the_file(city, call):
    proposal = make_proposal(call=call, owner=city)
    attachment = attach(proposal, name="a.pdf")
    services.delete_attachment(actor=city, proposal=proposal, attachment=attachment)
    assert attachment.deleted_at is not None
    assert storage.path_for(attachment.stored_name).is_file()
    with pytest.raises(NotFound):
        services.delete_attachment(actor=city, proposal=proposal, attachment=attachment)


def test_an_uploaded_name_cannot_reach_outside_or_lie_about_its_type(city, call):
    proposal = make_proposal(call=call, owner=city)
    attachment = attach(proposal, name='..\\..\\evil";\r\nX-Header: 1.exe')
    assert attachment.original_name == "evilX-Header 1.pdf"
    assert "\n" not in attachment.original_name


# -- clarifications -------------------------------------------------------------------------------


def test_an_administrator_asks_and_the_city_is_emailed(city, call):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    admin = make_admin()
    clarification = services.request_clarification(
        actor=admin, proposal=proposal, question="Who pays the broadband?"
    )
    assert proposal.state == ProposalState.CLARIFICATION_REQUESTED
    assert clarification.asked_by_id == admin.id
    [message] = notifications("clarification_requested")
    assert message.recipient_email == city.email
    assert message.context["question"] == "Who pays the broadband?"
    assert f"/clarifications/{clarification.id}" in message.context["answer_url"]


def test_a_draft_cannot_be_asked_about(city, call):
    proposal = make_proposal(call=call, owner=city)
    with pytest.raises(DomainError):
        services.request_clarification(actor=make_admin(), proposal=proposal, question="?")


def test_only_administrators_ask_for_clarification(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    with pytest.raises(NotAllowed):
        services.request_clarification(actor=city, proposal=proposal, question="Me?")


def test_the_city_answers_after_the_deadline_and_administrators_are_emailed(
    city, call, time_machine
):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    first_admin, second_admin = make_admin(), make_admin()
    clarification = services.request_clarification(
        actor=first_admin, proposal=proposal, question="Opening hours in August?"
    )
    time_machine.move_to(call.closes_at + timedelta(days=3), tick=False)
    services.answer_clarification(
        actor=city, proposal=proposal, clarification=clarification, answer="Open all summer."
    )
    assert clarification.answer == "Open all summer."
    assert clarification.answered_at is not None
    assert proposal.state == ProposalState.SUBMITTED
    recipients = {n.recipient_email for n in notifications("clarification_answered")}
    assert recipients == {first_admin.email, second_admin.email}
    with pytest.raises(DeadlinePassed):
        _write("save", city, proposal)


def test_a_question_is_answered_once(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    clarification = services.request_clarification(
        actor=make_admin(), proposal=proposal, question="?"
    )
    services.answer_clarification(
        actor=city, proposal=proposal, clarification=clarification, answer="Yes."
    )
    with pytest.raises(DomainError):
        services.answer_clarification(
            actor=city, proposal=proposal, clarification=clarification, answer="No."
        )
    assert clarification.answer == "Yes."


def test_the_state_returns_to_submitted_only_when_every_question_is_answered(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    admin = make_admin()
    first = services.request_clarification(actor=admin, proposal=proposal, question="One?")
    second = services.request_clarification(actor=admin, proposal=proposal, question="Two?")
    services.answer_clarification(actor=city, proposal=proposal, clarification=first, answer="1")
    assert proposal.state == ProposalState.CLARIFICATION_REQUESTED
    services.answer_clarification(actor=city, proposal=proposal, clarification=second, answer="2")
    assert proposal.state == ProposalState.SUBMITTED


def test_another_city_cannot_answer(city, call):
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    clarification = services.request_clarification(
        actor=make_admin(), proposal=proposal, question="?"
    )
    with pytest.raises(NotFound):
        services.answer_clarification(
            actor=make_user(), proposal=proposal, clarification=clarification, answer="Me!"
        )


@pytest.mark.postgres
def test_submitting_locks_the_proposal_row_so_a_second_click_waits(city, call):
    from tests.querycount import count_queries

    proposal = complete_proposal(call=call, owner=city)
    with count_queries() as counted:
        services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    locks = [s for s in counted.statements if "FOR UPDATE" in s and "FROM proposals" in s]
    assert locks, counted
