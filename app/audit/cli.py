"""Commands of the audit log: `flask audit-purge`, what celery beat does each night."""

from __future__ import annotations

import click
from flask import Flask

from app.audit import services
from app.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("audit-purge")
    def audit_purge_command() -> None:
        """Delete the audit entries older than AUDIT_RETENTION_DAYS (0 keeps them all)."""
        deleted = services.purge_old_audit_entries()
        db.session.commit()
        days = app.config.get("AUDIT_RETENTION_DAYS") or 0
        if days <= 0:
            click.echo("AUDIT_RETENTION_DAYS is 0: every audit entry is kept.")
        else:
            click.echo(f"{deleted} audit entries older than {days} days deleted.")
