"""Test helpers of the outbox."""

from __future__ import annotations

from collections import Counter


def handed_over(tasks: list) -> Counter:
    """How many times each message was handed to a worker, alone or in a batch task."""
    ids: Counter = Counter()
    for name, kwargs in tasks:
        ids.update([kwargs["notification_id"]] if name == "notifications.deliver" else [])
        ids.update(kwargs.get("notification_ids", []))
    return ids
