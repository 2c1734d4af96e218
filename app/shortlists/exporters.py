"""Exports of a call: every review with its scores (CSV, XLSX, JSON) and the shortlist
dossier (PDF). Rows are written as they are read from one streaming query.

No cell can run as a formula (OWASP "CSV injection"):
- CSV: a text value that starts with = + - @ TAB or CR gets a leading apostrophe, which a
  spreadsheet shows as text. So that reading back is exact, a value that starts with one or
  more apostrophes followed by such a character gets one more apostrophe too. Reading: a
  value that starts with an apostrophe followed by what would have needed one loses that
  first apostrophe (`csv_decode`), every other value is kept as it is.
- XLSX: such a value is written as a string cell (data type "s") with the quotePrefix
  style, exactly as typed. Characters XML cannot carry (CR, other control characters) and
  literal "_xHHHH_" sequences are written in the ECMA-376 `_xHHHH_` escape that Excel and
  LibreOffice decode; `xlsx_decode` does the same after openpyxl reads a cell.
- JSON: values are JSON strings; nothing to do.

The PDF is drawn by reportlab from our own data with reportlab's bundled fonts: user text
is escaped before it reaches the paragraph markup, so nothing (no <img src>, no link) can
make it read a file or the network.
"""

from __future__ import annotations

import csv
import enum
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape as xml_escape

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.calls.forms import PROPOSAL_STATE_LABELS
from app.calls.models import Call, Criterion
from app.db import utcnow
from app.extensions import db
from app.jobs.services import Progress
from app.proposals import queries as proposal_queries
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.countries import country_name
from app.proposals.presenting import PresentedProposal, present_proposal, yes_no
from app.reviews.forms import RECOMMENDATION_LABELS
from app.reviews.numbers import TOTAL_LABEL, describe_spread, format_score
from app.shortlists import queries
from app.shortlists.models import Shortlist, ShortlistState
from app.shortlists.scoring import Ranking, ScoringOptions, rank_proposals, scale_of
from app.shortlists.solver import Reason, describe

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
STREAM_BATCH = 500  # rows fetched from the cursor at a time; also how often progress is told
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}


# --- formula-safe values ------------------------------------------------------------------


def needs_quote(value: str) -> bool:
    """A spreadsheet could read it as a formula (possibly behind apostrophes we add)."""
    return value.lstrip("'")[:1] in FORMULA_TRIGGERS


# A cell can only need quoting if it starts with one of these: one set lookup for most cells.
_MAYBE_FORMULA = frozenset((*FORMULA_TRIGGERS, "'"))


def csv_encode(value: str) -> str:
    return "'" + value if value[:1] in _MAYBE_FORMULA and needs_quote(value) else value


def csv_decode(text: str) -> str:
    """The exact original of a CSV cell written by this module."""
    return text[1:] if text.startswith("'") and needs_quote(text[1:]) else text


_XLSX_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f]")
_XLSX_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_encode(value: str) -> str:
    """ECMA-376 escape: control characters as _xHHHH_, and a literal _xHHHH_ kept literal."""
    if value.isprintable() and "_x" not in value:
        return value  # most cells: no control character, nothing that looks like an escape

    def replace(match: re.Match) -> str:
        text = match.group(0)
        return "_x005F" + text if text.startswith("_x") else f"_x{ord(text):04X}_"

    return _XLSX_ESCAPE.sub(replace, value)


