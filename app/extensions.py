"""The extension objects, created once and initialised in create_app."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import click
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.db import Base

if TYPE_CHECKING:
    from flask import Flask
    from flask_migrate import Migrate


class Migrations:
    """Flask-Migrate, imported only when a migration runs.

    Importing flask_migrate imports Alembic (and its plugin log lines) in every gunicorn
    worker, though only `flask db`, the bench and the tests migrate. Measured with plain
    `Migrate` (bench, 2026-12): the web worker's peak rose from 144 to 152 MiB on PostgreSQL,
    over its 150 MiB budget (136 -> 144 on SQLite; docs/PERFORMANCE.md, web worker memory).
    So `app.extensions["migrate"]` holds the settings and builds Flask-Migrate's object on
    first use, and `flask db` loads Flask-Migrate's own command group when it runs.
    flask_migrate.upgrade() and the other functions work as usual in an app context.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, *, directory: str, **options: Any) -> None:
        app.extensions["migrate"] = _DeferredMigrateConfig(db, directory, options)
        app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."))


class _DeferredMigrateConfig:
    """What flask_migrate reads from app.extensions["migrate"] (its _MigrateConfig)."""

    def __init__(self, db: SQLAlchemy, directory: str, options: dict[str, Any]):
        self.db = db
        self.directory = directory
        self._options = options

    @property
    def metadata(self):
        return self.db.metadata

    @property
    def configure_args(self) -> dict[str, Any]:
        return self.migrate.alembic_ctx_kwargs

    @cached_property
    def migrate(self) -> Migrate:
        from flask_migrate import Migrate  # imports Alembic: only when a migration runs

        return Migrate(db=self.db, directory=self.directory, **self._options)


class _MigrationCommands(click.Group):
    """`flask db`: Flask-Migrate's command group, imported when the command runs."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db as commands  # imports Alembic: only for `flask db`

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The context (options, callback, subcommands) is Flask-Migrate's group's own.
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get_command(ctx, cmd_name)


db = SQLAlchemy(model_class=Base)
migrate = Migrations()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# No default limits: each sensitive route names its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
