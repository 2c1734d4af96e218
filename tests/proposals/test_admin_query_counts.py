"""The administrators' proposal list runs as many SQL statements for a call of 200 proposals
as for one of 10, all at once or a page at a time (issue 8)."""

from __future__ import annotations

from tests.querycount import statements_on_a_small_and_a_large_call


def _pages(call_id: int) -> dict:
    return {
        "proposal list (all)": ("proposals.admin_list", {"call_id": call_id, "all": 1}),
        "proposal list (a page)": ("proposals.admin_list", {"call_id": call_id}),
    }


def test_the_proposal_list_runs_as_many_statements_for_200_proposals_as_for_10(app_context):
    small, large = statements_on_a_small_and_a_large_call(app_context, _pages)

    assert large == small, (small, large)
    assert max(large.values()) <= 12, large
