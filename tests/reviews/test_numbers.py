"""A proposal's numbers as organisers read them: the review dashboard and the ranking show
the same weighted score and spread, over the same reviews (issue 12, items 3 and 7)."""

from __future__ import annotations

import lxml.html
import pytest

from app.extensions import db
from app.reviews import conflicts
from app.reviews.models import ConflictOfInterest, ConflictSource
from tests.client import log_in
from tests.factories import make_assignment, make_review
from tests.reviews.helpers import make_reviewing

TOTAL = "Weighted score (0–100)"
SPREAD = "Spread (0–100)"


def row_of(page: str, table_class: str, city: str) -> dict[str, str]:
    """The row of the city in the table, as the reader sees it: header -> cell text."""
    document = lxml.html.document_fromstring(page)
    (table,) = document.find_class(table_class)
    headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")]
    for tr in table.xpath("./tbody/tr"):
        cells = [" ".join(cell.text_content().split()) for cell in tr.xpath("./th|./td")]
        if cells and cells[1 if table_class == "ranking-table" else 0].startswith(city):
            return dict(zip(headers, cells, strict=True))
    raise AssertionError(f"{city} is not in the {table_class}")


def both_rows(client, call, city: str) -> tuple[dict[str, str], dict[str, str]]:
    dashboard = client.get(f"/admin/calls/{call.id}/reviews")
    ranking = client.get(f"/admin/calls/{call.id}/ranking")
    assert dashboard.status_code == ranking.status_code == 200
    return (
        row_of(dashboard.get_data(as_text=True), "dashboard-table", city),
        row_of(ranking.get_data(as_text=True), "ranking-table", city),
    )


@pytest.fixture
def setting(app_context):
    setting = make_reviewing(proposals=2, reviewers=3)
    call = setting.call
    nairobi, lima = setting.proposals
    # Uneven weights and scores, so that a plain sum and a weighted mean differ.
    for index, criterion in enumerate(call.criteria):
        criterion.weight = 1 + index % 3
    for reviewer, value in zip(setting.reviewers[:2], (2, 5), strict=True):
        make_review(
            assignment=make_assignment(proposal=nairobi, reviewer=reviewer),
            scores={c.key: value - (index % 2) for index, c in enumerate(call.criteria)},
        )
    make_review(
        assignment=make_assignment(proposal=lima, reviewer=setting.reviewers[0]),
        scores={c.key: 4 for c in call.criteria},
    )
    db.session.commit()
    return setting


def test_dashboard_and_ranking_show_the_same_weighted_score_and_spread(client, setting):
    log_in(client, setting.admin)
    dashboard, ranking = both_rows(client, setting.call, "Nairobi")
    assert dashboard[TOTAL] == ranking[TOTAL]
    assert dashboard[SPREAD] == ranking[SPREAD]
    assert float(dashboard[TOTAL]) > 0
    assert dashboard[SPREAD].endswith("disagree")  # over 20 points apart, on both pages
    for criterion in setting.call.criteria:  # each mean on its own scale, alike
        assert dashboard[criterion.name] == ranking[criterion.name]
    # A single review has no spread: both pages say so in the same words.
    dashboard, ranking = both_rows(client, setting.call, "Lima")
    assert dashboard[TOTAL] == ranking[TOTAL] == "75.00"
    assert dashboard[SPREAD] == ranking[SPREAD] == "– needs two reviews"


def test_the_score_headers_say_what_the_number_is(client, setting):
    log_in(client, setting.admin)
    for path, table_class in (("reviews", "dashboard-table"), ("ranking", "ranking-table")):
        page = client.get(f"/admin/calls/{setting.call.id}/{path}").get_data(as_text=True)
        (table,) = lxml.html.document_fromstring(page).find_class(table_class)
        headers = {" ".join(th.text_content().split()): th for th in table.xpath(".//thead//th")}
        assert "on a scale of 0 to 100" in headers[TOTAL].get("title")
        assert "it needs two reviews" in headers[SPREAD].get("title")
        assert 'title="needs two reviews"' in page  # Lima's single review


def test_a_recused_reviewers_review_leaves_both_pages(client, setting):
    nairobi = setting.proposals[0]
    harsh = setting.reviewers[0]  # gave Nairobi the low scores
    log_in(client, setting.admin)
    before, _ranking = both_rows(client, setting.call, "Nairobi")
    conflicts.set_conflict(
        actor=setting.admin, proposal=nairobi, reviewer=harsh, reason="Works for the city"
    )
    db.session.commit()
    dashboard, ranking = both_rows(client, setting.call, "Nairobi")
    assert dashboard["Reviews"] == "1/1"
    assert ranking["Reviews"] == "1"
    assert float(dashboard[TOTAL]) > float(before[TOTAL])
    assert dashboard[TOTAL] == ranking[TOTAL]
    assert dashboard[SPREAD] == ranking[SPREAD] == "– needs two reviews"


def test_an_active_conflict_stops_a_submitted_review_counting_until_lifted(client, setting):
    nairobi = setting.proposals[0]
    harsh = setting.reviewers[0]
    log_in(client, setting.admin)
    before, _ranking = both_rows(client, setting.call, "Nairobi")
    # Recorded without ending the assignment (as an import or an old detection would).
    conflict = ConflictOfInterest(
        reviewer_id=harsh.id,
        proposal_id=nairobi.id,
        source=ConflictSource.AUTOMATIC,
        reason="Same country",
    )
    db.session.add(conflict)
    db.session.commit()
    dashboard, ranking = both_rows(client, setting.call, "Nairobi")
    assert dashboard[TOTAL] == ranking[TOTAL] != before[TOTAL]
    assert ranking["Reviews"] == "1"
    conflicts.lift_conflict(actor=setting.admin, conflict=conflict)
    db.session.commit()
    dashboard, ranking = both_rows(client, setting.call, "Nairobi")
    assert dashboard[TOTAL] == ranking[TOTAL] == before[TOTAL]
