"""The ranking and the downloads of every review run as many SQL statements for a call of
200 proposals as for one of 10 (issue 8); a streamed export is read to its end."""

from __future__ import annotations

from tests.querycount import statements_on_a_small_and_a_large_call


def _pages(call_id: int) -> dict:
    def export(export_format: str) -> tuple[str, dict]:
        return "shortlists.download_export", {"call_id": call_id, "export_format": export_format}

    return {
        "ranking": ("shortlists.ranking", {"call_id": call_id}),
        "CSV export": export("csv"),
        "XLSX export": export("xlsx"),
        "JSON export": export("json"),
    }


def test_the_ranking_and_exports_run_as_many_statements_for_200_proposals_as_for_10(
    app_context,
):
    small, large = statements_on_a_small_and_a_large_call(app_context, _pages)

    assert large == small, (small, large)
    # 13: a download also writes its audit entry (one insert, 2026-12).
    assert max(large.values()) <= 13, large
