"""Commands of the notifications domain: the outbox by hand, and the translation catalogues.

`flask translations compile` is what `make run` and `make test` call; the .mo files it
writes are not in git.
"""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db
from app.notifications import delivery, translations
from app.proposals import periodic


def register_commands(app: Flask) -> None:
    @app.cli.group("translations")
    def translations_group() -> None:
        """Extract, update and compile the message catalogues (app/translations)."""

    @translations_group.command("compile")
    def compile_command() -> None:
        """Compile every .po file into the .mo file the app reads."""
        for catalog in translations.compile_translations():
            click.echo(
                f"{catalog.locale}: {catalog.translated} of {catalog.total} strings translated "
                f"-> {catalog.path.relative_to(translations.PROJECT_ROOT)}"
            )

    @translations_group.command("update")
    def update_command() -> None:
        """Add the strings of app/ and templates/ that are new to every .po file."""
        for path in translations.update_catalogues():
            click.echo(f"updated {path.relative_to(translations.PROJECT_ROOT)}")

    @translations_group.command("init")
    @click.argument("locale")
    def init_command(locale: str) -> None:
        """Start the catalogue of a new language, e.g. `flask translations init es`."""
        path = translations.init_catalogue(locale)
        click.echo(f"created {path.relative_to(translations.PROJECT_ROOT)}")

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
