"""Read-only queries of the calls domain: each page's data in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import selectinload

from app.calls.models import Call, CallState
from app.db import utcnow
from app.extensions import db


def open_calls(*, now: datetime | None = None) -> list[Row]:
    """Calls taking proposals now, soonest deadline first (id, slug, title, closes_at, and
    languages and translations to show the title in the reader's language)."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(
                Call.id,
                Call.slug,
                Call.title,
                Call.closes_at,
                Call.languages,
                Call.translations,
            )
            .where(Call.state == CallState.OPEN, Call.opens_at <= now, Call.closes_at > now)
            .order_by(Call.closes_at, Call.id)
        )
    )


@dataclass(frozen=True, slots=True)
class CallVersion:
    """What decides whether a call's public page changed (duck-types Call for the rules)."""

    id: int
    state: CallState
    opens_at: datetime
    closes_at: datetime
    grace_minutes: int
    updated_at: datetime

    @property
    def accepts_until(self) -> datetime:
        return self.closes_at + timedelta(minutes=self.grace_minutes)


# Built once: this runs on every anonymous visit of the busiest page.
_CALL_VERSION = select(
    Call.id, Call.state, Call.opens_at, Call.closes_at, Call.grace_minutes, Call.updated_at
).where(Call.slug == bindparam("slug"))


def public_call_version(slug: str) -> CallVersion | None:
    """One light query: enough to serve a stored copy of the public page."""
    row = db.session.execute(_CALL_VERSION, {"slug": slug}).first()
    return CallVersion(*row) if row else None


def public_call(slug: str) -> Call | None:
    """The call with its criteria, for the public page: two queries."""
    return db.session.scalar(
        select(Call).where(Call.slug == slug).options(selectinload(Call.criteria))
    )


def call_for_editing(call_id: int) -> Call | None:
    """The call with its criteria and eligibility questions."""
    return db.session.scalar(
        select(Call)
        .where(Call.id == call_id)
        .options(selectinload(Call.criteria), selectinload(Call.eligibility_questions))
    )
