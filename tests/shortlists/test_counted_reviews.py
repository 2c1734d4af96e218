"""A reviewer recused (or found in conflict) after submitting: their review leaves the
ranking, the shortlist's candidates, every export and every picture (issue 12, item 3)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.reviews import conflicts
from app.shortlists import charts
from app.shortlists.scoring import rank_proposals
from tests.shortlists.conftest import compile_now
from tests.shortlists.helpers import city, exported, scored_call

HARSH_COMMENT = "Weak venue, no partners."


@pytest.fixture
def panel(app_context):
    """Lisbon: 5 from one reviewer, 1 from a second; Turin: 4 from the first."""
    scored = scored_call(
        [city("Lisbon", "PT", "Europe", 5, 1), city("Turin", "IT", "Europe", 4)], reviewers=2
    )
    harsh_review = scored.reviews[1]
    harsh_review.overall_comment = HARSH_COMMENT
    db.session.flush()
    return scored


def recuse_the_harsh_reviewer(panel, admin) -> None:
    conflicts.set_conflict(
        actor=admin,
        proposal=panel.proposals[0],
        reviewer=panel.reviewers[1],
        reason="Advises the city of Lisbon",
    )
    db.session.flush()


def test_the_ranking_no_longer_counts_the_recused_review(panel, admin):
    before = {p.city: p for p in rank_proposals(panel.call).proposals}
    assert [before["Lisbon"].total, before["Lisbon"].spread] == [50.0, 50.0]
    assert before["Turin"].rank == 1
    recuse_the_harsh_reviewer(panel, admin)
    after = {p.city: p for p in rank_proposals(panel.call).proposals}
    lisbon = after["Lisbon"]
    assert (lisbon.total, lisbon.spread, lisbon.reviews_submitted) == (100.0, None, 1)
    assert (lisbon.rank, after["Turin"].rank) == (1, 2)


def test_the_shortlist_candidates_follow(panel, admin):
    lisbon, turin = panel.proposals
    chosen = compile_now(actor=admin, call=panel.call, size=1, min_per_group=0)
    assert [e.proposal_id for e in chosen.entries if e.included] == [turin.id]
    recuse_the_harsh_reviewer(panel, admin)
    db.session.commit()
    chosen = compile_now(actor=admin, call=panel.call, size=1, min_per_group=0)
    included = [e for e in chosen.entries if e.included]
    assert [e.proposal_id for e in included] == [lisbon.id]
    assert included[0].score == pytest.approx(100.0)


def test_the_exports_leave_the_recused_review_out(panel, admin):
    recuse_the_harsh_reviewer(panel, admin)
    text = exported(panel.call, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    lisbon = [row for row in rows if row["City"] == "Lisbon"]
    assert len(lisbon) == 1 and HARSH_COMMENT not in text
    assert (lisbon[0]["Rank"], lisbon[0]["Score (0-100)"]) == ("1", "100.0")
    document = json.loads(exported(panel.call, "json"))
    first = document["ranking"][0]
    assert (first["city"], first["total"], first["spread"]) == ("Lisbon", 100.0, None)
    assert first["reviews_submitted"] == 1
    assert HARSH_COMMENT not in {review["overall_comment"] for review in document["reviews"]}


def test_the_dossier_shows_the_counted_reviews_and_numbers_as_the_pages_do(panel, admin):
    recuse_the_harsh_reviewer(panel, admin)
    db.session.commit()
    shortlist = compile_now(actor=admin, call=panel.call, size=2, min_per_group=0)
    pdf = exported(panel.call, "pdf", shortlist=shortlist)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert HARSH_COMMENT not in text
    assert "Weighted score (0–100)" in text and "100.00" in text  # as on the ranking page
    assert "spread – (needs two reviews)" in " ".join(text.split())  # maybe wrapped


def test_the_pictures_leave_the_recused_scores_out(panel, admin):
    def pictures():
        drawn = charts.call_charts(panel.call, lambda group: group or "")
        ones = sum(row[1] for chart in drawn["distribution"] for row in chart.rows if row[0] == "1")
        return ones, [row[0] for row in drawn["calibration"].rows]

    ones, reviewers = pictures()
    assert ones == len(panel.call.criteria) and panel.reviewers[1].name in reviewers
    recuse_the_harsh_reviewer(panel, admin)
    ones, reviewers = pictures()
    assert ones == 0 and reviewers == [panel.reviewers[0].name]