def xlsx_decode(value: Any) -> Any:
    """What Excel shows for a string cell: the ECMA-376 _xHHHH_ escapes decoded."""
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _XLSX_UNESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _csv_value(value: Any) -> str:
    # 200,000 cells in a big call's export: the common types first, by exact type.
    kind = type(value)
    if kind is str:
        return csv_encode(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return str(value)
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return csv_encode(str(value))


# --- words for people ---------------------------------------------------------------------
# CSV, XLSX and the PDF are read by people: stored codes (a state, a recommendation, a
# continent key, True/False) are written as the pages write them. JSON keeps the codes.

SHORTLIST_STATE_LABELS = {
    ShortlistState.COMPILING: _l("Compiling"),
    ShortlistState.COMPILED: _l("Compiled"),
    ShortlistState.ADJUSTED: _l("Adjusted"),
    ShortlistState.PUBLISHED: _l("Published"),
    ShortlistState.FAILED: _l("No result"),
}


def _label(labels: dict, value: Any) -> str:
    value = _plain(value)
    return "" if value is None or value == "" else str(labels.get(value, value))


class _Words:
    """The words of one export, each translated once: a lazy label costs about 0.1 ms
    each time it is read, which a big call's export would pay on every one of its rows."""

    def __init__(self) -> None:
        self.locale = str(get_locale() or "en")
        self.continents = self._translated(CONTINENT_LABELS)
        self.states = self._translated(PROPOSAL_STATE_LABELS)
        self.recommendations = self._translated(RECOMMENDATION_LABELS)
        self.yes_no = {True: yes_no(True), False: yes_no(False)}
        self._countries: dict[str | None, str] = {}

    @staticmethod
    def _translated(labels: dict) -> dict[str, str]:
        return {_plain(key): str(label) for key, label in labels.items()}

    def country(self, code: str | None) -> str:
        name = self._countries.get(code)
        if name is None:
            name = self._countries[code] = country_name(code, self.locale)
        return name


def _word(words: dict[str, str], value: Any) -> str:
    if value is None or value == "":
        return ""
    return words.get(value) or str(_plain(value))


def _country(code: str | None) -> str:
    return country_name(code, str(get_locale() or "en"))


# --- the data -----------------------------------------------------------------------------


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
                    _round(proposal.score if proposal else None),
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
                "score": _round(p.score),
                "total": _round(p.total),
                "total_calibrated": _round(p.total_calibrated)
                if self.ranking.options.calibrate
                else None,
                "spread": _round(p.spread),
                "reviews_submitted": p.reviews_submitted,
                "reviews_pending": p.reviews_pending,
                "reviews_missing": p.reviews_missing,
                "criteria": {
                    c.key: _round(scale_of(c, p.criteria.get(c.id))) for c in self.criteria
                },
                "in_shortlist": entry.included if entry else None,
                "why": describe(Reason.from_json(entry.why)) if entry else "",
                "adjustment_reason": entry.adjustment_reason if entry else None,
            }


def _options_of(shortlist: Shortlist | None) -> ScoringOptions:
    if shortlist is None:
        return ScoringOptions()
    return ScoringOptions.from_parameters((shortlist.parameters or {}).get("scoring", {}))


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _tell(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % STREAM_BATCH == 0 or done == total):
        progress(done, max(total, 1), _("%(done)s of %(total)s reviews", done=done, total=total))


# --- CSV ----------------------------------------------------------------------------------


def csv_field(text: str) -> str:
    """One field as `csv.writer` (the excel dialect, minimal quoting) writes it."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_record(values: Iterable[Any]) -> str:
    """One CSV record of several fields, the same text `csv.writer` writes (a test compares).

    Written out because the export is mostly long comments: `csv.writer` copies a field
    character by character, `str.replace` in one pass, five times faster on 16 MB.
    """
    return ",".join([csv_field(_csv_value(value)) for value in values]) + "\r\n"


def iter_csv(call: Call, *, progress: Progress | None = None, **_kwargs) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (so spreadsheets pick the encoding), one row per review."""
    data = ExportData(call)
    total = data.total_reviews() if progress else 0
    columns = data.review_columns()
    at = {name: index for index, name in enumerate(columns)}
    country_at = at["country_code"] + 1
    words = _Words()
    worded = [
        (at["continent"], words.continents),
        (at["proposal_state"], words.states),
        (at["recommendation"], words.recommendations),
    ]
    shareable = at["comment_shareable"]
    lines = ["\ufeff", csv_record([*columns[:country_at], "country", *columns[country_at:]])]
    for done, row in enumerate(data.review_rows(), start=1):
        for index, labels in worded:
            row[index] = _word(labels, row[index])
        row[shareable] = words.yes_no[bool(row[shareable])]
        row.insert(country_at, words.country(row[country_at - 1]))
        lines.append(csv_record(row))
        if done % 200 == 0:
            yield "".join(lines).encode("utf-8")
            lines.clear()
        _tell(progress, done, total)
    yield "".join(lines).encode("utf-8")


