"""The exports people read (CSV, XLSX, the PDF dossier) say what the pages say: labels,
countries by name, Yes/No; never a stored code or True/False. JSON keeps the codes."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.proposals.models import Partner, PartnerKind, ProposalState
from app.reviews.models import Recommendation
from app.shortlists.exporters.csv import read_csv
from tests.proposals.helpers import complete_answers
from tests.shortlists.conftest import compile_now
from tests.shortlists.helpers import exported

RAW_VALUES = (
    {state.value for state in ProposalState}
    | {recommendation.value for recommendation in Recommendation}
    | {"True", "False", "true", "false", "PT", "IT", "KE"}
)
HUMAN_CSV_COLUMNS = ("State", "Recommendation", "Shareable", "Continent", "Country")


@pytest.fixture
def shareable(scored):
    """One review the city may read, the others not."""
    scored.reviews[0].comment_shareable = True
    scored.reviews[1].recommendation = Recommendation.STRONGLY_SUPPORT
    db.session.flush()
    return scored


def test_csv_writes_labels_in_its_human_columns(shareable):
    text = exported(shareable.call, "csv").decode("utf-8-sig")
    rows = read_csv(io.StringIO(text, newline=""))
    lisbon = [row for row in rows if row["City"] == "Lisbon"]
    assert {row["Country"] for row in lisbon} == {"Portugal"}
    assert {row["Country code"] for row in lisbon} == {"PT"}  # the code keeps its own column
    assert {row["State"] for row in rows} == {"Submitted"}
    assert {row["Recommendation"] for row in rows} == {"Support", "Strongly support"}
    assert {row["Shareable"] for row in rows} == {"Yes", "No"}
    assert "South America" in {row["Continent"] for row in rows}
    for row in rows:
        for column in HUMAN_CSV_COLUMNS:
            assert row[column] not in RAW_VALUES, (column, row[column])


def test_xlsx_has_no_stored_code_or_true_false_in_any_cell(shareable, admin):
    compile_now(actor=admin, call=shareable.call, size=3, min_per_group=0)
    workbook = load_workbook(io.BytesIO(exported(shareable.call, "xlsx")))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not isinstance(value, bool), (sheet.title, row)
                assert value not in RAW_VALUES, (sheet.title, value)
    ranking = workbook["Ranking"]
    header = [cell.value for cell in ranking[1]]
    first = dict(zip(header, next(ranking.iter_rows(min_row=2, values_only=True)), strict=True))
    assert first["City"] == "Lisbon" and first["Country"] == "Portugal"
    assert first["State"] == "Submitted" and first["In shortlist"] == "Yes"
    scores = workbook["Scores"]
    header = [cell.value for cell in scores[1]]
    column = header.index("Recommendation")
    assert {row[column] for row in scores.iter_rows(min_row=2, values_only=True)} == {
        "Support",
        "Strongly support",
    }
    comments = workbook["Reviews and comments"]
    column = [cell.value for cell in comments[1]].index("Shareable")
    assert {row[column] for row in comments.iter_rows(min_row=2, values_only=True)} == {
        "Yes",
        "No",
    }


def test_json_keeps_the_stored_codes(shareable):
    document = json.loads(exported(shareable.call, "json"))
    review = document["reviews"][0]
    assert review["proposal_state"] == "submitted" and review["country_code"] == "PT"
    assert {r["recommendation"] for r in document["reviews"]} == {"support", "strongly_support"}
    assert "country" not in review  # the JSON record keeps its fields


def test_the_pdf_dossier_reads_like_the_proposal_page(shareable, admin):
    lisbon = shareable.proposals[0]
    lisbon.answers = complete_answers(shareable.call)
    lisbon.population = 545_000
    lisbon.partners = [
        Partner(
            organisation="Casa da Cultura",
            kind=PartnerKind.CULTURAL,
            offers_people=True,
            offers_space=True,
            position=0,
        )
    ]
    db.session.flush()
    shortlist = compile_now(actor=admin, call=shareable.call, size=3, min_per_group=0)
    pdf = exported(shareable.call, "pdf", shortlist=shortlist)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "1. Lisbon, Portugal" in text
    for label in (
        "Language of your answers",
        "English",
        "Broadband connection",
        "Yes, in place",
        "Planned, not yet in place",
        "545,000",
        "Casa da Cultura",
        "Cultural organisation",
        "Strongly support",
        "Compiled",
    ):
        assert label in text, label
    for raw in ("True", "False", "(PT)", "cultural)", "strongly_support", "(compiled)"):
        assert raw not in text, raw
    assert "Our answer on Diversity." in text  # the narrative under its criterion
