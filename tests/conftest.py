"""Test fixtures: a real database (PostgreSQL when it answers), each test rolled back."""

from __future__ import annotations

import pytest
from flask import Flask, g, request_started
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db, limiter
from config import TestingConfig
from tests.client import BrowserLikeClient, log_in
from tests.factories import make_admin
from tests.services import Services, detect_services, schema_for_this_run, with_search_path

SERVICES: Services = detect_services()
# Our own schema per run, so that parallel runs on one database never meet.
SCHEMA = schema_for_this_run()


def pytest_configure(config: pytest.Config) -> None:
    if SERVICES.problems and SERVICES.on_ci:
        raise pytest.UsageError(
            "CI=true and a service is missing (a failure, not a skip):\n  "
            + "\n  ".join(SERVICES.problems)
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL" if SERVICES.postgres else "SQLite (PostgreSQL not reachable)"
    broker = SERVICES.redis_url or "none (Redis not reachable)"
    return [f"database: {database}; redis: {broker}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reasons = {
        "postgres": None if SERVICES.postgres else "PostgreSQL is not reachable",
        "redis": None if SERVICES.redis_url else "Redis is not reachable",
        "worker": None if SERVICES.redis_url else "Redis is not reachable (no Celery worker)",
    }
    for item in items:
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=f"service missing: {reason}"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if SERVICES.problems:
        terminalreporter.section("services missing: tests that need them were skipped")
        for problem in SERVICES.problems:
            terminalreporter.write_line(problem)
        skipped = terminalreporter.stats.get("skipped", [])
        terminalreporter.write_line(f"{len(skipped)} tests skipped for a missing service.")
    database = "PostgreSQL" if SERVICES.postgres else "SQLite"
    broker = "Redis" if SERVICES.redis_url else "no Redis"
    terminalreporter.write_line(f"services used in this run: {database}, {broker}.")


def _database_url() -> str:
    if SERVICES.postgres:
        return with_search_path(SERVICES.database_url, SCHEMA)
    return SERVICES.database_url


class BoundTestSession(FlaskSession):
    """Always uses the test's connection, so everything it does is rolled back."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


def _start_each_request_afresh(sender, **extra) -> None:
    """Test requests share the test's app context, so `g` (where Flask-Login keeps the user
    and Flask-Babel the locale) would carry one request's state into the next. A real
    server starts every request with an empty `g`; we forget those three (the CSRF token too:
    a page must render the token of the session it is served in)."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    g.pop("csrf_token", None)


@pytest.fixture(scope="session")
def app() -> Flask:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _database_url()
        REDIS_URL = SERVICES.redis_url or ""
        MAIL_BACKEND = "memory"

    if SERVICES.postgres:
        admin_engine = create_engine(SERVICES.database_url)
        with admin_engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        admin_engine.dispose()
    else:
        Config.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"check_same_thread": False}}
        from sqlalchemy.pool import StaticPool

        Config.SQLALCHEMY_ENGINE_OPTIONS["poolclass"] = StaticPool

    flask_app = create_app(Config)
    flask_app.test_client_class = BrowserLikeClient
    request_started.connect(_start_each_request_afresh, flask_app)
    with flask_app.app_context():
        db.create_all()
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()
    if SERVICES.postgres:
        admin_engine = create_engine(SERVICES.database_url)
        with admin_engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin_engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_database(app: Flask, tmp_path):
    """Every test runs in a transaction that is rolled back at the end."""
    flask_app = app
    flask_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    flask_app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    flask_app.extensions["dispatched_tasks"].clear()
    flask_app.extensions["mail_sent"] = []
    limiter.reset()
    with flask_app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_session = db.session
        db.session = db._make_scoped_session(
            {
                "class_": BoundTestSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original_session
            transaction.rollback()
            connection.close()


@pytest.fixture
def app_context(app):
    """The app context with the isolated session (already pushed by the autouse fixture)."""
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app_context):
    """An administrator; a domain's conftest may override it (a zone, a name)."""
    return make_admin(name="Ada Admin")


@pytest.fixture
def admin_client(client, admin):
    """A client logged in as `admin`, who is also `admin_client.administrator`."""
    db.session.commit()
    log_in(client, admin)
    client.administrator = admin
    return client


@pytest.fixture
def dispatched_tasks(app) -> list:
    """Tasks handed over after commit, in order: (task name, kwargs)."""
    return app.extensions["dispatched_tasks"]


@pytest.fixture
def sent_mail(app) -> list:
    return app.extensions["mail_sent"]
