"""The organisers' lists of proposals: every call with its proposals counted by state, and
one call's proposals; what they show, and that they take the same queries at any size."""

from __future__ import annotations

import pytest

from app.calls.models import CallState
from app.extensions import db
from app.proposals import queries
from app.proposals.models import ProposalState
from tests.calls.conftest import forget_request_state
from tests.client import log_in
from tests.factories import make_call, make_proposal
from tests.proposals.helpers import add_proposals
from tests.querycount import count_queries


def filters(**values) -> queries.ProposalFilters:
    return queries.ProposalFilters(**values)


# --- the proposal list -------------------------------------------------------------------


def test_proposal_list_counts_by_state_and_lists_in_id_order(app_context):
    call = make_call()
    add_proposals(call.id, 9)
    add_proposals(make_call().id, 4)  # another call's proposals never show

    page = queries.proposal_list(call_id=call.id, filters=filters())

    assert page.counts == {"submitted": 3, "draft": 3, "under_review": 3}
    assert page.total == 9
    assert [row.city for row in page.rows] == [f"City {n}" for n in range(9)]
    assert page.countries == ["BR", "JP", "KE", "PT"]
    assert page.regions == ["Africa", "Americas", "Asia", "Europe"]
    assert page.next_after is None


def test_proposal_list_filters_by_state_country_and_region(app_context):
    call = make_call()
    add_proposals(call.id, 24)

    by_state = queries.proposal_list(call_id=call.id, filters=filters(state="draft"))
    by_country = queries.proposal_list(call_id=call.id, filters=filters(country="KE"))
    both = queries.proposal_list(
        call_id=call.id, filters=filters(state="submitted", region="Europe")
    )

    assert {row.state for row in by_state.rows} == {ProposalState.DRAFT}
    assert len(by_state.rows) == 8
    assert {row.country_code for row in by_country.rows} == {"KE"}
    assert [row.city for row in both.rows] == ["City 0", "City 12"]
    # The counts keep showing every state, within the other filters.
    assert by_country.counts == {"submitted": 2, "draft": 2, "under_review": 2}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("city 1", ["City 1", "City 10", "City 11"]),
        ("MUNICIPALITY 11", ["City 11"]),
        ("contact 2", ["City 2"]),
        ("CONTACT3@CITY", ["City 3"]),
        ("  city 7  ", ["City 7"]),
    ],
)
def test_proposal_list_search_is_case_insensitive_over_city_organisation_and_contact(
    app_context, term, expected
):
    call = make_call()
    add_proposals(call.id, 12)
    page = queries.proposal_list(call_id=call.id, filters=filters(search=term.strip()))
    assert [row.city for row in page.rows] == expected


def test_proposal_list_search_treats_wildcards_as_text(app_context):
    call = make_call()
    make_proposal(call=call, city="100% Town", organisation="Percent")
    make_proposal(call=call, city="Under_score", organisation="Underscore")
    make_proposal(call=call, city="Plain", organisation="Plain")

    assert [
        r.city for r in queries.proposal_list(call_id=call.id, filters=filters(search="%")).rows
    ] == ["100% Town"]
    assert [
        r.city for r in queries.proposal_list(call_id=call.id, filters=filters(search="_")).rows
    ] == ["Under_score"]


def test_proposal_list_search_finds_accented_city_names(app_context):
    call = make_call()
    make_proposal(call=call, city="São Paulo", country_code="BR")
    page = queries.proposal_list(call_id=call.id, filters=filters(search="são"))
    assert [row.city for row in page.rows] == ["São Paulo"]


def test_proposal_list_pages_by_keyset_and_can_show_everything(app_context):
    call = make_call()
    add_proposals(call.id, 7)

    first = queries.proposal_list(call_id=call.id, filters=filters(), page_size=3)
    second = queries.proposal_list(
        call_id=call.id, filters=filters(after=first.next_after), page_size=3
    )
    third = queries.proposal_list(
        call_id=call.id, filters=filters(after=second.next_after), page_size=3
    )
    everything = queries.proposal_list(call_id=call.id, filters=filters(show_all=True), page_size=3)

    cities = [row.city for page in (first, second, third) for row in page.rows]
    assert cities == [f"City {n}" for n in range(7)]
    assert third.next_after is None
    assert [row.city for row in everything.rows] == cities
    assert everything.next_after is None


# --- the list of calls -------------------------------------------------------------------


def test_call_summaries_count_each_calls_proposals_by_state(app_context):
    busy = make_call()
    add_proposals(busy.id, 5)
    quiet = make_call(state=CallState.DRAFT)

    summaries = {summary.call.id: summary for summary in queries.call_summaries()}

    assert summaries[busy.id].counts == {"submitted": 2, "draft": 2, "under_review": 1}
    assert summaries[busy.id].total == 5
    assert summaries[quiet.id].counts == {}


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


@pytest.mark.parametrize(
    "query_string",
    ["", "?all=1", "?state=submitted&country=PT&region=Europe&q=city", "?after=5"],
)
def test_admin_proposal_list_runs_the_same_queries_for_10_and_200_proposals(
    client, admin, query_string
):
    call_id = make_call().id
    add_proposals(call_id, 10)
    log_in(client, admin)
    path = f"/admin/calls/{call_id}/proposals{query_string}"

    small, _ = queries_for(client, path)
    add_proposals(call_id, 190, start=10)
    large, statements = queries_for(client, path)

    assert large == small, statements
    assert large <= 6, statements


def test_admin_call_list_runs_the_same_queries_for_1_and_12_calls(client, admin):
    add_proposals(make_call().id, 5)
    log_in(client, admin)
    small, _ = queries_for(client, "/admin/calls")
    for _number in range(11):
        add_proposals(make_call().id, 3)
    large, statements = queries_for(client, "/admin/calls")
    assert large == small, statements
    assert large <= 4, statements  # the user and their roles, the calls, the counts
