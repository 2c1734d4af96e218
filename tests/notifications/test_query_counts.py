"""The outbox page runs as many SQL statements with 200 messages as with 10 (issue 8)."""

from __future__ import annotations

from app.outbox.services import record_notification
from tests.querycount import statements_on_a_small_and_a_large_call


def _pages(call_id: int) -> dict:
    return {"outbox": ("notifications.outbox", {})}


def _record_messages(how_many: int) -> None:
    for number in range(how_many):
        record_notification(
            recipient_email=f"city-{number}@example.org",
            template="verify_email",
            dedup_key=f"query-count-test:{how_many}:{number}",
            context={"name": "Ana", "link": "https://call.test/verify", "valid_seconds": 3600},
        )


def test_the_outbox_runs_as_many_statements_for_200_messages_as_for_10(app_context):
    small, large = statements_on_a_small_and_a_large_call(
        app_context, _pages, prepare=_record_messages
    )

    assert large == small, (small, large)
    assert max(large.values()) <= 12, large
