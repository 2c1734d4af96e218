"""Exports of a call, one module per format, and the one registry of formats: `FORMATS`.

- csv.py and json.py: every counted review, streamed row by row from one query.
- xlsx.py and pdf.py: built whole in a file first (a zip and a PDF need their end before
  their start can be sent).
- rows.py: what every review export holds; cells.py: no cell can run as a formula;
  words.py: stored codes as the pages word them.

Views, services, the export job, `flask export-call` and the exports page read `FORMATS`,
so a new format is one entry (docs/EXPORTS.md, "Adding an export format"). The package
sits under the shortlists' services: it reads queries and scoring, never services.

In this module `csv` and `json` are the format modules, not the standard library's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.calls.models import Call
from app.db import utcnow
from app.errors import DomainError
from app.jobs.services import Progress
from app.shortlists import queries
from app.shortlists.exporters import csv, json, pdf, xlsx
from app.shortlists.models import Shortlist

# stream(call, *, shortlist, progress) yields the file's bytes as its rows are read;
# build(call, out, *, shortlist, progress) writes the whole file into a binary file.
Stream = Callable[..., Iterator[bytes]]
Build = Callable[..., None]


class ShortlistUse(enum.Enum):
    NONE = "none"  # every review; no shortlist is read
    IF_ANY = "if_any"  # the ranking says what the shortlist holds, when the call has one
    REQUIRED = "required"  # the file is about a shortlist: nothing to write without one


@dataclass(frozen=True)
class ExportFormat:
    name: str  # in URLs, the export form, a job's parameters, `flask export-call --format`
    label: LazyString  # what the exports page and the export form offer
    content_type: str
    extension: str
    file_kind: str  # the file's name: <call slug>-<file_kind>-<UTC time>.<extension>
    stream: Stream | None = None  # a download sends the rows as they are read
    build: Build | None = None  # or the file is built whole, then sent
    shortlist_use: ShortlistUse = ShortlistUse.NONE

    def __post_init__(self) -> None:
        if (self.stream is None) == (self.build is None):
            raise TypeError(f"export format {self.name!r} needs a stream or a build, not both")

    @property
    def needs_shortlist(self) -> bool:
        return self.shortlist_use is ShortlistUse.REQUIRED

    def file_name(self, call: Call) -> str:
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return f"{call.slug}-{self.file_kind}-{stamp}.{self.extension}"

    def shortlist_of(self, call: Call) -> Shortlist | None:
        """The shortlist this format writes: the call's published one, else its newest with a
        result; None for a format that reads none. Refused when the format needs one and
        the call has none yet."""
        if self.shortlist_use is ShortlistUse.NONE:
            return None
        shortlist = queries.dossier_shortlist(call.id)
        if shortlist is None and self.needs_shortlist:
            # The dossier is the one format that needs a shortlist: a second one would want
            # its own words here.
            raise DomainError(
                _("Compile a shortlist before exporting the dossier."), code="no_shortlist"
            )
        return shortlist


FORMATS: dict[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat(
            name="csv",
            label=_l("CSV: every review with its scores (UTF-8)"),
            content_type="text/csv; charset=utf-8",
            extension="csv",
            file_kind="reviews",
            stream=csv.iter_csv,
        ),
        ExportFormat(
            name="xlsx",
            label=_l("Excel workbook: ranking, scores, reviews and comments"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            extension="xlsx",
            file_kind="reviews",
            build=xlsx.write_xlsx,
            shortlist_use=ShortlistUse.IF_ANY,
        ),
        ExportFormat(
            name="json",
            label=_l("JSON: ranking, shortlist and every review"),
            content_type="application/json",
            extension="json",
            file_kind="reviews",
            stream=json.iter_json,
            shortlist_use=ShortlistUse.IF_ANY,
        ),
        ExportFormat(
            name="pdf",
            label=_l("PDF dossier: the shortlist, then one section per shortlisted city"),
            content_type="application/pdf",
            extension="pdf",
            file_kind="dossier",
            build=pdf.write_pdf,
            shortlist_use=ShortlistUse.REQUIRED,
        ),
    )
}


def write_export(
    name: str,
    *,
    call: Call,
    out: BinaryIO,
    shortlist: Shortlist | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the export `name` of `call` into `out`, a binary file. Without a `shortlist`,
    the one the format reads (`ExportFormat.shortlist_of`)."""
    export_format = FORMATS[name]
    if shortlist is None:
        shortlist = export_format.shortlist_of(call)
    if export_format.build is not None:
        export_format.build(call, out, shortlist=shortlist, progress=progress)
    elif export_format.stream is not None:
        for chunk in export_format.stream(call, shortlist=shortlist, progress=progress):
            out.write(chunk)
