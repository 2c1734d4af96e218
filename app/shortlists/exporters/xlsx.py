"""The Excel workbook: the ranking (with the shortlist, when there is one), every review's
scores, every review's comments. Built whole, then sent: a zip needs its end before its start.

openpyxl is imported where a workbook is written: a web worker that never writes one does
not carry it (tests/core/test_web_footprint.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, BinaryIO

from flask_babel import gettext as _

from app.calls.models import Call
from app.db import utcnow
from app.jobs.services import Progress
from app.shortlists.exporters.cells import needs_quote, plain, xlsx_encode
from app.shortlists.exporters.rows import ExportData, round_for_file, tell
from app.shortlists.exporters.words import Words, word
from app.shortlists.models import Shortlist


class _Sheet:
    """A write-only worksheet with a styled, frozen header and formula-safe cells."""

    def __init__(self, workbook, title: str, columns: list[tuple[str, int]], styles):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        self._cell_class = WriteOnlyCell
        self.sheet = workbook.create_sheet(title=title)
        self.styles = styles
        for index, (_label, width) in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        header = []
        for label, _width in columns:
            cell = self._cell_class(self.sheet, value=xlsx_encode(label))
            cell.font, cell.fill, cell.alignment = styles
            header.append(cell)
        self.sheet.append(header)
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([self._value(value) for value in values])

    def _value(self, value: Any) -> Any:
        kind = type(value)  # the common types first, by exact type: 200,000 cells
        if kind is str:
            return self._text(value)
        if value is None or kind is float or kind is int:
            return value
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)  # Excel has no time zones: UTC, said in the header
        value = plain(value)
        return self._text(value) if isinstance(value, str) else value

    def _text(self, value: str) -> Any:
        encoded = xlsx_encode(value)
        if not needs_quote(value):
            return encoded
        cell = self._cell_class(self.sheet, value=encoded)
        cell.data_type = "s"  # never a formula, even for "=..."
        cell.quotePrefix = True
        return cell


def write_xlsx(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    """The workbook of `call` into `out`; `shortlist` (if any) fills "In shortlist" and "Why"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    data = ExportData(call, shortlist=shortlist)
    total = data.total_reviews() if progress else 0
    workbook = Workbook(write_only=True)
    styles = (
        Font(bold=True, color="FFFFFF"),
        PatternFill("solid", fgColor="1D5C63"),
        Alignment(wrap_text=True, vertical="top"),
    )
    criteria = data.criteria
    words = Words()
    shortlisted = words.yes_no
    ranking = _Sheet(
        workbook,
        _("Ranking"),
        [
            (_("Rank"), 7),
            (_("City"), 22),
            (_("Country"), 18),
            (_("Continent"), 15),
            (_("Region"), 18),
            (_("State"), 14),
            (_("Score (0-100)"), 11),
            (_("Raw total"), 10),
            (_("Calibrated total"), 11),
            (_("Spread"), 9),
            (_("Reviews"), 9),
            (_("Missing reviews"), 10),
            *[(c.name, 12) for c in criteria],
            (_("In shortlist"), 10),
            (_("Why"), 50),
            (_("Adjustment reason"), 40),
        ],
        styles,
    )
    for row in data.ranking_rows():
        ranking.append(
            [
                row["rank"],
                row["city"],
                words.country(row["country_code"]),
                word(words.continents, row["continent"]),
                row["region"],
                word(words.states, row["state"]),
                row["score"],
                row["total"],
                row["total_calibrated"],
                row["spread"],
                row["reviews_submitted"],
                row["reviews_missing"],
                *[row["criteria"][c.key] for c in criteria],
                shortlisted.get(row["in_shortlist"], ""),
                row["why"],
                row["adjustment_reason"],
            ]
        )
    scores = _Sheet(
        workbook,
        _("Scores"),
        [
            (_("Rank"), 7),
            (_("City"), 22),
            (_("Country"), 18),
            (_("Reviewer"), 22),
            (_("Submitted (UTC)"), 18),
            (_("Recommendation"), 16),
            (_("Confidence"), 10),
            (_("Review total (0-100)"), 12),
            *[(c.name, 12) for c in criteria],
        ],
        styles,
    )
    comments = _Sheet(
        workbook,
        _("Reviews and comments"),
        [
            (_("Rank"), 7),
            (_("City"), 22),
            (_("Reviewer"), 22),
            (_("Overall comment"), 60),
            (_("Comment for the city"), 50),
            (_("Shareable"), 10),
            *[(_("Comment: %(name)s", name=c.name), 40) for c in criteria],
        ],
        styles,
    )
    columns = data.review_columns()
    at = {name: index for index, name in enumerate(columns)}  # positions, looked up once
    first_score = at["review_total"] + 1
    first_comment = first_score + len(criteria)
    for done, review in enumerate(data.review_rows(), start=1):
        scores.append(
            [
                review[at["proposal_rank"]],
                review[at["city"]],
                words.country(review[at["country_code"]]),
                review[at["reviewer_name"]],
                review[at["submitted_at"]],
                word(words.recommendations, review[at["recommendation"]]),
                review[at["confidence"]],
                round_for_file(review[at["review_total"]], 2),
                *review[first_score:first_comment],
            ]
        )
        comments.append(
            [
                review[at["proposal_rank"]],
                review[at["city"]],
                review[at["reviewer_name"]],
                review[at["overall_comment"]],
                review[at["comment_for_applicant"]],
                shortlisted[bool(review[at["comment_shareable"]])],
                *review[first_comment : first_comment + len(criteria)],
            ]
        )
        tell(progress, done, total)
    _save_fast(workbook, out)


def _save_fast(workbook, out: BinaryIO) -> None:
    """`Workbook.save` with zlib's fastest level: 0.4 s less for a big call's export (of
    about 2.5), for a file a fifth larger. openpyxl's own `save_workbook`, one argument more."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1)
    workbook.properties.modified = utcnow().replace(tzinfo=None)
    ExcelWriter(workbook, archive).save()
