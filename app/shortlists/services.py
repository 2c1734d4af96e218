"""Shortlists: compiling one (a background job), adjusting, comparing, publishing decisions,
and exporting a call's reviews. Each function changes one thing; the caller commits."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, delete, insert, select, update
from werkzeug.routing import BuildError

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.models import Call, CallState
from app.calls.services import decide_call, start_review
from app.calls.texts import title_in
from app.core.urls import external_url
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import (
    FINISHED_STATES,
    Progress,
    fail_job,
    finish_job,
    result_file,
    start_job,
)
from app.outbox.models import Notification
from app.outbox.services import OutboxMessage, queue_notifications, render_notification
from app.proposals.models import SUBMITTED_STATES, Proposal, ProposalState
from app.shortlists import exporters, queries
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from app.shortlists.scoring import ProposalScore, ScoringOptions, rank_proposals, rounded
from app.shortlists.solver import (
    GROUP_BY_CHOICES,
    Candidate,
    Constraints,
    Reason,
    check_selection,
    describe,
    diagnose,
    solve,
)

log = logging.getLogger(__name__)

COMPILE_TASK = "shortlists.compile"
EXPORT_TASK = "shortlists.export"
COMPILE_JOB_KIND = "shortlist_compile"
EXPORT_JOB_KIND = "call_export"
EDITABLE_STATES = (ShortlistState.COMPILED, ShortlistState.ADJUSTED)
CLOSED_CALL_STATES = (CallState.CLOSED, CallState.IN_REVIEW)
DECIDED_CALL_STATES = (CallState.DECIDED, CallState.ARCHIVED)

# --- parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompileParameters:
    """What an administrator asks for: stored on the shortlist, so every result can be redone."""

    size: int = 10
    min_score: float | None = None
    group_by: str = "continent"
    min_per_group: int = 1
    max_per_group: int | None = None
    max_per_country: int | None = 1
    min_groups: int = 0
    scoring: ScoringOptions = field(default_factory=ScoringOptions)

    def __post_init__(self) -> None:
        if self.group_by not in GROUP_BY_CHOICES:
            raise ValueError(f"unknown group_by {self.group_by!r}")

    def constraints(self) -> Constraints:
        return Constraints(
            size=self.size,
            min_score=self.min_score,
            min_per_group=self.min_per_group,
            max_per_group=self.max_per_group,
            max_per_country=self.max_per_country,
            min_groups=self.min_groups,
        )

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["scoring"] = self.scoring.as_parameters()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CompileParameters:
        values = dict(values)
        scoring = ScoringOptions.from_parameters(values.pop("scoring", {}) or {})
        known = {name for name in cls.__dataclass_fields__ if name != "scoring"}
        return cls(scoring=scoring, **{k: v for k, v in values.items() if k in known})


DEFAULT_SIZE = 10


@dataclass(frozen=True)
class RuleConflict:
    """A compile rule that the call's proposals cannot meet, said on the form's field."""

    field: str
    message: str


# The form field that holds the rule each solver diagnosis is about.
_CONFLICT_FIELDS = {
    "size_not_positive": "size",
    "too_few_eligible": "size",
    "too_few_countries": "max_per_country",
    "group_minimums_exceed_size": "min_per_group",
    "group_short": "min_per_group",
    "group_maximum_too_low": "max_per_group",
    "min_groups_exceed_size": "min_groups",
    "too_few_groups": "min_groups",
}


def _place_candidates(call: Call, group_by: str) -> list[Candidate]:
    """Every proposal that has a score, equally scored: the rules' shape alone."""
    return [
        Candidate(
            proposal_id=row.id,
            rank=position,
            score=1.0,
            group=getattr(row, group_by) or None,
            country=row.country_code or None,
        )
        for position, row in enumerate(queries.scored_places(call.id), start=1)
    ]


