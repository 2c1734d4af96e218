"""Calls services: settings, time zones, states, automatic closing, criteria and questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.calls import services
from app.calls.models import CallState, Criterion
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.outbox.models import Notification
from app.proposals.models import ProposalState
from app.reviews.models import Score
from tests.factories import (
    make_assignment,
    make_call,
    make_proposal,
    make_review,
    make_reviewer,
)

OPENS = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2025, 4, 30, 17, 0, tzinfo=UTC)


def audit_actions(call_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "call", AuditEntry.object_id == call_id)
            .order_by(AuditEntry.id)
        )
    )


def notifications_for(call_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.call_id == call_id).order_by(Notification.id)
        )
    )


def new_call(admin, **overrides):
    values = {
        "slug": "dialogue-cafe-2025",
        "title": "Dialogue Café 2025",
        "opens_at": OPENS,
        "closes_at": CLOSES,
    }
    return services.create_call(actor=admin, **(values | overrides))


# --- creating and editing ----------------------------------------------------------------


def test_create_call_starts_in_draft_with_the_seven_default_criteria(admin):
    call = new_call(admin, description="Host a **café**.")

    assert call.state == CallState.DRAFT
    assert [c.key for c in call.criteria] == [
        "diversity",
        "creativity",
        "culture_of_peace",
        "intercultural_profile",
        "innovation",
        "collaboration",
        "vision",
    ]
    assert [c.position for c in call.criteria] == list(range(7))
    assert audit_actions(call.id) == ["call.created"]


@pytest.mark.parametrize(
    "slug", ["Dialogue", "two--hyphens", "-leading", "trailing-", "spa ce", "é", "a" * 121, ""]
)
def test_create_call_refuses_a_malformed_slug(admin, slug):
    with pytest.raises(DomainError) as refused:
        new_call(admin, slug=slug)
    assert refused.value.field == "slug"


def test_create_call_refuses_a_slug_another_call_uses(admin):
    new_call(admin)
    with pytest.raises(DomainError) as refused:
        new_call(admin, title="Another")
    assert refused.value.code == "slug_taken"


@pytest.mark.parametrize("closes_at", [OPENS, OPENS - timedelta(seconds=1)])
def test_create_call_refuses_closing_at_or_before_opening(admin, closes_at):
    with pytest.raises(DomainError) as refused:
        new_call(admin, closes_at=closes_at)
    assert refused.value.field == "closes_at"


def test_create_call_refuses_a_proposal_limit_below_the_file_limit(admin):
    with pytest.raises(DomainError) as refused:
        new_call(admin, max_attachment_bytes=10_000_000, max_attachments_total_bytes=5_000_000)
    assert refused.value.field == "max_attachments_total_bytes"


def test_create_call_refuses_a_language_the_site_does_not_offer(admin):
    with pytest.raises(DomainError) as refused:
        new_call(admin, languages=["en", "xx"])
    assert refused.value.field == "languages"


def test_update_call_records_each_changed_value_old_and_new(admin):
    call = new_call(admin)
    later = CLOSES + timedelta(days=7)

    services.update_call(actor=admin, call=call, closes_at=later, title="Dialogue Café 2025")

    assert call.closes_at == later
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.updated")).one()
    assert entry.actor_id == admin.id
    assert entry.details == {"changed": {"closes_at": [CLOSES.isoformat(), later.isoformat()]}}


def test_update_call_without_changes_writes_no_audit_entry(admin):
    call = new_call(admin)
    services.update_call(actor=admin, call=call, title=call.title)
    assert audit_actions(call.id) == ["call.created"]


def test_update_call_refuses_to_close_before_opening(admin):
    call = new_call(admin)
    with pytest.raises(DomainError):
        services.update_call(actor=admin, call=call, opens_at=CLOSES + timedelta(hours=1))
    assert call.opens_at == OPENS


def test_update_call_keeps_its_own_slug_and_refuses_another_calls(admin):
    call = new_call(admin)
    other = new_call(admin, slug="other-call")
    services.update_call(actor=admin, call=call, slug="dialogue-cafe-2025")
    with pytest.raises(DomainError) as refused:
        services.update_call(actor=admin, call=other, slug="dialogue-cafe-2025")
    assert refused.value.code == "slug_taken"


# --- time zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "zone", "expected_utc"),
    [
        # Lisbon: UTC+0 in winter, UTC+1 in summer.
        (datetime(2025, 1, 15, 17, 0), "Europe/Lisbon", datetime(2025, 1, 15, 17, 0)),
        (datetime(2025, 7, 15, 17, 0), "Europe/Lisbon", datetime(2025, 7, 15, 16, 0)),
        # New York: the day after the spring change is UTC-4, the day before UTC-5.
        (datetime(2025, 3, 8, 12, 0), "America/New_York", datetime(2025, 3, 8, 17, 0)),
        (datetime(2025, 3, 10, 12, 0), "America/New_York", datetime(2025, 3, 10, 16, 0)),
        (datetime(2025, 6, 1, 23, 59), "Asia/Kolkata", datetime(2025, 6, 1, 18, 29)),
        (datetime(2025, 6, 1, 12, 0), "UTC", datetime(2025, 6, 1, 12, 0)),
    ],
)
def test_local_time_is_stored_as_the_same_instant_in_utc(local, zone, expected_utc):
    assert services.local_to_utc(local, zone) == expected_utc.replace(tzinfo=UTC)


def test_a_time_the_clocks_skip_is_refused():
    # Lisbon moves from 01:00 to 02:00 on 30 March 2025: 01:30 never happens.
    with pytest.raises(DomainError) as refused:
        services.local_to_utc(datetime(2025, 3, 30, 1, 30), "Europe/Lisbon")
    assert refused.value.code == "nonexistent_local_time"


def test_a_time_that_happens_twice_is_taken_at_its_first_occurrence():
    # Lisbon goes back from 02:00 to 01:00 on 26 October 2025: 01:30 happens twice.
    instant = services.local_to_utc(datetime(2025, 10, 26, 1, 30), "Europe/Lisbon")
    assert instant == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_utc_instants_are_shown_in_the_zone_across_a_dst_change():
    assert services.utc_to_local(datetime(2025, 3, 30, 0, 59, tzinfo=UTC), "Europe/Lisbon") == (
        datetime(2025, 3, 30, 0, 59)
    )
    assert services.utc_to_local(datetime(2025, 3, 30, 1, 0, tzinfo=UTC), "Europe/Lisbon") == (
        datetime(2025, 3, 30, 2, 0)
    )


def test_an_unknown_zone_name_falls_back_to_utc():
    assert services.local_to_utc(datetime(2025, 6, 1, 12, 0), "Mars/Olympus") == datetime(
        2025, 6, 1, 12, 0, tzinfo=UTC
    )


# --- states ------------------------------------------------------------------------------


def test_open_call_moves_a_draft_to_open_and_audits_it(admin):
    call = make_call(state=CallState.DRAFT)

    services.open_call(actor=admin, call=call)

    assert call.state == CallState.OPEN
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.open")).one()
    assert (entry.actor_id, entry.details["from"], entry.details["to"]) == (
        admin.id,
        "draft",
        "open",
    )


def test_open_call_is_refused_once_the_closing_instant_has_passed(admin):
    now = utcnow()
    call = make_call(
        state=CallState.DRAFT, opens_at=now - timedelta(days=5), closes_at=now - timedelta(hours=1)
    )
    with pytest.raises(DomainError) as refused:
        services.open_call(actor=admin, call=call)
    assert refused.value.code == "closing_instant_passed"
    assert call.state == CallState.DRAFT


def test_a_closed_call_can_be_reopened_after_moving_its_deadline(admin):
    call = make_call(state=CallState.CLOSED)
    services.open_call(actor=admin, call=call)
    assert call.state == CallState.OPEN


@pytest.mark.parametrize(
    ("state", "service", "expected"),
    [
        (CallState.CLOSED, services.start_review, CallState.IN_REVIEW),
        (CallState.IN_REVIEW, services.decide_call, CallState.DECIDED),
        (CallState.DECIDED, services.archive_call, CallState.ARCHIVED),
        (CallState.DRAFT, services.archive_call, CallState.ARCHIVED),
    ],
)
def test_a_call_moves_on_through_its_lifecycle(admin, state, service, expected):
    call = make_call(state=state)
    service(actor=admin, call=call)
    assert call.state == expected
    assert audit_actions(call.id)[-1] == f"call.{expected.value}"


@pytest.mark.parametrize(
    ("state", "service"),
    [
        (CallState.OPEN, services.start_review),
        (CallState.DRAFT, services.decide_call),
        (CallState.OPEN, services.archive_call),
        (CallState.ARCHIVED, services.open_call),
        (CallState.DRAFT, services.close_call),
    ],
)
def test_a_state_change_out_of_order_is_refused(admin, state, service):
    call = make_call(state=state)
    with pytest.raises(DomainError) as refused:
        service(actor=admin, call=call)
    assert refused.value.code == "invalid_call_transition"
    assert call.state == state


def test_available_transitions_follow_the_state():
    assert services.available_transitions(make_call(state=CallState.DRAFT)) == ["open", "archive"]
    assert services.available_transitions(make_call(state=CallState.OPEN)) == ["close"]
    assert services.available_transitions(make_call(state=CallState.ARCHIVED)) == []


def test_closing_by_hand_stops_writes_at_once(admin):
    call = make_call()
    assert services.is_accepting_proposals(call)
    services.close_call(actor=admin, call=call)
    assert call.state == CallState.CLOSED
    assert not services.is_accepting_proposals(call)


def test_the_state_change_alone_tells_no_one(admin):
    # Closing with its messages is app.proposals.closing (tests/proposals/test_closing.py).
    call = make_call()
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    services.close_call(actor=admin, call=call)
    assert call.state == CallState.CLOSED
    assert notifications_for(call.id) == []
    assert "close" not in services.STATE_SERVICES


# --- closing by hand before the closing instant ------------------------------------------


def test_closing_early_records_when_it_really_closed_and_audits_the_date_it_was_due(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    early = CLOSES - timedelta(days=10)
    with time_machine.travel(early, tick=False):
        services.close_call(actor=admin, call=call)
    assert call.closes_at == early
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.closed")).one()
    assert entry.details["scheduled_closes_at"] == CLOSES.isoformat()
    assert entry.details["at"] == early.isoformat()


def test_closing_after_the_closing_instant_keeps_it(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES, grace_minutes=30)
    with time_machine.travel(CLOSES + timedelta(minutes=10), tick=False):
        services.close_call(actor=admin, call=call)
    assert call.closes_at == CLOSES
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.closed")).one()
    assert "scheduled_closes_at" not in entry.details


def test_an_early_close_tells_cities_writing_later_the_real_date(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    early = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)
    with time_machine.travel(early, tick=False):
        services.close_call(actor=admin, call=call)
        with pytest.raises(DomainError) as refused:
            services.ensure_accepting_proposals(call)
    assert "2025-04-02 12:00" in refused.value.message


# --- criteria ----------------------------------------------------------------------------


def criterion_values(**overrides):
    return {
        "name": "Sustainability",
        "guidance": "How will the café last?",
        "rubric_low": "No plan.",
        "rubric_middle": "A plan.",
        "rubric_high": "A funded plan.",
        "weight": 2.0,
        "scale_min": 0.0,
        "scale_max": 10.0,
        "scale_step": 0.5,
        "max_length": 1500,
    } | overrides


def submitted_review_for(call):
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    return make_review(assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()))


def test_add_criterion_appends_it_with_a_stable_key_and_audits(admin):
    call = make_call()
    criterion = services.add_criterion(actor=admin, call=call, **criterion_values())

    assert call.criteria[-1] is criterion
    assert (criterion.key, criterion.position) == ("sustainability", 7)
    assert (criterion.scale_min, criterion.scale_max, criterion.scale_step) == (0.0, 10.0, 0.5)
    assert audit_actions(call.id)[-1] == "criterion.added"


def test_a_criterion_key_stays_unique_and_ascii(admin):
    call = make_call()
    first = services.add_criterion(actor=admin, call=call, name="Coopération")
    services.update_criterion(actor=admin, criterion=first, name="Old name")
    second = services.add_criterion(actor=admin, call=call, name="Coopération")
    third = services.add_criterion(actor=admin, call=call, name="合作")
    assert (first.key, second.key, third.key) == ("cooperation", "cooperation_2", "criterion")


def test_renaming_a_criterion_keeps_its_key(admin):
    call = make_call()
    diversity = call.criteria[0]
    services.update_criterion(actor=admin, criterion=diversity, name="Cultural diversity")
    assert (diversity.name, diversity.key) == ("Cultural diversity", "diversity")
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "criterion.updated")
    ).one()
    assert entry.details["changed"] == {"name": ["Diversity", "Cultural diversity"]}


def test_a_criterion_name_is_unique_in_its_call_whatever_the_case(admin):
    call = make_call()
    with pytest.raises(DomainError) as refused:
        services.add_criterion(actor=admin, call=call, **criterion_values(name=" vision "))
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scale_min": 5.0, "scale_max": 5.0}, "scale_max"),
        ({"scale_min": 6.0, "scale_max": 5.0}, "scale_max"),
        ({"scale_step": 0.25}, "scale_step"),
        ({"scale_step": 1.0, "scale_min": 0.5}, "scale_min"),
        ({"weight": -1.0}, "weight"),
        ({"max_length": 0}, "max_length"),
        ({"name": "   "}, "name"),
    ],
)
def test_an_invalid_criterion_is_refused_naming_the_field(admin, overrides, field):
    call = make_call()
    with pytest.raises(DomainError) as refused:
        services.add_criterion(actor=admin, call=call, **criterion_values(**overrides))
    assert refused.value.field == field
    assert len(call.criteria) == 7


def test_remove_criterion_renumbers_the_rest_and_drops_draft_scores(admin):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_review(
        assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()), submitted=False
    )
    creativity = call.criteria[1]

    services.remove_criterion(actor=admin, criterion=creativity)
    db.session.expire_all()

    assert [c.key for c in call.criteria][:2] == ["diversity", "culture_of_peace"]
    assert [c.position for c in call.criteria] == list(range(6))
    assert db.session.get(Criterion, creativity.id) is None
    assert not db.session.scalars(select(Score).where(Score.criterion_id == creativity.id)).all()
    assert audit_actions(call.id)[-1] == "criterion.removed"


def test_move_criterion_swaps_it_with_its_neighbour(admin):
    call = make_call()
    vision = call.criteria[-1]

    services.move_criterion(actor=admin, criterion=vision, offset=-1)

    assert [c.key for c in call.criteria][-2:] == ["vision", "collaboration"]
    db.session.expire_all()
    ordered = db.session.scalars(
        select(Criterion.key).where(Criterion.call_id == call.id).order_by(Criterion.position)
    ).all()
    assert ordered[-2:] == ["vision", "collaboration"]
    assert audit_actions(call.id)[-1] == "criterion.moved"


def test_moving_the_first_criterion_up_changes_nothing(admin):
    call = make_call()
    services.move_criterion(actor=admin, criterion=call.criteria[0], offset=-1)
    assert call.criteria[0].key == "diversity"
    assert "criterion.moved" not in audit_actions(call.id)


def test_a_draft_review_does_not_freeze_the_criteria(admin):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_review(
        assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()), submitted=False
    )
    assert not services.criteria_are_frozen(call.id)
    services.add_criterion(actor=admin, call=call, **criterion_values())


@pytest.mark.parametrize(
    "change",
    [
        lambda admin, call: services.add_criterion(actor=admin, call=call, name="New one"),
        lambda admin, call: services.update_criterion(
            actor=admin, criterion=call.criteria[0], weight=3.0
        ),
        lambda admin, call: services.remove_criterion(actor=admin, criterion=call.criteria[0]),
        lambda admin, call: services.move_criterion(
            actor=admin, criterion=call.criteria[1], offset=-1
        ),
    ],
    ids=["add", "update", "remove", "move"],
)
def test_criteria_are_frozen_once_a_review_is_submitted(admin, change):
    call = make_call()
    submitted_review_for(call)

    with pytest.raises(DomainError) as refused:
        change(admin, call)

    assert refused.value.code == "criteria_frozen"
    assert "frozen" in refused.value.message
    assert [c.key for c in call.criteria][:2] == ["diversity", "creativity"]


def test_criteria_of_another_call_stay_editable_when_one_call_is_frozen(admin):
    frozen_call = make_call()
    submitted_review_for(frozen_call)
    other = make_call()
    assert services.criteria_are_frozen(frozen_call.id)
    assert not services.criteria_are_frozen(other.id)


def test_narrowing_a_scale_below_existing_draft_scores_is_refused(admin):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_review(
        assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()),
        scores={"diversity": 5.0},
        submitted=False,
    )
    with pytest.raises(DomainError) as refused:
        services.update_criterion(actor=admin, criterion=call.criteria[0], scale_max=4.0)
    assert refused.value.code == "draft_scores_outside_scale"


def test_widening_a_scale_with_draft_scores_carries_them_along(admin):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_review(
        assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()),
        scores={"diversity": 5.0},
        submitted=False,
    )
    services.update_criterion(actor=admin, criterion=call.criteria[0], scale_max=10.0)
    db.session.expire_all()
    score = db.session.scalars(select(Score).where(Score.criterion_id == call.criteria[0].id)).one()
    assert (score.value, score.scale_max) == (5.0, 10.0)


# --- eligibility questions ---------------------------------------------------------------


def test_eligibility_questions_can_be_added_edited_reordered_and_removed(admin):
    call = make_call()
    government = services.add_eligibility_question(
        actor=admin,
        call=call,
        text="Do you apply for or with the support of a city government?",
        explanation="The call is for cities.",
    )
    space = services.add_eligibility_question(
        actor=admin, call=call, text="Is the café a commercial business?", qualifying_answer=False
    )
    assert [q.position for q in call.eligibility_questions] == [0, 1]

    services.update_eligibility_question(actor=admin, question=space, explanation="  Not here. ")
    services.move_eligibility_question(actor=admin, question=space, offset=-1)
    assert call.eligibility_questions == [space, government]
    assert space.explanation == "Not here."

    services.remove_eligibility_question(actor=admin, question=space)
    assert call.eligibility_questions == [government]
    assert government.position == 0
    assert audit_actions(call.id)[-4:] == [
        "eligibility_question.added",
        "eligibility_question.updated",
        "eligibility_question.moved",
        "eligibility_question.removed",
    ]


def test_an_empty_eligibility_question_is_refused(admin):
    call = make_call()
    with pytest.raises(DomainError) as refused:
        services.add_eligibility_question(actor=admin, call=call, text="   ")
    assert refused.value.field == "text"


# --- the deadline rule -------------------------------------------------------------------


def test_one_second_before_the_deadline_is_accepted_and_the_deadline_itself_refused():
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    assert services.is_accepting_proposals(call, at=CLOSES - timedelta(seconds=1))
    assert not services.is_accepting_proposals(call, at=CLOSES)
    with pytest.raises(DomainError) as refused:
        services.ensure_accepting_proposals(call, at=CLOSES)
    assert refused.value.code == "call_not_accepting"
