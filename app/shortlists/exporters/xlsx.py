"""The Excel workbook: the ranking (with the shortlist, when there is one), every review's
scores, every review's comments. Built whole, then sent: a zip needs its end before its start.

openpyxl is imported where a workbook is written: a web worker that never writes one does
not carry it (tests/core/test_web_footprint.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, BinaryIO

from flask_babel import gettext as _

from app.calls.models import Call
from app.core.i18n import text_direction
from app.db import utcnow
from app.jobs.services import Progress
from app.shortlists.exporters.cells import needs_quote, plain, xlsx_encode
from app.shortlists.exporters.rows import ExportData, round_for_file, tell
from app.shortlists.exporters.words import Words, column_header, word
from app.shortlists.models import Shortlist

# Characters a sheet's name cannot hold, and its length (Excel refuses the file otherwise).
_NOT_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_LENGTH = 31


class _Sheet:
    """A write-only worksheet with a styled, frozen header and formula-safe cells."""

    def __init__(self, workbook, title: str, header: list[tuple[str, int]], styles, *, rtl: bool):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        self._cell_class = WriteOnlyCell
        self.sheet = workbook.create_sheet(title=sheet_title(title))
        if rtl:
            self.sheet.sheet_view.rightToLeft = True  # columns run from the right, as in Arabic
        for index, (_label, width) in enumerate(header, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append([self._text(label, styles) for label, _width in header])
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}1"

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

    def _text(self, value: str, styles=None) -> Any:
        """A text cell, header or data, shown exactly as written and never run as a formula:
        one that would be ("=...", "+...") is a string cell with the quotePrefix style."""
        encoded = xlsx_encode(value)
        quoted = needs_quote(value)
        if not quoted and styles is None:
            return encoded
        cell = self._cell_class(self.sheet, value=encoded)
        if quoted:
            cell.data_type = "s"  # never a formula, even for "=..."
            cell.quotePrefix = True
        if styles is not None:
            cell.font, cell.fill, cell.alignment = styles
        return cell


def sheet_title(title: str) -> str:
    """A translated sheet name as Excel takes it: none of []:*?/\\, at most 31 characters."""
    return _NOT_IN_SHEET_TITLES.sub(" ", title).strip()[:SHEET_TITLE_LENGTH] or "-"


def write_xlsx(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    """The workbook of `call` into `out`, its headers and sheet names in the reader's
    language; `shortlist` (if any) fills "In shortlist" and "Why"."""
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
    names = {c.key: c.name for c in criteria}
    words = Words()
    rtl = text_direction(words.locale) == "rtl"
    shortlisted = words.yes_no

    def header(*columns: tuple[str, int]) -> list[tuple[str, int]]:
        return [(column_header(name, names), width) for name, width in columns]

    ranking = _Sheet(
        workbook,
        _("Ranking"),
        [
            *header(
                ("rank", 7),
                ("city", 22),
                ("country", 18),
                ("continent", 15),
                ("region", 18),
                ("state", 14),
                ("score", 11),
                ("total", 10),
                ("total_calibrated", 11),
                ("spread", 9),
                ("reviews_submitted", 9),
                ("reviews_missing", 10),
            ),
            *[(c.name, 12) for c in criteria],
            *header(("in_shortlist", 10), ("why", 50), ("adjustment_reason", 40)),
        ],
        styles,
        rtl=rtl,
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
            *header(
                ("rank", 7),
                ("city", 22),
                ("country", 18),
                ("reviewer_name", 22),
                ("submitted_at", 18),
                ("recommendation", 16),
                ("confidence", 10),
                ("review_total", 12),
            ),
            *[(c.name, 12) for c in criteria],
        ],
        styles,
        rtl=rtl,
    )
    comments = _Sheet(
        workbook,
        _("Reviews and comments"),
        header(
            ("rank", 7),
            ("city", 22),
            ("reviewer_name", 22),
            ("overall_comment", 60),
            ("comment_for_applicant", 50),
            ("comment_shareable", 10),
            *[(f"comment:{c.key}", 40) for c in criteria],
        ),
        styles,
        rtl=rtl,
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