def _conflict_message(problem: Reason, proposals: int, group_label=None) -> str:
    p = problem.params
    if problem.code == "too_few_eligible":
        return _(
            "%(size)s cities cannot be chosen: %(count)s proposals of this call have a review.",
            size=p["size"],
            count=proposals,
        )
    if problem.code == "too_few_countries" and p["per_country"] == 1:
        return _(
            "%(size)s cities with at most 1 per country needs %(size)s countries; "
            "this call has %(countries)s.",
            size=p["size"],
            countries=p["countries"],
        )
    if problem.code == "too_few_countries":
        return _(
            "%(size)s cities with at most %(per_country)s per country cannot be chosen: "
            "this call's proposals come from %(countries)s countries.",
            **p,
        )
    return describe(problem, group_label)


def rule_conflicts(
    *, call: Call, parameters: CompileParameters, group_label=None
) -> list[RuleConflict]:
    """The rules that the call's submitted proposals cannot meet together, whatever their
    scores: said on the form before compiling rather than by a failed job afterwards.
    (The minimum score depends on the scores, so only the job can check it.)"""
    candidates = _place_candidates(call, parameters.group_by)
    problems = diagnose(candidates, replace(parameters.constraints(), min_score=None))
    return [
        RuleConflict(
            field=_CONFLICT_FIELDS.get(problem.code, "size"),
            message=_conflict_message(problem, len(candidates), group_label),
        )
        for problem in problems
    ]


@dataclass(frozen=True)
class ProposalSpread:
    """Where a call's scored proposals come from: what the form's rules must fit."""

    proposals: int
    countries: int
    continents: int


def proposal_spread(call: Call) -> ProposalSpread:
    places = queries.scored_places(call.id)
    return ProposalSpread(
        proposals=len(places),
        countries=len({row.country_code for row in places if row.country_code}),
        continents=len({row.continent for row in places if row.continent}),
    )


def default_parameters(call: Call) -> CompileParameters:
    """Rules that fit the call in front of the form: up to ten cities, at most one per country
    and at least one from every continent that applied, each kept only when this call's
    proposals allow it (eight countries cannot give ten cities, one per country)."""
    candidates = _place_candidates(call, "continent")
    parameters = CompileParameters(size=min(DEFAULT_SIZE, len(candidates)) or DEFAULT_SIZE)
    codes = {p.code for p in diagnose(candidates, parameters.constraints())}
    if "too_few_countries" in codes:
        parameters = replace(parameters, max_per_country=None)
        codes = {p.code for p in diagnose(candidates, parameters.constraints())}
    if codes & {"group_minimums_exceed_size", "group_short"}:
        parameters = replace(parameters, min_per_group=0)
    return parameters


def candidates_from(ranking, group_by: str) -> list[Candidate]:
    return [
        Candidate(
            proposal_id=p.proposal_id,
            rank=p.rank,
            score=p.score,
            group=getattr(p, group_by) or None,
            country=p.country_code or None,
            city=p.city,
        )
        for p in ranking.proposals
    ]


# --- progress -------------------------------------------------------------------------------


def _report(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)


# --- compiling ------------------------------------------------------------------------------


def ensure_not_decided(call: Call) -> None:
    if call.state in DECIDED_CALL_STATES:
        raise Conflict(_("The decisions of this call are already published."), code="call_decided")


def request_compilation(
    *, actor: User, call: Call, parameters: CompileParameters, again_of: int | None = None
) -> Shortlist:
    """A new shortlist in 'compiling' and the background job that will compile it."""
    ensure_not_decided(call)
    job = start_job(
        actor=actor,
        kind=COMPILE_JOB_KIND,
        task_name=COMPILE_TASK,
        call_id=call.id,
        parameters=parameters.as_dict(),
    )
    shortlist = Shortlist(
        call_id=call.id,
        parameters=parameters.as_dict(),
        state=ShortlistState.COMPILING,
        job_id=job.id,
        compiled_by_id=actor.id,
    )
    db.session.add(shortlist)
    db.session.flush()
    # The job page offers "Compile again" and links to the shortlist after a failure.
    job.parameters = {**job.parameters, "shortlist_id": shortlist.id}
    details = {"job_id": job.id, "call_id": call.id, "parameters": parameters.as_dict()}
    if again_of is not None:
        details["again_of"] = again_of
    record_audit(actor, "shortlist.compile_requested", shortlist, details=details)
    return shortlist


