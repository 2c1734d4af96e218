"""The calls.close_due task: one service call and one commit, safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.calls.models import CallState
from app.extensions import db
from app.proposals.models import ProposalState
from tests.factories import make_admin, make_call, make_proposal
from workers.calls import close_due_calls

CLOSES = datetime(2025, 4, 30, 17, 0, tzinfo=UTC)


def test_the_task_has_the_name_the_beat_schedule_uses(app):
    schedule = app.config["CELERY"]["beat_schedule"]
    assert close_due_calls.name == "calls.close_due"
    assert "calls.close_due" in {entry["task"] for entry in schedule.values()}


def test_running_the_task_twice_closes_once_and_sends_each_message_once(
    app_context, dispatched_tasks
):
    call = make_call(opens_at=CLOSES - timedelta(days=30), closes_at=CLOSES)
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_admin()
    db.session.commit()

    with time_machine.travel(CLOSES + timedelta(seconds=30), tick=False):
        first = close_due_calls.run()
        second = close_due_calls.run()

    db.session.refresh(call)
    assert (first, second) == (1, 0)
    assert call.state == CallState.CLOSED
    deliveries = [name for name, _kwargs in dispatched_tasks if name == "notifications.deliver"]
    assert len(deliveries) == 2  # the city and the administrator, after the commit


def test_the_task_leaves_a_call_alone_before_its_deadline(app_context, dispatched_tasks):
    call = make_call(opens_at=CLOSES - timedelta(days=30), closes_at=CLOSES)
    db.session.commit()
    with time_machine.travel(CLOSES - timedelta(seconds=1), tick=False):
        assert close_due_calls.run() == 0
    assert call.state == CallState.OPEN
    assert dispatched_tasks == []