def read_csv(stream: Iterable[str]) -> list[dict[str, str]]:
    """Read a CSV written by iter_csv back to the exact original values (for tests, imports)."""
    return [
        {key: csv_decode(value) for key, value in row.items()} for row in csv.DictReader(stream)
    ]


# --- JSON ---------------------------------------------------------------------------------


def iter_json(
    call: Call, *, shortlist: Shortlist | None = None, progress: Progress | None = None
) -> Iterator[bytes]:
    shortlist = shortlist or queries.dossier_shortlist(call.id)
    data = ExportData(call, shortlist=shortlist)
    total = data.total_reviews() if progress else 0
    head = {
        "format": "dialogue-cafe-call/reviews",
        "version": 1,
        "exported_at": utcnow().isoformat(),
        "call": {"id": call.id, "slug": call.slug, "title": call.title, "state": call.state.value},
        "scoring": data.ranking.options.as_parameters(),
        "criteria": [
            {
                "key": c.key,
                "name": c.name,
                "weight": c.weight,
                "scale_min": c.scale_min,
                "scale_max": c.scale_max,
            }
            for c in data.criteria
        ],
        "shortlist": _shortlist_summary(shortlist),
        "ranking": list(data.ranking_rows()),
    }
    opening = json.dumps(head, ensure_ascii=False)
    yield (opening[:-1] + ', "reviews": [').encode("utf-8")
    columns = data.review_columns()
    for done, row in enumerate(data.review_rows(), start=1):
        record = dict(zip(columns, (_plain(value) for value in row), strict=True))
        yield (("," if done > 1 else "") + json.dumps(record, ensure_ascii=False)).encode("utf-8")
        _tell(progress, done, total)
    yield b"]}"


def _shortlist_summary(shortlist: Shortlist | None) -> dict[str, Any] | None:
    if shortlist is None:
        return None
    return {
        "id": shortlist.id,
        "state": shortlist.state.value,
        "parameters": shortlist.parameters,
        "compiled_at": _plain(shortlist.compiled_at),
        "published_at": _plain(shortlist.published_at),
    }


# --- XLSX ---------------------------------------------------------------------------------


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
        value = _plain(value)
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
    """Three sheets: the ranking, every review's scores, every review's comments."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    shortlist = shortlist or queries.dossier_shortlist(call.id)
    data = ExportData(call, shortlist=shortlist)
    total = data.total_reviews() if progress else 0
    workbook = Workbook(write_only=True)
    styles = (
        Font(bold=True, color="FFFFFF"),
        PatternFill("solid", fgColor="1D5C63"),
        Alignment(wrap_text=True, vertical="top"),
    )
    criteria = data.criteria
    words = _Words()
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
                _word(words.continents, row["continent"]),
                row["region"],
                _word(words.states, row["state"]),
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
    for done, row in enumerate(data.review_rows(), start=1):
        scores.append(
            [
                row[at["proposal_rank"]],
                row[at["city"]],
                words.country(row[at["country_code"]]),
                row[at["reviewer_name"]],
                row[at["submitted_at"]],
                _word(words.recommendations, row[at["recommendation"]]),
                row[at["confidence"]],
                _round(row[at["review_total"]], 2),
                *row[first_score:first_comment],
            ]
        )
        comments.append(
            [
                row[at["proposal_rank"]],
                row[at["city"]],
                row[at["reviewer_name"]],
                row[at["overall_comment"]],
                row[at["comment_for_applicant"]],
                shortlisted[bool(row[at["comment_shareable"]])],
                *row[first_comment : first_comment + len(criteria)],
            ]
        )
        _tell(progress, done, total)
    _save_fast(workbook, out)


def _save_fast(workbook, out: BinaryIO) -> None:
    """`Workbook.save` with zlib's fastest level: 0.4 s less for a big call's export (of
    about 2.5), for a file a fifth larger. openpyxl's own `save_workbook`, one argument more."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1)
    workbook.properties.modified = utcnow().replace(tzinfo=None)
    ExcelWriter(workbook, archive).save()


