"""`flask seed-demo`: the demo call, its people and proposals."""

from __future__ import annotations

import click
from flask import Flask

from app.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo call, people and proposals (safe to run twice)."""
        from app.demo.seed import seed_demo  # the web processes never load the demo

        created, logins = seed_demo()
        db.session.commit()
        click.echo("Demo data created." if created else "Demo data was already there.")
        click.echo("Demo logins (all share one password):")
        for role, email, password in logins:
            click.echo(f"  {role:<14} {email:<45} {password}")
