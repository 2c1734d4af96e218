"""Closing a call and telling people: by hand, the confirmation page's summary, and at the
deadline (each city with a submitted proposal once, and the administrators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.calls import services as call_services
from app.calls.models import CallState
from app.extensions import db
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.proposals import closing
from app.proposals.models import ProposalState
from tests.factories import make_admin, make_call, make_proposal, make_user
from tests.querycount import count_queries

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


def test_closing_tells_each_city_with_a_submitted_proposal_once_and_the_administrators(admin):
    call = make_call()
    city = make_user(name="Lisbon office", locale="fr")
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED, city="Porto")
    drafting = make_user()
    make_proposal(call=call, owner=drafting)
    withdrawn = make_user()
    make_proposal(call=call, owner=withdrawn, state=ProposalState.WITHDRAWN)
    other_call_city = make_user()
    make_proposal(call=make_call(), owner=other_call_city, state=ProposalState.SUBMITTED)

    closing.close_call(actor=admin, call=call)

    messages = {n.recipient_id: n for n in notifications_for(call.id)}
    assert set(messages) == {city.id, admin.id}
    assert messages[city.id].template == "call_closed"
    assert messages[city.id].locale == "fr"
    assert messages[city.id].dedup_key == f"call-closed:{call.id}:city:{city.id}"
    assert messages[city.id].context["audience"] == "city"
    assert messages[admin.id].context["audience"] == "administrator"
    assert messages[admin.id].context["submitted_count"] == 2
    assert messages[admin.id].context["proposals_url"].endswith(f"/admin/calls/{call.id}/proposals")


def test_closing_takes_the_same_statements_for_few_or_many_cities(admin):
    counts = []
    for cities in (2, 20):
        call = make_call()
        for _ in range(cities):
            make_proposal(call=call, owner=make_user(), state=ProposalState.SUBMITTED)
        db.session.expire_all()  # the cities' languages are read from the database
        with count_queries() as counted:
            closing.close_call(actor=admin, call=call)
            db.session.flush()
        counts.append(counted)
        messages = notifications_for(call.id)
        assert len(messages) == cities + 1  # and the administrator
        assert {m.locale for m in messages} == {"en"}
    few, many = counts
    assert few.count == many.count, str(many)


def test_the_call_closed_message_renders_for_both_audiences(admin):
    call = make_call()
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    closing.close_call(actor=admin, call=call)

    for notification in notifications_for(call.id):
        message = render_notification(notification)
        assert call.title in message["Subject"]
        assert notification.context["proposals_url"] in message.get_body(("plain",)).get_content()


def test_the_closing_summary_counts_who_is_emailed_and_the_drafts_left(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    city = make_user()
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED, city="Porto")
    make_proposal(call=call, owner=make_user(), state=ProposalState.SUBMITTED)
    make_proposal(call=call, owner=make_user())
    make_proposal(call=call, owner=make_user(), state=ProposalState.WITHDRAWN)
    make_admin()
    with time_machine.travel(CLOSES - timedelta(days=1), tick=False):
        summary = closing.closing_summary(call)
        assert (summary.cities, summary.administrators, summary.drafts) == (2, 2, 1)
        assert summary.early and summary.scheduled_closes_at == CLOSES
        closing.close_call(actor=admin, call=call)
    # The page said what the emails did.
    audiences = [n.context["audience"] for n in notifications_for(call.id)]
    assert (audiences.count("city"), audiences.count("administrator")) == (2, 2)


# --- closing by itself -------------------------------------------------------------------


def test_a_call_closes_by_itself_at_its_closing_instant(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    make_proposal(call=call, state=ProposalState.SUBMITTED)

    with time_machine.travel(CLOSES - timedelta(seconds=1), tick=False):
        assert closing.close_due_calls() == []
        assert call_services.is_accepting_proposals(call)
    with time_machine.travel(CLOSES, tick=False):
        assert closing.close_due_calls() == [call]

    assert call.state == CallState.CLOSED
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "call.closed")).one()
    assert entry.actor_id is None
    assert entry.details["automatic"] is True


def test_the_grace_period_keeps_a_call_open_after_its_published_deadline(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES, grace_minutes=15)

    with time_machine.travel(CLOSES + timedelta(minutes=14, seconds=59), tick=False):
        assert closing.close_due_calls() == []
        assert call_services.is_accepting_proposals(call)
    with time_machine.travel(CLOSES + timedelta(minutes=15), tick=False):
        assert not call_services.is_accepting_proposals(call)
        assert closing.close_due_calls() == [call]


def test_closing_due_calls_twice_closes_once_and_tells_each_person_once(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_admin()

    with time_machine.travel(CLOSES + timedelta(minutes=1), tick=False):
        first = closing.close_due_calls()
        second = closing.close_due_calls()

    assert (first, second) == ([call], [])
    assert audit_actions(call.id).count("call.closed") == 1
    assert len(notifications_for(call.id)) == 3  # the city and two administrators


def test_reopening_and_closing_again_sends_nothing_twice(admin):
    call = make_call(opens_at=OPENS, closes_at=CLOSES)
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    with time_machine.travel(CLOSES - timedelta(days=1), tick=False):
        closing.close_call(actor=admin, call=call)
        call_services.update_call(actor=admin, call=call, closes_at=CLOSES)
        call_services.open_call(actor=admin, call=call)
        closing.close_call(actor=admin, call=call)
    assert len(notifications_for(call.id)) == 2


def test_draft_and_closed_calls_are_not_closed_by_the_periodic_task(admin):
    draft = make_call(state=CallState.DRAFT, opens_at=OPENS, closes_at=CLOSES)
    closed = make_call(state=CallState.CLOSED, opens_at=OPENS, closes_at=CLOSES)
    with time_machine.travel(CLOSES + timedelta(days=1), tick=False):
        assert closing.close_due_calls() == []
    assert (draft.state, closed.state) == (CallState.DRAFT, CallState.CLOSED)
