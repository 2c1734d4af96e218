"""The audit trail as a CSV file: the entries the filters keep, streamed as they are read.

Every text cell is made formula-safe here, by the rule of app/shortlists/exporters/cells.py
(OWASP "CSV injection"): the shortlists sit far above the audit, so the audit keeps its own
one-line copy of that rule rather than importing it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _

from app.audit.labels import action_label, details_lines, subject_type_label
from app.audit.queries import AuditFilters, trail_rows
from app.db import utcnow

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows written to the stream at a time: one chunk of the response each.
ROWS_PER_CHUNK = 200


def spreadsheet_safe(text: str) -> str:
    """A cell no spreadsheet runs as a formula: one that starts with = + - @ TAB or CR, even
    behind apostrophes, gets a leading apostrophe, which a spreadsheet shows as text."""
    return "'" + text if text.lstrip("'")[:1] in FORMULA_TRIGGERS else text


def file_name() -> str:
    return f"audit-trail-{utcnow().strftime('%Y%m%d-%H%M')}.csv"


def _header() -> list[str]:
    return [
        _("Time (UTC)"),
        _("Who"),
        _("Email address"),
        _("From address"),
        _("What"),
        _("Action code"),
        _("Object"),
        _("Object code"),
        _("Object number"),
        _("Details"),
    ]


def _cells(row: Any) -> list[str]:
    cells = [
        row.at.isoformat(),
        row.actor_name or (_("System") if row.actor_id is None else ""),
        row.actor_email or "",
        row.ip_address or "",
        action_label(row.action),
        row.action,
        subject_type_label(row.object_type),
        row.object_type,
        "" if row.object_id is None else str(row.object_id),
        "\n".join(details_lines(row.details)),
    ]
    return [spreadsheet_safe(cell) for cell in cells]


def _chunk(records: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(records)
    return buffer.getvalue().encode("utf-8")


def iter_audit_csv(filters: AuditFilters) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (so spreadsheets pick the encoding), a header in the
    reader's language, then one row per entry, newest first."""
    yield "\ufeff".encode() + _chunk([_header()])
    batch: list[list[str]] = []
    for row in trail_rows(filters):
        batch.append(_cells(row))
        if len(batch) == ROWS_PER_CHUNK:
            yield _chunk(batch)
            batch = []
    if batch:
        yield _chunk(batch)
