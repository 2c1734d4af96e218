"""Rendered public call pages for visitors without an account, kept in each web process.

The public call page takes bursts of anonymous visitors when a call is announced. Every
one of them would render the same HTML: the same call, language, zone and minute. We
render it once per key and hand out copies; the only per-visitor part, the CSRF token of
the language form in the page header, is swapped in for each visitor.

A key holds everything the page depends on: the call's row version (its `updated_at`,
which criteria and eligibility changes also move), the language, the time zone, the
minute (for "time left"), and where the call stands against its instants, computed for
each request. So a deadline shows to the second. The version itself is read from the
database at most once every `version_seconds` per process (a burst then runs no query at
all), so an edit reaches visitors without an account within that many seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# Stands for the visitor's CSRF token inside a stored page; never a valid token itself.
VISITOR_SLOT = "\x00visitor-csrf\x00"


class PageCache:
    """A small least-recently-used store of rendered pages, safe across threads."""

    def __init__(
        self,
        size: int,
        *,
        version_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.size = size
        self.version_seconds = version_seconds
        self.clock = clock
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        # slug -> (valid until, version or None for an unknown slug)
        self._versions: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def version(self, slug: str, load: Callable[[], Any]) -> Any:
        """The call's version, from `load()` at most once per `version_seconds`."""
        if self.size <= 0 or self.version_seconds <= 0:
            return load()
        now = self.clock()
        with self._lock:
            known = self._versions.get(slug)
        if known is not None and known[0] > now:
            return known[1]
        value = load()
        with self._lock:
            self._versions[slug] = (now + self.version_seconds, value)
            self._versions.move_to_end(slug)
            # Unknown slugs are remembered too (a burst of 404s stays cheap), within bounds.
            while len(self._versions) > 4 * self.size:
                self._versions.popitem(last=False)
        return value

    def get(self, key: Hashable, *, token: str) -> str | None:
        if self.size <= 0:
            return None
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            self._pages.move_to_end(key)
        return page.replace(VISITOR_SLOT, token)

    def put(self, key: Hashable, page: str, *, token: str) -> None:
        if self.size <= 0 or not token or VISITOR_SLOT in page:
            return
        with self._lock:
            self._pages[key] = page.replace(token, VISITOR_SLOT)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._versions.clear()

    def __len__(self) -> int:
        return len(self._pages)