def compile_again(*, actor: User, shortlist: Shortlist) -> Shortlist:
    """A new compilation with the same rules: after a failure, or after reviews changed.
    The earlier shortlist stays as it is, to compare with."""
    if shortlist.state == ShortlistState.COMPILING:
        raise DomainError(_("This shortlist is still being compiled."), code="still_compiling")
    call = db.session.get_one(Call, shortlist.call_id)
    return request_compilation(
        actor=actor,
        call=call,
        parameters=CompileParameters.from_dict(shortlist.parameters),
        again_of=shortlist.id,
    )


def shortlist_for_job(job_id: int, *, lock: bool = False) -> Shortlist | None:
    query = select(Shortlist).where(Shortlist.job_id == job_id)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        # A second run of the same job waits here, then finds the work done.
        query = query.with_for_update()
    return db.session.scalar(query)


def compile_shortlist(*, job: Job, progress: Progress | None = None) -> Shortlist | None:
    """Score, solve and write the entries of the job's shortlist; safe to run twice."""
    shortlist = shortlist_for_job(job.id, lock=True)
    if shortlist is None:
        fail_job(job, message=_("This job has no shortlist to compile."))
        return None
    if shortlist.state != ShortlistState.COMPILING:
        return shortlist
    call = db.session.get_one(Call, shortlist.call_id)
    parameters = CompileParameters.from_dict(shortlist.parameters)
    _report(progress, 1, 4, _("Scoring the proposals"))
    bases = review_bases(call.id)
    ranking = rank_proposals(call, parameters.scoring)
    candidates = candidates_from(ranking, parameters.group_by)
    _report(progress, 2, 4, _("Choosing the shortlist"))
    solution = solve(candidates, parameters.constraints())
    _report(progress, 3, 4, _("Writing the result"))
    db.session.execute(delete(ShortlistEntry).where(ShortlistEntry.shortlist_id == shortlist.id))
    if candidates:
        db.session.execute(
            insert(ShortlistEntry),
            [
                {
                    "shortlist_id": shortlist.id,
                    "proposal_id": candidate.proposal_id,
                    "rank": candidate.rank,
                    "score": rounded(candidate.score),
                    "included": candidate.proposal_id in solution.selected,
                    "why": solution.reasons[candidate.proposal_id].to_json(),
                    "reviews_counted": bases.get(candidate.proposal_id, NO_REVIEWS).reviews,
                    "reviews_digest": bases.get(candidate.proposal_id, NO_REVIEWS).digest,
                }
                for candidate in candidates
            ],
        )
    shortlist.compiled_at = utcnow()
    shortlist.state = ShortlistState.COMPILED if solution.feasible else ShortlistState.FAILED
    shortlist.message = json.dumps([asdict(problem) for problem in solution.problems])
    details = {
        "job_id": job.id,
        "selected": len(solution.selected),
        "candidates": len(candidates),
        "solver_seconds": round(solution.seconds, 4),
        "problems": [problem.code for problem in solution.problems],
    }
    compiled_by = (
        db.session.get(User, shortlist.compiled_by_id) if shortlist.compiled_by_id else None
    )
    action = "shortlist.compiled" if solution.feasible else "shortlist.compile_failed"
    record_audit(compiled_by, action, shortlist, details=details)
    if solution.feasible:
        finish_job(
            job,
            message=_(
                "%(count)s of %(total)s proposals chosen.",
                count=len(solution.selected),
                total=len(candidates),
            ),
        )
    else:
        fail_job(job, message=" ".join(describe(problem) for problem in solution.problems))
    db.session.flush()
    return shortlist


def record_job_failure(job: Job, error: BaseException) -> None:
    """After an unexpected error (the transaction rolled back): say so on the job and list."""
    # The job's message still holds the last step it reported (written in its own
    # transaction), which tells the reader what was under way when it stopped.
    step = (job.message or "").strip().rstrip(".")
    if isinstance(error, DomainError):
        message = error.message
    elif step:
        message = _(
            "The job stopped on an unexpected error during this step: %(step)s. Nothing was "
            "changed; you can start it again.",
            step=step,
        )
    else:
        message = _(
            "The job stopped on an unexpected error. Nothing was changed; you can start it again."
        )
    fail_job(job, message=message)
    shortlist = shortlist_for_job(job.id)
    if shortlist is not None and shortlist.state == ShortlistState.COMPILING:
        shortlist.state = ShortlistState.FAILED
        shortlist.message = json.dumps(
            [{"code": "error", "params": {"text": type(error).__name__}}]
        )


