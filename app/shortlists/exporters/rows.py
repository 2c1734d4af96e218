"""The rows every review export holds (the ranking and every counted review), read in a
constant number of queries and streamed from one, and the progress told while writing them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import ngettext

from app.calls.models import Call, Criterion
from app.extensions import db
from app.jobs.services import Progress
from app.shortlists import queries
from app.shortlists.models import Shortlist
from app.shortlists.scoring import Ranking, ScoringOptions, rank_proposals, scale_of
from app.shortlists.solver import Reason, describe

STREAM_BATCH = 500  # rows fetched from the cursor at a time; also how often progress is told


class ExportData:
    """What every review export holds, read in a constant number of queries."""

    def __init__(self, call: Call, *, shortlist: Shortlist | None = None, options=None):
        self.call = call
        self.shortlist = shortlist
        self.ranking: Ranking = rank_proposals(call, options or _options_of(shortlist))
        self.criteria: list[Criterion] = self.ranking.criteria
        self.by_proposal = self.ranking.by_id()
        self.entries = (
            {row.proposal_id: row for row in queries.shortlist_rows(shortlist.id)}
            if shortlist
            else {}
        )

    def review_columns(self) -> list[str]:
        return [
            "proposal_rank",
            "proposal_score",
            "proposal_id",
            "city",
            "country_code",
            "continent",
            "region",
            "proposal_state",
            "review_id",
            "reviewer_id",
            "reviewer_name",
            "reviewer_email",
            "submitted_at",
            "recommendation",
            "confidence",
            "review_total",
            *[f"score:{c.key}" for c in self.criteria],
            *[f"comment:{c.key}" for c in self.criteria],
            "overall_comment",
            "comment_for_applicant",
            "comment_shareable",
        ]

    def total_reviews(self) -> int:
        return sum(p.reviews_submitted for p in self.ranking.proposals)

    def review_rows(self) -> Iterator[list[Any]]:
        """The reviews, streamed from the database (server-side cursor where there is one)."""
        query = queries.review_export_query(self.call.id, self.criteria)
        result = db.session.execute(query, execution_options={"yield_per": STREAM_BATCH})
        try:
            for row in result:
                proposal = self.by_proposal.get(row.proposal_id)
                yield [
                    proposal.rank if proposal else None,
                    round_for_file(proposal.score if proposal else None),
                    *row,
                ]
        finally:
            result.close()  # also when a download is abandoned half-way

    def ranking_rows(self) -> Iterator[dict[str, Any]]:
        for p in self.ranking.proposals:
            entry = self.entries.get(p.proposal_id)
            yield {
                "rank": p.rank,
                "proposal_id": p.proposal_id,
                "city": p.city,
                "country_code": p.country_code,
                "continent": p.continent,
                "region": p.region,
                "state": p.state,
                "score": round_for_file(p.score),
                "total": round_for_file(p.total),
                "total_calibrated": round_for_file(p.total_calibrated)
                if self.ranking.options.calibrate
                else None,
                "spread": round_for_file(p.spread),
                "reviews_submitted": p.reviews_submitted,
                "reviews_pending": p.reviews_pending,
                "reviews_missing": p.reviews_missing,
                "criteria": {
                    c.key: round_for_file(scale_of(c, p.criteria.get(c.id))) for c in self.criteria
                },
                "in_shortlist": entry.included if entry else None,
                "why": describe(Reason.from_json(entry.why)) if entry else "",
                "adjustment_reason": entry.adjustment_reason if entry else None,
            }


def _options_of(shortlist: Shortlist | None) -> ScoringOptions:
    if shortlist is None:
        return ScoringOptions()
    return ScoringOptions.from_parameters((shortlist.parameters or {}).get("scoring", {}))


def round_for_file(value: float | None, digits: int = 4) -> float | None:
    """Four digits in a file: enough to order by, without binary noise (0.30000000000000004)."""
    return None if value is None else round(float(value), digits)


def tell(progress: Progress | None, done: int, total: int) -> None:
    """Report every STREAM_BATCH reviews written, and the last one."""
    if progress is not None and (done % STREAM_BATCH == 0 or done == total):
        message = ngettext(
            "%(done)s of %(num)s review", "%(done)s of %(num)s reviews", total, done=done
        )
        progress(done, max(total, 1), message)
