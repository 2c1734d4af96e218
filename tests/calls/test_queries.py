"""Calls queries: the open calls, and the public pages' queries at any size."""

from __future__ import annotations

from datetime import timedelta

from app.calls import queries
from app.calls.models import CallState
from app.db import utcnow
from app.extensions import db
from tests.calls.conftest import forget_request_state
from tests.factories import make_call
from tests.proposals.helpers import add_proposals
from tests.querycount import count_queries

# --- the lists ---------------------------------------------------------------------------


def test_open_calls_lists_only_calls_taking_proposals_now(app_context):
    now = utcnow()
    soon = make_call(closes_at=now + timedelta(days=2))
    later = make_call(closes_at=now + timedelta(days=9))
    make_call(state=CallState.DRAFT)
    make_call(state=CallState.CLOSED)
    make_call(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=5))
    make_call(opens_at=now - timedelta(days=9), closes_at=now - timedelta(minutes=1))

    assert [row.slug for row in queries.open_calls(now=now)] == [soon.slug, later.slug]


# --- constant numbers of queries ---------------------------------------------------------


def queries_for(client, path: str) -> tuple[int, str]:
    """Statements one request runs, with nothing cached from the test or an earlier request."""
    db.session.commit()
    db.session.expunge_all()
    forget_request_state()
    with count_queries() as counted:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return counted.count, str(counted)


def test_public_call_page_takes_three_small_queries_when_rendered(client, app_context):
    call = make_call()
    add_proposals(call.id, 20)
    count, statements = queries_for(client, f"/calls/{call.slug}")
    # The call's version, then the call and its criteria (a cached copy needs only the first).
    assert count == 3, statements


def test_home_page_lists_open_calls_in_one_query(client, app_context):
    for _number in range(5):
        make_call()
    count, statements = queries_for(client, "/")
    assert count == 1, statements
