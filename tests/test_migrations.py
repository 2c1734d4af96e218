"""The migrations create exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests.conftest import SERVICES
from tests.services import with_search_path

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def _app_for(url: str):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config)


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _table_names(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _check_round_trip(app) -> None:
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    assert _differences(app) == []
    assert _table_names(app) == set(db.metadata.tables)
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
    assert _table_names(app) == set()
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


def test_flask_db_runs_flask_migrate_commands(tmp_path):
    """`flask db` is registered without importing Flask-Migrate; its commands run as ever."""
    app = _app_for(f"sqlite:///{tmp_path / 'cli.db'}")
    runner = app.test_cli_runner()

    # (Alembic prints to the sys.stdout of its import, not to the runner's: effects are checked.
    # The commands use the current app: this one's context, never the suite's database.)
    with app.app_context():
        help_text = runner.invoke(args=["db", "--help"])
        upgraded = runner.invoke(args=["db", "-d", MIGRATIONS, "upgrade"])

    assert help_text.exit_code == 0, help_text.output
    assert "upgrade" in help_text.output
    assert upgraded.exit_code == 0, upgraded.output
    assert _table_names(app) == set(db.metadata.tables)
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


def test_migrations_match_models_and_round_trip_on_sqlite(tmp_path):
    _check_round_trip(_app_for(f"sqlite:///{tmp_path / 'migrations.db'}"))


@pytest.mark.postgres
def test_migrations_match_models_and_round_trip_on_postgresql():
    schema = f"dcc_migrations_{os.getpid()}"
    admin = create_engine(SERVICES.database_url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        _check_round_trip(_app_for(with_search_path(SERVICES.database_url, schema)))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