def problems_of(shortlist: Shortlist) -> list[Reason]:
    try:
        items = json.loads(shortlist.message or "[]")
    except ValueError:
        return [Reason("note", {"text": shortlist.message})]
    if not isinstance(items, list):
        return []
    return [Reason(str(item.get("code")), dict(item.get("params") or {})) for item in items]


# --- what a shortlist was computed from -----------------------------------------------------


@dataclass(frozen=True)
class ReviewBasis:
    """A proposal's counted reviews and a digest of their scores (and versions)."""

    reviews: int
    digest: str


NO_REVIEWS = ReviewBasis(reviews=0, digest=hashlib.sha256(b"").hexdigest()[:16])


def review_bases(call_id: int) -> dict[int, ReviewBasis]:
    """Per proposal, what its score is computed from now: the reviews the scoring module
    counts. A review submitted, saved again or no longer counting changes the digest."""
    bases = {}
    rows = queries.counted_score_rows(call_id)
    for proposal_id, scores in itertools.groupby(rows, key=lambda row: row[0]):
        digest, reviews = hashlib.sha256(), set()
        for _proposal, review_id, version, criterion_id, value in scores:
            reviews.add(review_id)
            digest.update(f"{review_id}:{version}:{criterion_id}:{float(value)!r};".encode())
        bases[proposal_id] = ReviewBasis(reviews=len(reviews), digest=digest.hexdigest()[:16])
    return bases


@dataclass(frozen=True)
class ReviewChange:
    """A proposal whose counted reviews are not those its shortlist entry was computed from."""

    proposal_id: int
    city: str
    country_code: str | None
    reviews_then: int | None  # None: compiled before shortlists recorded their reviews
    reviews_now: int


def review_changes(shortlist: Shortlist) -> list[ReviewChange]:
    """The proposals of the shortlist whose reviews changed since it was compiled."""
    now = review_bases(shortlist.call_id)
    changes = []
    for row in queries.entry_bases(shortlist.id):
        current = now.get(row.proposal_id, NO_REVIEWS)
        if row.reviews_digest != current.digest:
            changes.append(
                ReviewChange(
                    proposal_id=row.proposal_id,
                    city=row.city,
                    country_code=row.country_code,
                    reviews_then=row.reviews_counted,
                    reviews_now=current.reviews,
                )
            )
    return changes


@dataclass
class PublicationChecks:
    """What an organiser should know before publishing: each may make a decision unfair."""

    call_open: bool
    review_changes: list[ReviewChange]
    missing_reviews: list[ProposalScore]
    open_clarifications: Sequence[Row]


def publication_checks(shortlist: Shortlist) -> PublicationChecks:
    call = db.session.get_one(Call, shortlist.call_id)
    # Missing reviews as the ranking counts them, so that this list and the ranking's
    # "Missing" column never disagree.
    ranking = rank_proposals(call)
    return PublicationChecks(
        call_open=call.state not in CLOSED_CALL_STATES + DECIDED_CALL_STATES,
        review_changes=review_changes(shortlist),
        missing_reviews=[p for p in ranking.proposals if p.reviews_missing],
        open_clarifications=queries.open_clarifications(shortlist.id),
    )


# --- adjusting ------------------------------------------------------------------------------


def ensure_editable(shortlist: Shortlist) -> None:
    if shortlist.state == ShortlistState.PUBLISHED:
        raise Conflict(_("This shortlist is published and can no longer change."), code="published")
    if shortlist.state not in EDITABLE_STATES:
        raise DomainError(
            _("This shortlist has no result to change (it is compiling or failed)."),
            code="not_compiled",
        )


