"""Cell values that no spreadsheet runs as a formula (OWASP "CSV injection"), and back.

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
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def needs_quote(value: str) -> bool:
    """A spreadsheet could read it as a formula (possibly behind apostrophes we add)."""
    return value.lstrip("'")[:1] in FORMULA_TRIGGERS


# A cell can only need quoting if it starts with one of these: one set lookup for most cells.
_MAYBE_FORMULA = frozenset((*FORMULA_TRIGGERS, "'"))


def csv_encode(value: str) -> str:
    return "'" + value if value[:1] in _MAYBE_FORMULA and needs_quote(value) else value


def csv_decode(text: str) -> str:
    """The exact original of a CSV cell written by the CSV export."""
    return text[1:] if text.startswith("'") and needs_quote(text[1:]) else text


XLSX_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_|[\x00-\x08\x0b-\x1f]")
_XLSX_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_encode(value: str) -> str:
    """ECMA-376 escape: control characters as _xHHHH_, and a literal _xHHHH_ kept literal."""
    if value.isprintable() and "_x" not in value:
        return value  # most cells: no control character, nothing that looks like an escape

    def replace(match: re.Match) -> str:
        text = match.group(0)
        return "_x005F" + text if text.startswith("_x") else f"_x{ord(text):04X}_"

    return XLSX_ESCAPE.sub(replace, value)


def xlsx_decode(value: Any) -> Any:
    """What Excel shows for a string cell: the ECMA-376 _xHHHH_ escapes decoded."""
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _XLSX_UNESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def plain(value: Any) -> Any:
    """A stored value as a file writes it: an instant in ISO 8601, an enum by its code."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value
