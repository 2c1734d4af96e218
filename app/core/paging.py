"""One page of a list paged by number (the outbox, the audit trail): the numbers the
`_pagination.html` macro and the "Entries 51 to 100 of 730" line read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def page_within(page: int, total: int, page_size: int) -> tuple[int, int]:
    """(page, pages): a page number typed into the address bar stays within the list (and
    the SQL offset); an empty list has one page."""
    pages = max(1, math.ceil(total / page_size))
    return min(max(page, 1), pages), pages


@dataclass
class OffsetPage:
    rows: Sequence[Any]
    total: int
    page: int
    pages: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def first_number(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return min(self.page * self.page_size, self.total)