def adjust_entry(
    *, actor: User, entry: ShortlistEntry, include: bool, reason: str
) -> ShortlistEntry:
    """Put a proposal in or take it out by hand; the reason stays on the entry and in the log."""
    shortlist = entry.shortlist
    ensure_editable(shortlist)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why you change the shortlist."), code="reason_required", field="reason"
        )
    if entry.included == include:
        raise DomainError(
            _("This proposal is already in the shortlist.")
            if include
            else _("This proposal is already out of the shortlist."),
            code="no_change",
        )
    entry.included = include
    entry.adjusted_by_id = actor.id
    entry.adjusted_at = utcnow()
    entry.adjustment_reason = reason
    shortlist.state = ShortlistState.ADJUSTED
    db.session.flush()
    record_audit(
        actor,
        "shortlist.entry_included" if include else "shortlist.entry_excluded",
        shortlist,
        details={"entry_id": entry.id, "proposal_id": entry.proposal_id, "reason": reason},
    )
    return entry


def rule_breaches(shortlist: Shortlist, rows: Sequence[Row]) -> list[Reason]:
    """The compile rules the current (adjusted) selection no longer meets."""
    parameters = CompileParameters.from_dict(shortlist.parameters)
    candidates = [
        Candidate(
            proposal_id=row.proposal_id,
            rank=row.rank,
            score=row.score,
            group=getattr(row, parameters.group_by) or None,
            country=row.country_code or None,
            city=row.city,
        )
        for row in rows
    ]
    selected = frozenset(row.proposal_id for row in rows if row.included)
    return check_selection(candidates, parameters.constraints(), selected)


# --- comparing ------------------------------------------------------------------------------


@dataclass
class ComparisonRow:
    proposal_id: int
    city: str
    country_code: str | None
    continent: str | None
    rank_before: int | None
    rank_after: int | None
    score_before: float | None
    score_after: float | None
    in_before: bool
    in_after: bool

    @property
    def change(self) -> str:
        if self.in_before and not self.in_after:
            return "left"
        if self.in_after and not self.in_before:
            return "entered"
        return "stayed" if self.in_after else "out"


@dataclass
class Comparison:
    before: Shortlist
    after: Shortlist
    rows: list[ComparisonRow]
    parameter_changes: dict[str, tuple[Any, Any]]

    @property
    def changed(self) -> list[ComparisonRow]:
        return [row for row in self.rows if row.change in ("entered", "left")]


def compare_shortlists(*, before: Shortlist, after: Shortlist) -> Comparison:
    """Who entered, who left, how ranks moved, and which parameters differ (two queries)."""
    if before.call_id != after.call_id:
        raise DomainError(_("Only shortlists of the same call can be compared."), code="other_call")
    old = {row.proposal_id: row for row in queries.shortlist_rows(before.id)}
    new = {row.proposal_id: row for row in queries.shortlist_rows(after.id)}
    rows = []
    for proposal_id in old.keys() | new.keys():
        a, b = old.get(proposal_id), new.get(proposal_id)
        if not ((a and a.included) or (b and b.included)):
            continue
        # Each id comes from one of the two shortlists: the newer row when it has both.
        any_row = new[proposal_id] if proposal_id in new else old[proposal_id]
        rows.append(
            ComparisonRow(
                proposal_id=proposal_id,
                city=any_row.city,
                country_code=any_row.country_code,
                continent=any_row.continent,
                rank_before=a.rank if a else None,
                rank_after=b.rank if b else None,
                score_before=a.score if a else None,
                score_after=b.score if b else None,
                in_before=bool(a and a.included),
                in_after=bool(b and b.included),
            )
        )
    rows.sort(key=lambda row: (row.rank_after or 10**9, row.rank_before or 10**9))
    flat_before, flat_after = _flatten(before.parameters), _flatten(after.parameters)
    changes = {
        key: (flat_before.get(key), flat_after.get(key))
        for key in sorted(flat_before.keys() | flat_after.keys())
        if flat_before.get(key) != flat_after.get(key)
    }
    return Comparison(before=before, after=after, rows=rows, parameter_changes=changes)


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# --- decisions ------------------------------------------------------------------------------


@dataclass
class DecisionMessage:
    proposal_id: int
    city: str
    included: bool
    recipient_email: str
    recipient_id: int | None
    locale: str
    template: str
    context: dict[str, Any]

    @property
    def dedup_key(self) -> str:
        return f"decision:{self.proposal_id}"


