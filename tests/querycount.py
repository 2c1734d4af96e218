"""Counting SQL statements, so that a list or an export that grows an N+1 fails a test.

    with count_queries() as counted:
        client.get("/admin/...")
    assert counted.count <= 8

The listener sits on the engine's connections, so statements run by the test's session,
by a view through the test client and by a streamed response are all counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

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
