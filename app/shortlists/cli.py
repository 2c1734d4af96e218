"""CLI commands of the shortlists domain: compile a shortlist and export a call from a shell."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.calls.models import Call
from app.errors import DomainError
from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import mark_running
from app.shortlists import exporters, queries, services
from app.shortlists.scoring import ScoringOptions
from app.shortlists.solver import GROUP_BY_CHOICES, Reason, describe


def _call_by_slug(slug: str) -> Call:
    call = db.session.scalar(select(Call).where(Call.slug == slug))
    if call is None:
        raise click.ClickException(f"no call with the slug {slug!r}")
    return call


def _administrator(email: str | None) -> User:
    query = select(User).join(UserRole).where(UserRole.role == Role.ADMINISTRATOR)
    if email:
        query = query.where(User.email == email.strip().lower())
    user = db.session.scalar(query.order_by(User.id).limit(1))
    if user is None:
        raise click.ClickException(
            "no such administrator" if email else "create an administrator first"
        )
    return user


def register_commands(app: Flask) -> None:
    @app.cli.command("compile-shortlist")
    @click.argument("call_slug")
    @click.option("--size", default=10, show_default=True, help="How many cities.")
    @click.option("--min-score", type=float, default=None, help="Minimum total score (0-100).")
    @click.option("--group-by", type=click.Choice(GROUP_BY_CHOICES), default="continent")
    @click.option("--min-per-group", default=1, show_default=True)
    @click.option("--max-per-group", type=int, default=None)
    @click.option("--max-per-country", type=int, default=1, show_default=True)
    @click.option("--min-groups", default=0, show_default=True, help="Different regions needed.")
    @click.option("--method", type=click.Choice(["mean", "median"]), default="mean")
    @click.option("--calibrate/--no-calibrate", default=False)
    @click.option("--weight-by-confidence/--no-weight-by-confidence", default=False)
    @click.option("--as", "acting_email", default=None, help="The administrator acting.")
    def compile_shortlist_command(call_slug: str, acting_email: str | None, **options) -> None:
        """Compile a shortlist now (the same job the web page starts, run in this process).

        Example, "10 cafés on 5 continents":
        flask compile-shortlist dialogue-cafe-2009 --size 10 --min-groups 5 --max-per-group 3
        """
        call = _call_by_slug(call_slug)
        actor = _administrator(acting_email)
        scoring = ScoringOptions(
            method=options.pop("method"),
            calibrate=options.pop("calibrate"),
            weight_by_confidence=options.pop("weight_by_confidence"),
        )
        try:
            parameters = services.CompileParameters(scoring=scoring, **options)
            shortlist = services.request_compilation(actor=actor, call=call, parameters=parameters)
            job = db.session.get_one(Job, shortlist.job_id)
            mark_running(job)
            services.compile_shortlist(job=job)
        except (DomainError, ValueError) as error:
            db.session.rollback()
            raise click.ClickException(str(getattr(error, "message", error))) from None
        # The queued task finds the shortlist compiled and leaves it as it is.
        db.session.commit()
        rows = queries.shortlist_rows(shortlist.id)
        for problem in services.problems_of(shortlist):
            click.echo(f"cannot compile: {describe(problem)}", err=True)
        for row in rows:
            if row.included:
                click.echo(
                    f"{row.rank:>5}  {row.score:7.2f}  {row.city} ({row.country_code}, "
                    f"{row.continent})  {describe(Reason.from_json(row.why))}"
                )
        click.echo(
            f"shortlist {shortlist.id}: {shortlist.state.value}, "
            f"{sum(row.included for row in rows)} of {len(rows)} proposals chosen"
        )
        if shortlist.state.value == "failed":
            sys.exit(1)

    @app.cli.command("export-call")
    @click.argument("call_slug")
    @click.option(
        "--format", "export_format", type=click.Choice(list(exporters.FORMATS)), default="csv"
    )
    @click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def export_call_command(call_slug: str, export_format: str, output: Path) -> None:
        """Write a call's reviews (CSV, XLSX, JSON) or its shortlist dossier (PDF) to a file."""
        call = _call_by_slug(call_slug)
        try:
            shortlist = exporters.FORMATS[export_format].shortlist_of(call)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        with output.open("wb") as out:
            exporters.write_export(export_format, call=call, out=out, shortlist=shortlist)
        click.echo(f"wrote {output} ({output.stat().st_size} bytes)")