def _proposal_link() -> str:
    try:
        return external_url("proposals.my_proposals")
    except BuildError:  # the applicants' pages are not part of this app build
        return external_url("calls.index")


def decision_messages(shortlist: Shortlist, *, include_comments: bool) -> list[DecisionMessage]:
    """One message per city with a proposal in the shortlist, in the city's language."""
    call = db.session.get_one(Call, shortlist.call_id)
    languages = current_app.config["OFFERED_LANGUAGES"]
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    comments = queries.shareable_comments(call.id) if include_comments else {}
    link = _proposal_link()
    messages = []
    for row in queries.decision_recipients(shortlist.id):
        locale = next(
            (code for code in (row.language, row.owner_locale) if code in languages),
            default_locale,
        )
        messages.append(
            DecisionMessage(
                proposal_id=row.proposal_id,
                city=row.city,
                included=row.included,
                recipient_email=row.owner_email,
                recipient_id=row.owner_id,
                locale=locale,
                template="decision_shortlisted" if row.included else "decision_declined",
                context={
                    "call_title": title_in(call, locale),
                    "city": row.city,
                    "recipient_name": row.owner_name,
                    "comments": comments.get(row.proposal_id, []),
                    "proposal_url": link,
                },
            )
        )
    return messages


@dataclass
class PreviewMessage:
    message: DecisionMessage
    subject: str
    text: str


def preview_decisions(
    shortlist: Shortlist, *, include_comments: bool
) -> tuple[list[DecisionMessage], list[PreviewMessage]]:
    """Every message that publishing would queue, and the first of each kind rendered."""
    messages = decision_messages(shortlist, include_comments=include_comments)
    samples = []
    for included in (True, False):
        sample = next((m for m in messages if m.included == included), None)
        if sample is None:
            continue
        email = render_notification(
            Notification(
                recipient_email=sample.recipient_email,
                template=sample.template,
                context=sample.context,
                locale=sample.locale,
                dedup_key=sample.dedup_key,
            )
        )
        text = email.get_body(preferencelist=("plain",))
        samples.append(
            PreviewMessage(
                message=sample,
                subject=str(email["Subject"]),
                text=text.get_content() if text else "",
            )
        )
    return messages, samples


def publish_shortlist(
    *,
    actor: User,
    shortlist: Shortlist,
    include_comments: bool,
    changes_reason: str | None = None,
) -> int:
    """Decide every proposal of the shortlist, mark the call decided, queue the emails.

    When reviews changed since the shortlist was compiled, a city could be declined that now
    ranks higher: publishing then needs `changes_reason` (kept in the audit log), or a new
    compilation. Returns the number of decision messages queued.
    """
    ensure_editable(shortlist)
    call = db.session.get_one(Call, shortlist.call_id)
    ensure_not_decided(call)
    if call.state not in CLOSED_CALL_STATES:
        raise DomainError(_("Close the call before publishing decisions."), code="call_not_closed")
    published = db.session.scalar(
        select(Shortlist.id).where(
            Shortlist.call_id == call.id, Shortlist.state == ShortlistState.PUBLISHED
        )
    )
    if published is not None:
        raise Conflict(_("Another shortlist of this call is already published."), code="published")
    if not db.session.scalar(
        select(ShortlistEntry.id).where(
            ShortlistEntry.shortlist_id == shortlist.id, ShortlistEntry.included.is_(True)
        )
    ):
        raise DomainError(_("The shortlist is empty."), code="empty_shortlist")
    changes = review_changes(shortlist)
    changes_reason = (changes_reason or "").strip()
    if changes and not changes_reason:
        raise DomainError(
            _(
                "Reviews changed since this shortlist was compiled (%(cities)s): compile it "
                "again, or say why you publish it as it is.",
                cities=", ".join(change.city for change in changes),
            ),
            code="reviews_changed",
            field="changes_reason",
        )
    messages = decision_messages(shortlist, include_comments=include_comments)
    now = utcnow()
    for included, state in ((True, ProposalState.SHORTLISTED), (False, ProposalState.DECLINED)):
        chosen = select(ShortlistEntry.proposal_id).where(
            ShortlistEntry.shortlist_id == shortlist.id, ShortlistEntry.included.is_(included)
        )
        db.session.execute(
            update(Proposal)
            .where(Proposal.id.in_(chosen), Proposal.state.in_(SUBMITTED_STATES))
            .values(state=state, decided_at=now, version=Proposal.version + 1),
            execution_options={"synchronize_session": "fetch"},
        )
    shortlist.state = ShortlistState.PUBLISHED
    shortlist.published_at = now
    shortlist.published_by_id = actor.id
    db.session.flush()
    if call.state == CallState.CLOSED:
        start_review(actor=actor, call=call)
    decide_call(actor=actor, call=call)
    queue_notifications(
        OutboxMessage(
            recipient_email=message.recipient_email,
            recipient_id=message.recipient_id,
            template=message.template,
            dedup_key=message.dedup_key,
            context=message.context,
            locale=message.locale,
            call_id=call.id,
        )
        for message in messages
    )
    record_audit(
        actor,
        "shortlist.published",
        shortlist,
        details={
            "call_id": call.id,
            "shortlisted": sum(m.included for m in messages),
            "declined": sum(not m.included for m in messages),
            "include_comments": include_comments,
            **(
                {
                    "published_despite_changes": {
                        "reason": changes_reason,
                        "proposal_ids": [change.proposal_id for change in changes],
                    }
                }
                if changes
                else {}
            ),
        },
    )
    return len(messages)


