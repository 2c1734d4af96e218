"""`flask translations ...`: the message catalogues.

`flask translations compile` is what `make run` and `make test` call; the .mo files it
writes are not in git.
"""

from __future__ import annotations

import click
from flask import Flask

from app.core import translations


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
