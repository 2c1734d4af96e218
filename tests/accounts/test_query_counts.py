"""The administrators' list of people runs as many SQL statements with the accounts of a call
of 200 proposals (each city and reviewer an account) as with those of 10 (issue 8)."""

from __future__ import annotations

from tests.querycount import statements_on_a_small_and_a_large_call


def _pages(call_id: int) -> dict:
    return {"people": ("accounts.admin_users", {})}


def test_the_people_list_runs_as_many_statements_for_200_cities_as_for_10(app_context):
    small, large = statements_on_a_small_and_a_large_call(app_context, _pages)

    assert large == small, (small, large)
    assert max(large.values()) <= 12, large
