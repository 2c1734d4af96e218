"""CLI commands of the proposals domain."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask

from app.extensions import db
from app.proposals import closing, services


def register_commands(app: Flask) -> None:
    @app.cli.command("check-attachment-files")
    @click.option(
        "--remove-orphans-older-than",
        type=int,
        default=None,
        metavar="HOURS",
        help="Remove files no attachment names that are older than this many hours.",
    )
    def check_attachment_files_command(remove_orphans_older_than: int | None) -> None:
        """Check that every attachment's file is in UPLOAD_FOLDER, unchanged.

        Exits with status 1 when a file is missing or altered. Files that no attachment
        names (left by an upload that was rolled back) are listed, and removed on request.
        """
        age = timedelta(hours=remove_orphans_older_than) if remove_orphans_older_than else None
        result = services.check_stored_files(remove_orphans_older_than=age)
        for attachment_id in result.missing:
            click.echo(f"missing file for attachment {attachment_id}")
        for attachment_id in result.altered:
            click.echo(f"checksum differs for attachment {attachment_id}")
        for stored_name in result.orphans:
            state = "removed" if stored_name in result.removed else "kept"
            click.echo(f"orphan file {stored_name} ({state})")
        if not (result.missing or result.altered or result.orphans):
            click.echo("every attachment file is present and unchanged")
        if result.missing or result.altered:
            raise SystemExit(1)

    @app.cli.command("close-due-calls")
    def close_due_calls_command() -> None:
        """Close every open call whose closing instant (plus grace) has passed.

        The Celery beat task calls.close_due does the same every minute; this command is
        for installations without beat, e.g. from cron.
        """
        closed = closing.close_due_calls()
        db.session.commit()
        if closed:
            for call in closed:
                click.echo(f"closed {call.slug}")
        else:
            click.echo("no call was due")
