"""The JSON export: the call, its criteria, the ranking with the shortlist, then every
counted review, streamed. Stored codes stay codes (a program reads it, not a person)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from app.calls.models import Call
from app.db import utcnow
from app.jobs.services import Progress
from app.shortlists.exporters.cells import plain
from app.shortlists.exporters.rows import ExportData, tell
from app.shortlists.models import Shortlist


def iter_json(
    call: Call, *, shortlist: Shortlist | None = None, progress: Progress | None = None
) -> Iterator[bytes]:
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
        record = dict(zip(columns, (plain(value) for value in row), strict=True))
        yield (("," if done > 1 else "") + json.dumps(record, ensure_ascii=False)).encode("utf-8")
        tell(progress, done, total)
    yield b"]}"


def _shortlist_summary(shortlist: Shortlist | None) -> dict[str, Any] | None:
    if shortlist is None:
        return None
    return {
        "id": shortlist.id,
        "state": shortlist.state.value,
        "parameters": shortlist.parameters,
        "compiled_at": plain(shortlist.compiled_at),
        "published_at": plain(shortlist.published_at),
    }
