"""Exports: exact round trips (formula-like values included), streaming, the PDF dossier,
and the registry of formats that every way of exporting reads."""

from __future__ import annotations

import builtins
import csv
import io
import json
import socket
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from app.errors import DomainError
from app.extensions import db
from app.jobs.models import JobState
from app.jobs.services import result_file
from app.shortlists import exporters, services
from app.shortlists.exporters import cells
from app.shortlists.exporters.csv import csv_record, csv_value, iter_csv, read_csv
from app.shortlists.exporters.xlsx import write_xlsx
from tests.querycount import count_queries
from tests.shortlists.conftest import compile_now
from tests.shortlists.helpers import city, exported, scored_call
from workers.shortlists import export_call as export_task

FORMULA_LIKE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rCarriage",
    "'=already quoted",
    "''+twice",
    "plain 'quote",
    "line one\r\nline two",
    "_x000D_ literal escape",
    "Zürich, São Paulo, 東京",
]


@pytest.fixture
def tricky(app_context):
    """A scored call whose texts look like formulas."""
    scored = scored_call(
        [city(text, "PT", "Europe", 4) for text in FORMULA_LIKE[:3]]
        + [city("Lisbon", "PT", "Europe", 5, 4)]
    )
    for review, text in zip(scored.reviews, FORMULA_LIKE, strict=False):
        review.overall_comment = text
        review.comment_for_applicant = text[::-1]
    # The first review's criterion comments: every trigger character at the start.
    for score, text in zip(scored.reviews[0].scores, FORMULA_LIKE[1:], strict=False):
        score.comment = text
    scored.reviews[-1].overall_comment = "\n".join(FORMULA_LIKE)
    db.session.flush()
    return scored


# --- the encoding rules -----------------------------------------------------------------


@given(st.text())
def test_csv_encoding_round_trips_any_text(value):
    encoded = cells.csv_encode(value)
    assert cells.csv_decode(encoded) == value
    assert encoded[:1] not in cells.FORMULA_TRIGGERS


@given(st.text())
def test_xlsx_encoding_round_trips_any_text(value):
    encoded = cells.xlsx_encode(value)
    assert cells.xlsx_decode(encoded) == value
    assert "\r" not in encoded


_CELLS = st.one_of(
    st.text(), st.sampled_from(FORMULA_LIKE), st.none(), st.integers(), st.floats(), st.booleans()
)


@given(st.lists(_CELLS, min_size=2, max_size=8))
def test_a_csv_record_is_what_the_csv_module_writes(values):
    """The export writes its records itself (for speed): byte for byte the stdlib's text."""
    expected = io.StringIO()
    csv.writer(expected).writerow([csv_value(value) for value in values])
    assert csv_record(values) == expected.getvalue()


@given(st.text())
def test_xlsx_escaping_is_needed_exactly_when_the_fast_path_says_so(value):
    if value.isprintable() and "_x" not in value:
        assert cells.XLSX_ESCAPE.sub("", value) == value  # nothing it would change


@pytest.mark.parametrize("value", FORMULA_LIKE[:6])
def test_a_formula_like_value_is_written_as_text(value):
    assert cells.csv_encode(value) == "'" + value


# --- CSV --------------------------------------------------------------------------------


