"""Counting SQL statements, so that a list or an export that grows an N+1 fails a test.

    with count_queries() as counted:
        client.get("/admin/...")
    assert counted.count <= 8

The listener sits on the engine's connections, so statements run by the test's session,
by a view through the test client and by a streamed response are all counted.

`statements_on_a_small_and_a_large_call` counts the statements of administrators' pages
on one realistic call, the benchmark's workload, at 10 and at 200 proposals: a page whose
count grows with the call has an N+1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, url_for
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.accounts.models import User
from app.extensions import db
from bench.seed import BENCH_ADMIN_EMAIL, seed_bench
from tests.client import log_in

SMALL_CALL, LARGE_CALL = 10, 200  # proposals; a page of the proposal list holds 100

# Savepoints and transaction bookkeeping are not work a page does.
_IGNORED_PREFIXES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.count} statements:\n" + "\n---\n".join(self.statements)


@contextmanager
def count_queries(engine: Engine | None = None) -> Iterator[QueryCounter]:
    engine = engine or db.engine
    counter = QueryCounter()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_IGNORED_PREFIXES):
            counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


# A page by name: its endpoint and the values of its URL.
Pages = dict[str, tuple[str, dict]]


def statements_on_a_small_and_a_large_call(
    app: Flask,
    pages: Callable[[int], Pages],
    *,
    prepare: Callable[[int], None] | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """Statements each page runs for the administrator, on the bench workload at
    SMALL_CALL and at LARGE_CALL proposals (20 reviewers, 3 reviews each).

    `pages(call_id)` names the pages; `prepare(proposals)` adds rows of its own first.
    """
    counts = []
    for proposals in (SMALL_CALL, LARGE_CALL):
        summary = seed_bench(proposals=proposals, reviewers=20, reviews_per_proposal=3, reset=True)
        if prepare is not None:
            prepare(proposals)
        db.session.commit()
        counts.append(_statements_per_page(app, pages(summary.call_id)))
    return counts[0], counts[1]


def _statements_per_page(app: Flask, pages: Pages) -> dict[str, int]:
    admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN_EMAIL))
    client = app.test_client()
    log_in(client, admin)
    counts = {}
    for name, (endpoint, values) in pages.items():
        with app.test_request_context():
            path = url_for(endpoint, **values)
        db.session.expire_all()
        with count_queries() as counted:
            response = client.get(path)
            response.get_data()  # a streamed export runs its statements as it is read
            response.close()  # a built export's temporary file closes with its response
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = counted.count
    return counts
