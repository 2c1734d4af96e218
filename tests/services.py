"""Which real services this test run can use: PostgreSQL and Redis, or SQLite and skips.

Under CI=true a missing service is a failure; elsewhere the suite falls back to SQLite
and says clearly what it skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import psycopg
import redis

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"  # our own database number; never flushed whole


def schema_for_this_run() -> str:
    return f"dcc_test_{os.getpid()}"


@dataclass
class Services:
    database_url: str
    postgres: bool
    redis_url: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def on_ci(self) -> bool:
        return os.environ.get("CI", "").lower() == "true"


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _postgres_answers(url: str) -> str | None:
    try:
        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {url} did not answer: {error}".strip()
    return None


def _redis_answers(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {url} did not answer: {error}"
    return None


def detect_services() -> Services:
    problems = []
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    postgres = database_url.startswith(("postgres://", "postgresql"))
    if postgres:
        problem = _postgres_answers(database_url)
        if problem:
            problems.append(problem)
            postgres = False
            database_url = "sqlite://"
    redis_url: str | None = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    problem = _redis_answers(redis_url)
    if problem:
        problems.append(problem)
        redis_url = None
    return Services(
        database_url=_sqlalchemy_url(database_url),
        postgres=postgres,
        redis_url=redis_url,
        problems=problems,
    )


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections work inside `schema` of the test database."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"
