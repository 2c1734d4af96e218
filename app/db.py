"""The typed declarative base: naming convention, UTC timestamps, enum columns."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, String, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant stored in UTC on every backend.

    SQLite keeps no zone, so we convert on the way in and attach UTC on the way out;
    a naive datetime is a programming error, never silently taken as local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: JSON(),
            list[str]: JSON(),
            str: String(255),
        },
    )


def enum_column(enum_class: type[enum.Enum], **kwargs: Any) -> Mapped[Any]:
    """A string column limited to the enum's values by a CHECK constraint."""
    return mapped_column(
        Enum(
            enum_class,
            native_enum=False,
            create_constraint=True,
            length=32,
            validate_strings=True,
            values_callable=lambda members: [member.value for member in members],
            name=enum_class.__name__.lower(),
        ),
        **kwargs,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy, not the sqlite3 module, begin transactions, so SAVEPOINT works
    # (SQLAlchemy's documented recipe for pysqlite); _begin_sqlite_writes says when.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys (and so our score-in-range rule) unless asked.
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits up to 5 s for the one ahead of it instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL: readers and the one writer never wait for each other, so a page (or a progress
    # bar) reads while a save or a job writes. An in-memory database keeps its own mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Statements that never start SQLite's transaction (PRAGMA foreign_keys is ignored inside one).
_READ_ONLY_STATEMENTS = ("SELECT", "PRAGMA", "EXPLAIN")


@event.listens_for(Engine, "before_cursor_execute")
def _begin_sqlite_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    """On SQLite, BEGIN IMMEDIATE just before a transaction's first write (or SELECT ... FOR
    UPDATE, or SAVEPOINT); reads before it run on their own, each seeing the latest commit.

    A plain BEGIN would start a read snapshot that must later be upgraded to write, and SQLite
    refuses that upgrade at once, without the busy timeout, when another connection writes
    or has written since ("database is locked"): two autosaves of one section, or a job and
    its progress reporter. BEGIN IMMEDIATE takes the single write lock first, so writers
    queue behind the busy timeout and then read what the one before them committed. This is
    PostgreSQL's default behaviour too (READ COMMITTED reads, FOR UPDATE taking turns), which
    the code is written for; PostgreSQL never reaches this function.
    """
    if conn.dialect.name != "sqlite" or cursor.connection.in_transaction:
        return
    compiled = context.compiled if context is not None else None
    locks = (
        compiled is not None and getattr(compiled.statement, "_for_update_arg", None) is not None
    )
    if not locks and statement.lstrip()[:7].upper().startswith(_READ_ONLY_STATEMENTS):
        return
    cursor.execute("BEGIN IMMEDIATE")