def test_csv_has_a_bom_one_row_per_review_and_reads_back_exactly(tricky):
    raw = exported(tricky.call, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    as_written = list(csv.DictReader(io.StringIO(text, newline="")))
    written = {row["Overall comment"] for row in as_written} | {
        value for row in as_written for key, value in row.items() if key.startswith("Comment: ")
    }
    assert {"'" + value for value in FORMULA_LIKE[:8]} <= written  # shown as text
    rows = read_csv(io.StringIO(text, newline=""))
    assert len(rows) == len(tricky.reviews)
    comments = {row["Overall comment"] for row in rows} | {
        value for row in rows for key, value in row.items() if key.startswith("Comment: ")
    }
    assert set(FORMULA_LIKE[:8]) <= comments
    assert "\n".join(FORMULA_LIKE) in comments
    cities = {row["City"] for row in rows}
    assert set(FORMULA_LIKE[:3]) <= cities
    lisbon = [row for row in rows if row["City"] == "Lisbon"]
    assert {row["Review total (0-100)"] for row in lisbon} == {"100.0", "75.0"}
    assert lisbon[0]["Rank"] == "1" and lisbon[0]["Score: Diversity"] in ("5.0", "4.0")


def test_csv_streams_in_chunks_as_rows_are_read(app_context):
    scored = scored_call([city(f"C{i}", "PT", "Europe", 3, 4, 5) for i in range(90)])
    chunks = list(iter_csv(scored.call))
    assert len(chunks) >= 2  # a chunk per 200 rows, not one string at the end
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1 + 270


# --- XLSX -------------------------------------------------------------------------------


def _workbook(call) -> object:
    return load_workbook(io.BytesIO(exported(call, "xlsx")))


def test_xlsx_has_readable_sheets_and_no_formula_anywhere(tricky):
    workbook = _workbook(tricky.call)
    assert workbook.sheetnames == ["Ranking", "Scores", "Reviews and comments"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.b
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    comments = workbook["Reviews and comments"]
    header = [cell.value for cell in comments[1]]
    column = header.index("Overall comment")
    values = {
        cells.xlsx_decode(value)
        for row in comments.iter_rows(2, values_only=True)
        for value in row[column:]
    }
    assert set(FORMULA_LIKE[:8]) <= values
    assert "\n".join(FORMULA_LIKE) in values  # CR, tabs and escapes survive
    quoted = [
        row[column]
        for row in comments.iter_rows(2)
        if isinstance(row[column].value, str) and row[column].value.startswith("=")
    ]
    assert quoted and all(cell.quotePrefix and cell.data_type == "s" for cell in quoted)
    ranking = workbook["Ranking"]
    assert [cell.value for cell in ranking["B"]][1] == "Lisbon"
    assert ranking.column_dimensions["B"].width == 22


# --- JSON -------------------------------------------------------------------------------


def test_json_round_trips_every_value(tricky):
    document = json.loads(exported(tricky.call, "json"))
    assert document["format"] == "dialogue-cafe-call/reviews"
    assert len(document["reviews"]) == len(tricky.reviews)
    assert set(FORMULA_LIKE[:4]) <= {review["overall_comment"] for review in document["reviews"]}
    assert document["ranking"][0]["city"] == "Lisbon"
    assert document["ranking"][0]["criteria"]["diversity"] == 4.5
    assert [c["key"] for c in document["criteria"]][:3] == [
        "diversity",
        "creativity",
        "culture_of_peace",
    ]


# --- query counts -----------------------------------------------------------------------


def _export_counts(call) -> dict[str, int]:
    counts = {}
    for name in ("csv", "xlsx", "json"):
        with count_queries() as counted:
            exported(call, name)
        counts[name] = counted.count
    return counts


def test_exports_run_the_same_number_of_queries_for_10_and_200_proposals(app_context):
    small = scored_call([city(f"S{i}", "PT", "Europe", 3, 4) for i in range(10)])
    large = scored_call([city(f"L{i}", "PT", "Europe", 3, 4) for i in range(200)])
    few, many = _export_counts(small.call), _export_counts(large.call)
    assert few == many
    assert max(many.values()) <= 8, many


# --- PDF --------------------------------------------------------------------------------


@pytest.fixture
def no_network_no_stray_files(monkeypatch):
    """Fail on any network use; record every file opened (after reportlab is imported, which
    reads its optional ~/.reportlab_settings)."""
    import reportlab.platypus  # noqa: F401

    opened: list[str] = []

    def refuse(*args, **kwargs):
        raise AssertionError(f"network use while building the PDF: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    return opened


def test_pdf_dossier_builds_offline_and_reads_back(admin, scored, no_network_no_stray_files):
    lisbon = scored.proposals[0]
    lisbon.answers = {
        "narratives": {"diversity": '<img src="http://evil.example/x.png"/> & <a href="x">'},
        "venue": {"address": "Rua Augusta 1", "floor_area_m2": 80},
    }
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    pdf = exported(scored.call, "pdf", shortlist=shortlist)
    import babel
    import pycountry
    import reportlab

    # Only the libraries' own data: fonts, and the locale data that names countries.
    assets = tuple(str(Path(module.__file__).parent) for module in (reportlab, babel, pycountry))
    stray = [path for path in no_network_no_stray_files if not path.startswith(assets)]
    assert stray == []
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 4  # the summary, then a section per shortlisted city
    for name in ("Lisbon", "Turin", "Nairobi"):
        assert name in text
    assert "Perth" not in text
    assert 'img src="http://evil.example/x.png"' in text  # printed, never fetched
    assert "Rua Augusta 1" in text


# --- the registry -----------------------------------------------------------------------


@pytest.mark.parametrize("writers", [{}, {"stream": iter_csv, "build": write_xlsx}])
def test_a_format_is_either_streamed_or_built(writers):
    with pytest.raises(TypeError):
        exporters.ExportFormat(
            name="txt",
            label="Text",
            content_type="text/plain; charset=utf-8",
            extension="txt",
            file_kind="reviews",
            **writers,
        )


def test_the_dossier_without_a_shortlist_is_refused_in_the_pages_words(admin, scored):
    with pytest.raises(DomainError) as by_the_job:
        services.start_export(actor=admin, call=scored.call, export_format="pdf")
    with pytest.raises(DomainError) as by_the_writer:
        exported(scored.call, "pdf")
    for refused in (by_the_job, by_the_writer):
        assert refused.value.message == "Compile a shortlist before exporting the dossier."


# --- export jobs ------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", list(exporters.FORMATS))
def test_an_export_job_writes_a_file_for_its_starter(admin, scored, export_format):
    compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    job = services.start_export(actor=admin, call=scored.call, export_format=export_format)
    db.session.commit()
    export_task(job_id=job.id)
    db.session.expire_all()
    assert job.state == JobState.SUCCEEDED, job.message
    path = result_file(job)
    assert path is not None and path.stat().st_size > 0
    chosen = exporters.FORMATS[export_format]
    assert job.result_name.startswith(f"{scored.call.slug}-{chosen.file_kind}-")
    assert job.result_name.endswith(f".{chosen.extension}")
    assert not list(path.parent.glob("*.part"))
    export_task(job_id=job.id)  # a second delivery leaves the finished job alone
    assert result_file(job) == path


def test_export_progress_is_reported_as_rows_are_written(app_context):
    scored = scored_call([city(f"C{i}", "PT", "Europe", 3, 4, 5) for i in range(200)])
    seen: list[tuple[int, int]] = []
    exported(scored.call, "csv", progress=lambda d, t, m: seen.append((d, t)))
    assert seen == [(500, 600), (600, 600)]
