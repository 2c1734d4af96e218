"""`flask notifications ...`: what celery beat does on its schedule, by hand."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db
from app.outbox import delivery
from app.proposals import periodic


def register_commands(app: Flask) -> None:
    @app.cli.group("notifications")
    def notifications_group() -> None:
        """The outbox by hand (what celery beat does on its schedule)."""

    @notifications_group.command("dispatch")
    def dispatch_command() -> None:
        """Hand every due pending message to the workers again."""
        count = delivery.dispatch_pending_notifications()
        db.session.commit()
        click.echo(f"{count} messages handed to the workers.")

    @notifications_group.command("send-digest")
    def digest_command() -> None:
        """Queue the administrators' digest of yesterday's submissions (once per day)."""
        count = periodic.send_daily_digest()
        db.session.commit()
        click.echo(f"{count} digest messages queued.")

    @notifications_group.command("send-closing-soon")
    def closing_soon_command() -> None:
        """Queue the "call closing soon" notices that are due (once per draft and window)."""
        count = periodic.send_closing_soon()
        db.session.commit()
        click.echo(f"{count} notices queued.")
