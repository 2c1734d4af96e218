"""Exports in the language of the person exporting: headers, sheet names and the dossier's
labels; an export job writes in the language of the page it was started from; Arabic reads
right to left in the workbook and shaped, right to left, in the dossier. A header is text,
never a formula, whatever an organiser names a criterion."""

from __future__ import annotations

import io
import unicodedata

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.jobs.models import JobState
from app.jobs.services import result_file
from app.shortlists import services
from app.shortlists.exporters import cells
from tests.shortlists.conftest import compile_now
from tests.shortlists.helpers import exported
from workers.shortlists import export_call as export_task

CASABLANCA = "الدار البيضاء"  # no lam-alef: its letters read back one for one
FORMULA_NAME = '=HYPERLINK("http://evil.example","Diversity")'


def _csv_header(data: bytes) -> list[str]:
    first_line = data.decode("utf-8-sig").splitlines()[0]
    return [cells.csv_decode(value) for value in first_line.split(",")]


def test_the_csv_is_headed_in_the_exporters_language(scored):
    diversity = scored.call.criteria[0].name
    with force_locale("fr"):
        header = _csv_header(exported(scored.call, "csv"))
        score_column = _("Score: %(name)s", name=diversity)
    assert header[:1] == ["Rang"]
    assert "Ville" in header and "City" not in header
    assert score_column in header and score_column != f"Score: {diversity}"


def test_an_export_job_writes_in_the_language_it_was_started_in(admin, scored):
    with force_locale("fr"):
        job = services.start_export(actor=admin, call=scored.call, export_format="csv")
    db.session.commit()
    export_task(job_id=job.id)  # the worker: no page, no language of its own
    db.session.expire_all()
    assert job.state == JobState.SUCCEEDED, job.message
    path = result_file(job)
    assert path is not None
    assert _csv_header(path.read_bytes())[:1] == ["Rang"]


def test_an_arabic_workbook_runs_right_to_left_with_arabic_sheet_names(admin, scored):
    compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    with force_locale("ar"):
        workbook = load_workbook(io.BytesIO(exported(scored.call, "xlsx")))
        ranking_name = _("Ranking")
    assert workbook.sheetnames[0] == ranking_name == "الترتيب"
    assert all(sheet.sheet_view.rightToLeft for sheet in workbook.worksheets)
    assert workbook.worksheets[0]["B1"].value == "المدينة"


def test_a_criterion_named_like_a_formula_heads_its_columns_as_text(scored):
    scored.call.criteria[0].name = FORMULA_NAME
    db.session.flush()
    workbook = load_workbook(io.BytesIO(exported(scored.call, "xlsx")))
    headers = [cell for sheet in workbook.worksheets for cell in sheet[1]]
    named = [cell for cell in headers if FORMULA_NAME in cells.xlsx_decode(str(cell.value))]
    assert len(named) == 3  # the ranking's, the scores' and the comments' column
    assert all(cell.data_type == "s" for cell in headers), [
        (cell.coordinate, cell.value) for cell in headers if cell.data_type != "s"
    ]
    bare = [cell for cell in named if str(cell.value).startswith("=")]
    assert len(bare) == 2 and all(cell.quotePrefix for cell in bare)


def _reads_back_as(extracted: str, text: str) -> bool:
    """Whether `text`, a line of right-to-left words, was drawn shaped (in presentation
    forms, which NFKC maps back to letters) and in display order: its last word leftmost.
    (pypdf gives each run of right-to-left letters back in reading order, not their words.)"""
    shaped = any("\ufb50" <= char <= "\ufeff" for char in extracted)
    in_display_order = " ".join(reversed(text.split()))
    return shaped and in_display_order in unicodedata.normalize("NFKC", extracted)


def test_the_arabic_dossier_is_shaped_and_right_to_left(admin, scored):
    scored.proposals[0].city = CASABLANCA
    db.session.flush()
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    with force_locale("ar"):
        pdf = exported(scored.call, "pdf", shortlist=shortlist)
        title = _("Shortlist dossier")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert _reads_back_as(text, title), text[:400]
    assert _reads_back_as(text, CASABLANCA), text[:400]
    assert b"NotoSansArabic" in pdf  # the letters drawn in a font that has them


def test_an_arabic_city_in_an_english_dossier_reads_right_to_left(admin, scored):
    scored.proposals[0].city = CASABLANCA
    db.session.flush()
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    pdf = exported(scored.call, "pdf", shortlist=shortlist)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Shortlist dossier" in text
    assert _reads_back_as(text, CASABLANCA), text[:400]