# --- exports --------------------------------------------------------------------------------


def start_export(
    *, actor: User, call: Call, export_format: str, shortlist: Shortlist | None = None
) -> Job:
    """Queue an export of the call (a file the starter downloads when the job is done). The
    job writes the shortlist of the moment it was asked for, if its format reads one."""
    chosen = exporters.FORMATS.get(export_format)
    if chosen is None:
        raise DomainError(_("Unknown export format."), code="unknown_format", field="export_format")
    if shortlist is None:
        shortlist = chosen.shortlist_of(call)
    job = start_job(
        actor=actor,
        kind=EXPORT_JOB_KIND,
        task_name=EXPORT_TASK,
        call_id=call.id,
        parameters={
            "format": chosen.name,
            "shortlist_id": shortlist.id if shortlist else None,
        },
    )
    record_audit(
        actor, "call.export_requested", call, details={"job_id": job.id, "format": chosen.name}
    )
    return job


def record_download(
    *, actor: User, call: Call, export_format: str, shortlist: Shortlist | None
) -> None:
    """A file downloaded straight away is in the audit trail, as an export job is."""
    record_audit(
        actor,
        "call.exported",
        call,
        details={"format": export_format, "shortlist_id": shortlist.id if shortlist else None},
    )


def run_export(*, job: Job, progress: Progress | None = None) -> Path | None:
    """Write the job's export file (streamed, to a temporary name first). Safe to run twice."""
    if job.state in FINISHED_STATES:
        return result_file(job)
    chosen = exporters.FORMATS.get(job.parameters.get("format", ""))
    call = db.session.get(Call, job.call_id) if job.call_id else None
    if call is None or chosen is None:
        fail_job(job, message=_("Nothing to export."))
        return None
    shortlist_id = job.parameters.get("shortlist_id")
    shortlist = db.session.get(Shortlist, shortlist_id) if shortlist_id else None
    if chosen.needs_shortlist and shortlist is None:
        raise NotFound(_("The shortlist of this dossier no longer exists."))
    folder = Path(current_app.config["EXPORT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{job.id}.{chosen.extension}"
    # Two runs of the same job (a redelivery) never write into each other's file.
    partial = folder / f"job-{job.id}.{uuid.uuid4().hex}.part"
    with partial.open("wb") as out:
        exporters.write_export(
            chosen.name, call=call, out=out, shortlist=shortlist, progress=progress
        )
    os.replace(partial, path)
    finish_job(
        job,
        message=_("The export is ready."),
        result_path=path.name,
        result_name=chosen.file_name(call),
    )
    return path