# --- PDF ----------------------------------------------------------------------------------

_FONTS_READY = False


def _register_fonts() -> tuple[str, str]:
    """reportlab's own bundled Vera fonts (wider than Latin-1 Helvetica), read from its package."""
    global _FONTS_READY
    from reportlab import __file__ as reportlab_file
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not _FONTS_READY:
        fonts = Path(reportlab_file).parent / "fonts"
        pdfmetrics.registerFont(TTFont("DossierSans", str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("DossierSans-Bold", str(fonts / "VeraBd.ttf")))
        _FONTS_READY = True
    return "DossierSans", "DossierSans-Bold"


def _text(value: Any) -> str:
    """User text made inert for reportlab's paragraph markup."""
    return xml_escape(str(value if value is not None else "")).replace("\n", "<br/>")


def write_pdf(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    """The dossier: the shortlist summary, then one section per shortlisted city."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    shortlist = shortlist or queries.dossier_shortlist(call.id)
    if shortlist is None:
        raise ValueError("a dossier needs a shortlist")
    regular, bold = _register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("DossierBody", parent=base["BodyText"], fontName=regular, fontSize=9.5)
    small = ParagraphStyle("DossierSmall", parent=body, fontSize=8, leading=10)
    h1 = ParagraphStyle("DossierH1", parent=base["Title"], fontName=bold)
    h2 = ParagraphStyle("DossierH2", parent=base["Heading2"], fontName=bold)
    h3 = ParagraphStyle("DossierH3", parent=base["Heading4"], fontName=bold)
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1D5C63")),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#D4DCDD")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    data = ExportData(call, shortlist=shortlist)
    rows = [row for row in queries.shortlist_rows(shortlist.id) if row.included]
    # The organisers' reading of each proposal, as on its page (app.proposals.presenting).
    presented = {
        proposal.id: present_proposal(
            proposal,
            call,
            attachments=[a for a in proposal.attachments if a.deleted_at is None],
        )
        for proposal in proposal_queries.proposals_for_dossier([row.proposal_id for row in rows])
    }
    reviews = queries.dossier_reviews(call.id, [row.proposal_id for row in rows])

    story: list = [
        Paragraph(_text(call.title), h1),
        Paragraph(_text(_("Shortlist dossier")), h2),
        Paragraph(
            _text(
                _(
                    "Shortlist %(id)s (%(state)s), %(count)s cities. Generated %(when)s UTC.",
                    id=shortlist.id,
                    state=_label(SHORTLIST_STATE_LABELS, shortlist.state),
                    count=len(rows),
                    when=utcnow().strftime("%Y-%m-%d %H:%M"),
                )
            ),
            body,
        ),
        Spacer(1, 0.4 * cm),
    ]
    summary = [[_("Rank"), _("City"), _("Country"), _("Continent"), str(TOTAL_LABEL), _("Reviews")]]
    for row in rows:
        proposal = data.by_proposal.get(row.proposal_id)
        summary.append(
            [
                str(row.rank),
                Paragraph(_text(row.city), small),
                Paragraph(_text(_country(row.country_code)), small),
                Paragraph(_text(_label(CONTINENT_LABELS, row.continent)), small),
                format_score(row.score),
                str(proposal.reviews_submitted if proposal else 0),
            ]
        )
    story.append(Table(summary, repeatRows=1, style=table_style))

    for done, row in enumerate(rows, start=1):
        proposal = data.by_proposal.get(row.proposal_id)
        reading = presented.get(row.proposal_id)
        title = reading.title if reading and reading.title else row.city
        story += [
            PageBreak(),
            Paragraph(_text(f"{row.rank}. {title}"), h2),
            Paragraph(_text(describe(Reason.from_json(row.why))), body),
        ]
        if row.adjustment_reason:
            story.append(
                Paragraph(_text(_("Adjusted: %(reason)s", reason=row.adjustment_reason)), body)
            )
        scores = [[_("Criterion"), _("Weight"), _("Mean"), _("Scale")]]
        for criterion in data.criteria:
            value = proposal.criteria.get(criterion.id) if proposal else None
            scores.append(
                [
                    Paragraph(_text(criterion.name), small),
                    _fmt(criterion.weight),
                    format_score(scale_of(criterion, value)),
                    f"{_fmt(criterion.scale_min)}-{_fmt(criterion.scale_max)}",
                ]
            )
        total = proposal.score if proposal else None
        spread = proposal.spread if proposal else None
        scores.append(
            [
                str(TOTAL_LABEL),
                "",
                format_score(total),
                _("spread %(s)s", s=describe_spread(spread)),
            ]
        )
        story += [Spacer(1, 0.3 * cm), Table(scores, repeatRows=1, style=table_style)]
        if reading is not None:
            story += _dossier_sections(reading, body=body, small=small, heading=h3)
        city_reviews = reviews.get(row.proposal_id, [])
        if city_reviews:
            story.append(Paragraph(_text(_("Reviews")), h3))
        for number, review in enumerate(city_reviews, start=1):
            heading = _(
                "Reviewer %(n)s: %(recommendation)s, confidence %(confidence)s",
                n=number,
                recommendation=_label(RECOMMENDATION_LABELS, review.recommendation) or "-",
                confidence=review.confidence or "-",
            )
            story.append(Paragraph(f"<b>{_text(heading)}</b>", body))
            if review.overall_comment:
                story.append(Paragraph(_text(review.overall_comment), body))
        if progress is not None:
            progress(done, len(rows), _("%(done)s of %(total)s cities", done=done, total=len(rows)))

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"{call.title}: {_('Shortlist dossier')}",
        author="Dialogue Café Call",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story)


def _dossier_sections(reading: PresentedProposal, *, body, small, heading) -> list:
    """A proposal's answers in the dossier, labelled and worded as on its page."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Table, TableStyle

    regular, _bold = _register_fonts()
    short_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list = []
    for part in reading.sections:
        if part.partners is not None:
            lines = [
                f"<b>{_text(card.title)}</b> ({_text(card.kind)})"
                + (f": {_text('; '.join(card.offers))}" if card.offers else "")
                + (f". {_text(card.description)}" if card.description else "")
                for card in part.partners
            ]
        elif part.files is not None:
            files = [_text(f"{file.name} ({file.kind}, {file.size})") for file in part.files]
            lines = files or [_text(_("No files."))]
        else:
            lines = []
        if lines:
            story += [Paragraph(_text(part.title), heading), Paragraph("<br/>".join(lines), body)]
            continue
        short = [
            [Paragraph(_text(a.label), small), Paragraph(_text(a.value or "—"), small)]
            for a in part.answers
            if not a.long
        ]
        long = [a for a in part.answers if a.long]
        story.append(Paragraph(_text(part.title), heading))
        if short:
            story.append(Table(short, colWidths=[5 * cm, 11 * cm], style=short_style))
        for answer in long:
            story += [
                Paragraph(f"<b>{_text(answer.label)}</b>", body),
                Paragraph(_text(answer.value or "—"), body),
            ]
    return story


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


# --- dispatch -----------------------------------------------------------------------------


def write_csv(call: Call, out: BinaryIO, *, progress: Progress | None = None, **_kwargs) -> None:
    for chunk in iter_csv(call, progress=progress):
        out.write(chunk)


def write_json(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    for chunk in iter_json(call, shortlist=shortlist, progress=progress):
        out.write(chunk)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json, "pdf": write_pdf}


def write_export(
    export_format: str,
    *,
    call: Call,
    out: BinaryIO,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    WRITERS[export_format](call, out, shortlist=shortlist, progress=progress)
