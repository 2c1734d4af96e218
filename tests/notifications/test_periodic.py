"""Scheduled messages: "call closing soon" and the administrators' digest, once per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.calls.models import CallState
from app.extensions import db
from app.outbox.mail import plain_text
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.proposals import periodic
from app.proposals.models import ProposalRevision, ProposalState
from tests.factories import make_admin, make_call, make_proposal, make_user

NOW = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)


def _messages(template: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.template == template).order_by(Notification.id)
        )
    )


@time_machine.travel(NOW, tick=False)
def test_closing_soon_goes_to_each_unfinished_draft_once_per_window(app_context):
    call = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(days=6))
    draft = make_proposal(call=call, city="Turin")
    make_proposal(call=call, city="Porto", state=ProposalState.SUBMITTED)
    make_proposal(call=call, city="Lagos", state=ProposalState.WITHDRAWN)
    inactive = make_user(active=False)
    make_proposal(call=call, owner=inactive, city="Duisburg")
    other = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(days=20))
    make_proposal(call=other, city="Beirut")

    assert periodic.send_closing_soon(now=NOW) == 1
    assert periodic.send_closing_soon(now=NOW + timedelta(hours=1)) == 0  # same window
    (notice,) = _messages("call_closing_soon")
    assert notice.recipient_id == draft.owner_id
    assert notice.context["window"] == "7d" and notice.context["city"] == "Turin"

    # Five days later, inside the last day: the one-day notice, once.
    later = NOW + timedelta(days=5, hours=6)
    assert periodic.send_closing_soon(now=later) == 1
    assert periodic.send_closing_soon(now=later + timedelta(hours=2)) == 0
    assert [n.context["window"] for n in _messages("call_closing_soon")] == ["7d", "1d"]


@time_machine.travel(NOW, tick=False)
def test_a_call_first_seen_inside_the_last_day_gets_only_the_one_day_notice(app_context):
    call = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(hours=3))
    make_proposal(call=call)
    assert periodic.send_closing_soon(now=NOW) == 1
    assert [n.context["window"] for n in _messages("call_closing_soon")] == ["1d"]


@time_machine.travel(NOW, tick=False)
def test_a_moved_deadline_brings_fresh_notices(app_context):
    call = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(hours=10))
    make_proposal(call=call)
    assert periodic.send_closing_soon(now=NOW) == 1
    call.closes_at = NOW + timedelta(days=5)
    db.session.flush()
    assert periodic.send_closing_soon(now=NOW) == 1


@time_machine.travel(NOW, tick=False)
def test_closed_calls_and_passed_deadlines_get_no_notice(app_context):
    closed = make_call(
        opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(days=2), state=CallState.CLOSED
    )
    make_proposal(call=closed)
    passed = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW - timedelta(minutes=1))
    make_proposal(call=passed)
    assert periodic.send_closing_soon(now=NOW) == 0


def _submitted(call, city, at, *, number=1, withdrawn=False):
    proposal = make_proposal(call=call, city=city, state=ProposalState.SUBMITTED)
    if withdrawn:
        proposal.state = ProposalState.WITHDRAWN
        proposal.withdrawn_at = at + timedelta(hours=1)
    revision = db.session.scalar(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)
    )
    revision.submitted_at = at
    revision.number = number
    db.session.flush()
    return proposal


@time_machine.travel(NOW, tick=False)
def test_the_digest_lists_yesterdays_submissions_for_each_administrator_once(app_context):
    first_admin, second_admin = make_admin(), make_admin(locale="fr")
    make_admin(active=False)
    call = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(days=20))
    yesterday = datetime(2030, 3, 9, 14, 30, tzinfo=UTC)
    _submitted(call, "Lisbon", yesterday)
    _submitted(call, "Toronto", yesterday + timedelta(hours=3), number=2)
    _submitted(call, "Too early", datetime(2030, 3, 8, 23, 59, tzinfo=UTC))
    _submitted(call, "Today", datetime(2030, 3, 10, 0, 0, tzinfo=UTC))
    _submitted(call, "Withdrawn", yesterday, withdrawn=True)

    assert periodic.send_daily_digest(now=NOW) == 2
    assert periodic.send_daily_digest(now=NOW + timedelta(hours=3)) == 0
    digests = _messages("submissions_digest")
    assert {n.recipient_id for n in digests} == {first_admin.id, second_admin.id}
    (entry,) = digests[0].context["calls"]
    assert [item["city"] for item in entry["new"]] == ["Lisbon"]
    assert [item["city"] for item in entry["resubmitted"]] == ["Toronto"]
    assert "/admin/proposals/" in entry["new"][0]["url"]

    english = next(n for n in digests if n.recipient_id == first_admin.id)
    message = render_notification(english)
    assert message["Subject"] == "Proposals submitted on March 9, 2030: 1 new, 1 resubmitted"
    text = plain_text(message)
    assert "Lisbon (PT)" in text and "Toronto (PT)" in text and "Too early" not in text


@time_machine.travel(NOW, tick=False)
def test_no_digest_for_a_day_without_submissions(app_context):
    make_admin()
    assert periodic.send_daily_digest(now=NOW) == 0
    assert _messages("submissions_digest") == []


@time_machine.travel(NOW, tick=False)
def test_closing_soon_takes_the_same_statements_for_2_drafts_or_40(app_context):
    from tests.querycount import count_queries

    counts = []
    for drafts in (2, 40):
        call = make_call(opens_at=NOW - timedelta(days=30), closes_at=NOW + timedelta(days=6))
        for _ in range(drafts):
            # With a language of their own: no lookup, which the garbage collector may or
            # may not spare (users still in the session cost none).
            make_proposal(call=call, owner=make_user(locale="fr"))
        db.session.flush()
        with count_queries() as counted:
            assert periodic.send_closing_soon(now=NOW) == drafts
        counts.append(counted.count)
        call.state = CallState.CLOSED  # out of the next round's way
        db.session.flush()
    assert counts[0] == counts[1], counts
