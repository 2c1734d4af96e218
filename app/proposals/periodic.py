"""Messages about proposals sent on a schedule: "call closing soon" to the cities with a
draft, and the administrators' daily digest of what was submitted.

Both are safe to run twice in the same window: every message's de-duplication key names
its window, so a second run records nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.recipients import active_administrators
from app.calls.models import Call, CallState
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.extensions import db
from app.outbox.services import OutboxMessage, queue_notification, queue_notifications
from app.proposals import queries

# (name, how long before the deadline), tightest first: a call closing in 20 hours gets
# the one-day notice only, even if the seven-day one was never sent.
CLOSING_SOON_WINDOWS = (("1d", timedelta(days=1)), ("7d", timedelta(days=7)))
DIGEST_LIST_LIMIT = 100


def closing_soon_window(call: Call, *, now: datetime) -> str | None:
    remaining = call.closes_at - now
    if remaining <= timedelta(0):
        return None
    return next((name for name, delta in CLOSING_SOON_WINDOWS if remaining <= delta), None)


def send_closing_soon(*, now: datetime | None = None) -> int:
    """Tell every city with an unfinished draft that its call closes soon; once per window.

    The key names the deadline too, so a call whose deadline moves gets fresh notices.
    Returns how many messages were recorded now.
    """
    now = now or utcnow()
    widest = max(delta for _, delta in CLOSING_SOON_WINDOWS)
    calls = db.session.scalars(
        select(Call)
        .where(
            Call.state == CallState.OPEN,
            Call.opens_at <= now,
            Call.closes_at > now,
            Call.closes_at <= now + widest,
        )
        .order_by(Call.closes_at, Call.id)
    ).all()
    queued = 0
    for call in calls:
        window = closing_soon_window(call, now=now)
        if window is None:
            continue
        call_url = external_url("calls.public_call", slug=call.slug)
        proposals_url = external_url("proposals.my_proposals")
        # A big call has thousands of drafts in its last week: one batch, not a row each.
        messages = [
            OutboxMessage(
                recipient_email=draft.email,
                recipient_id=draft.user_id,
                locale=draft.locale,
                template="call_closing_soon",
                dedup_key=(
                    f"call-closing-soon:{call.id}:{call.closes_at:%Y%m%dT%H%MZ}:"
                    f"{window}:proposal:{draft.proposal_id}"
                ),
                call_id=call.id,
                context={
                    "recipient_name": draft.name,
                    "city": draft.city,
                    "call_title": title_in(call, draft.locale),
                    "closes_at": call.closes_at.isoformat(),
                    "window": window,
                    "call_url": call_url,
                    "proposals_url": proposals_url,
                },
            )
            for draft in queries.draft_owners(call.id)
        ]
        queued += sum(new_id is not None for new_id in queue_notifications(messages))
    return queued


def digest_day(now: datetime) -> tuple[datetime, datetime]:
    """The previous UTC day, [midnight, midnight): the window one digest covers."""
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=1), end


def _digest_rows(rows) -> list[dict]:
    return [
        {
            "city": row.city,
            "country_code": row.country_code or "",
            "submitted_at": row.submitted_at.isoformat(),
            "url": external_url("proposals.admin_detail", proposal_id=row.proposal_id),
        }
        for row in rows[:DIGEST_LIST_LIMIT]
    ]


def send_daily_digest(*, now: datetime | None = None) -> int:
    """Send each administrator the proposals submitted during the previous UTC day.

    Nothing is sent for a day without submissions. Returns how many messages were recorded.
    """
    now = now or utcnow()
    start, end = digest_day(now)
    submissions = queries.submissions_between(start, end)
    if not submissions:
        return 0
    calls: list[dict[str, Any]] = [
        {
            "title": entry.title,
            "url": external_url("proposals.admin_list", call_id=entry.call_id),
            "new_count": len(entry.new),
            "resubmitted_count": len(entry.resubmitted),
            "new": _digest_rows(entry.new),
            "resubmitted": _digest_rows(entry.resubmitted),
            "more": max(0, len(entry.new) - DIGEST_LIST_LIMIT)
            + max(0, len(entry.resubmitted) - DIGEST_LIST_LIMIT),
        }
        for entry in submissions
    ]
    context = {
        "day": start.date().isoformat(),
        "day_start": start.isoformat(),
        "calls": calls,
        "new_total": sum(call["new_count"] for call in calls),
        "resubmitted_total": sum(call["resubmitted_count"] for call in calls),
        "outbox_url": external_url("notifications.outbox"),
    }
    queued = 0
    for administrator in active_administrators():
        queued += (
            queue_notification(
                recipient_email=administrator.email,
                recipient_id=administrator.id,
                locale=administrator.locale,
                template="submissions_digest",
                dedup_key=f"submissions-digest:{start:%Y-%m-%d}:{administrator.id}",
                context={**context, "recipient_name": administrator.name},
            )
            is not None
        )
    return queued
