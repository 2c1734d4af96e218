"""CLI commands of the calls domain."""

from __future__ import annotations

import click
from flask import Flask

from app.calls import services
from app.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("close-due-calls")
    def close_due_calls_command() -> None:
        """Close every open call whose closing instant (plus grace) has passed.

        The Celery beat task calls.close_due does the same every minute; this command is
        for installations without beat, e.g. from cron.
        """
        closed = services.close_due_calls()
        db.session.commit()
        if closed:
            for call in closed:
                click.echo(f"closed {call.slug}")
        else:
            click.echo("no call was due")
