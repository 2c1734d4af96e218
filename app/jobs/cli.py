"""Commands of the jobs domain: hand over again, by hand, the jobs the broker did not take."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db
from app.jobs import services


def register_commands(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Background jobs (what celery beat does on its schedule)."""

    @jobs_group.command("redispatch")
    def redispatch_command() -> None:
        """Hand over again every job still queued after JOB_REDISPATCH_SECONDS."""
        count = services.redispatch_queued_jobs()
        db.session.commit()
        click.echo(f"{count} jobs handed to the workers again.")
