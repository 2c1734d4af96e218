"""Cursor pagination of the API's lists: keyset on an ascending id, in one statement.

A page answers `{"items": [...], "next": <cursor> | null}`; the program sends `next` back
as `after` for the following page, until `next` is null. The cursor is opaque to programs
(the list's letter and the last id in base 36), so that the key may change without
breaking them; one that this list did not give is refused (422, field "after").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Range
from sqlalchemy import BigInteger, Row, Select, literal
from sqlalchemy.orm import InstrumentedAttribute

from app.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# Twelve base-36 digits hold any id of ours (36**12 < 2**63, a BIGINT).
_ID_DIGITS = 12


def _cursor_pattern(kind: str) -> str:
    return rf"^{re.escape(kind)}[0-9a-z]{{1,{_ID_DIGITS}}}$"


def encode_cursor(kind: str, last_id: int) -> str:
    digits = ""
    while True:
        last_id, digit = divmod(last_id, 36)
        digits = _DIGITS[digit] + digits
        if not last_id:
            return kind + digits


def decode_cursor(kind: str, cursor: str) -> int | None:
    """The last id the cursor names, or None when this list did not make it. Every string
    of the documented pattern is a cursor (so a program's generated tests find no gap)."""
    found = re.match(_cursor_pattern(kind), cursor)
    return int(found.group(0)[len(kind) :], 36) if found else None


class Cursor(fields.String):
    """A query parameter that reads a cursor of one list back into its last id; `kind`,
    a letter or two, tells one list's cursors from another's."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("load_default", None)
        kwargs.setdefault(
            "metadata",
            {
                "description": "the `next` of the previous page (opaque); none for the first",
                "pattern": _cursor_pattern(kind),
            },
        )
        super().__init__(**kwargs)

    # A String to the document (and to webargs); an id once read.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> int:
        last_id = decode_cursor(self.kind, super()._deserialize(value, attr, data, **kwargs))
        if last_id is None:
            raise ValidationError(_("This cursor was not given by this list: start again."))
        return last_id


def limit_field() -> fields.Integer:
    return fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=Range(1, MAX_LIMIT),
        metadata={"description": f"items per page, 1 to {MAX_LIMIT}"},
    )


class PageOut(Schema):
    next = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "send it as `after` for the next page; null on the last"},
    )


def keyset_page(
    query: Select, key: InstrumentedAttribute[int], *, limit: int, after: int | None
) -> tuple[Sequence[Row], bool]:
    """At most `limit` rows after the key `after`, in ascending key; and whether more follow
    (one row more is read to know)."""
    if after is not None:
        # Bound as a BIGINT: a cursor may name more than an INTEGER id holds (nothing after).
        query = query.where(key > literal(after, BigInteger))
    rows = db.session.execute(query.order_by(None).order_by(key).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def next_cursor(kind: str, rows: Sequence[Any], more: bool, *, id_of=lambda row: row.id):
    return encode_cursor(kind, id_of(rows[-1])) if more and rows else None
