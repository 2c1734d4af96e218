"""A proposal's history as people read it: one sentence per audit entry, never its code."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.audit.models import AuditEntry
from app.proposals import queries, sections


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str | None
    what: str


def _section_title(key: Any) -> str:
    section = sections.get_section(str(key)) if key else None
    return str(section.title) if section else str(key or "")


def _quoted(value: Any) -> str:
    return _("“%(text)s”", text=value)


Describe = Callable[[dict[str, Any], Callable[[Any], str]], str]

# Each sentence is said by the person in the "Who" column, in the page's language.
SENTENCES: dict[str, Describe] = {
    "proposal.created": lambda d, name: _("Started the proposal."),
    "proposal.section_saved": lambda d, name: _(
        "Saved the section %(section)s.", section=_section_title(d.get("section"))
    ),
    "proposal.submitted": lambda d, name: (
        _("Submitted the proposal (submission %(number)s).", number=d["revision"])
        if d.get("revision")
        else _("Submitted the proposal.")
    ),
    "proposal.withdrawn": lambda d, name: (
        _("Withdrew the proposal: %(reason)s", reason=_quoted(d["reason"]))
        if d.get("reason")
        else _("Withdrew the proposal.")
    ),
    "proposal.attachment_added": lambda d, name: _(
        "Added the file %(name)s.", name=_quoted(d.get("name", ""))
    ),
    "proposal.attachment_deleted": lambda d, name: _(
        "Removed the file %(name)s.", name=_quoted(d.get("name", ""))
    ),
    "proposal.clarification_requested": lambda d, name: _("Asked the city a question."),
    "proposal.clarification_answered": lambda d, name: _("Answered the organisers' question."),
    "proposal.under_review": lambda d, name: _("Reviewing started."),
    "conflict.automatic": lambda d, name: _(
        "A conflict of interest of %(reviewer)s was found: %(reason)s",
        reviewer=name(d.get("reviewer_id")),
        reason=d.get("reason", ""),
    ),
    "conflict.declared": lambda d, name: _(
        "%(reviewer)s declared a conflict of interest: %(reason)s",
        reviewer=name(d.get("reviewer_id")),
        reason=_quoted(d.get("reason", "")),
    ),
    "conflict.administrator": lambda d, name: _(
        "Recorded a conflict of interest of %(reviewer)s: %(reason)s",
        reviewer=name(d.get("reviewer_id")),
        reason=_quoted(d.get("reason", "")),
    ),
    "conflict.lifted": lambda d, name: _(
        "Lifted the conflict of interest of %(reviewer)s.", reviewer=name(d.get("reviewer_id"))
    ),
}


def describe(entry: AuditEntry, name: Callable[[Any], str]) -> str:
    sentence = SENTENCES.get(entry.action)
    if sentence is not None:
        return sentence(entry.details or {}, name)
    # An action added later without a sentence still reads as words, not as a code.
    words = entry.action.rsplit(".", 1)[-1].replace("_", " ").strip()
    return _("%(action)s.", action=words.capitalize())


def _reviewer_ids(entries: Iterable[AuditEntry]) -> set[int]:
    return {
        entry.details["reviewer_id"]
        for entry in entries
        if isinstance((entry.details or {}).get("reviewer_id"), int)
    }


def proposal_history(proposal_id: int) -> list[HistoryLine]:
    """The proposal's history, oldest first: when, who, and what they did, in a sentence."""
    rows = queries.audit_history(proposal_id)
    people = queries.user_names(_reviewer_ids(entry for entry, _name in rows))

    def name(user_id: Any) -> str:
        return people.get(user_id) or _("a reviewer")

    return [HistoryLine(entry.at, actor, describe(entry, name)) for entry, actor in rows]
