"""CLI commands of the reviews domain: `flask assign-reviewers CALL_SLUG [--apply]`."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from app.calls.models import Call
from app.errors import DomainError
from app.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("assign-reviewers")
    @click.argument("call_slug")
    @click.option("--apply", "apply_plan", is_flag=True, help="Apply the plan (default: show it).")
    @click.option(
        "--replan-unstarted", is_flag=True, help="Also move assignments nobody has started."
    )
    @click.option(
        "--end-submitted-reviews",
        is_flag=True,
        help="Confirm that submitted reviews the new conflicts of interest end may end.",
    )
    def assign_reviewers_command(
        call_slug: str, apply_plan: bool, replan_unstarted: bool, end_submitted_reviews: bool
    ) -> None:
        """Plan (and with --apply, make) the call's automatic reviewer assignment."""
        from app.reviews import assigning

        call = db.session.scalar(select(Call).where(Call.slug == call_slug))
        if call is None:
            raise click.ClickException(f"No call with the slug {call_slug!r}.")
        plan = assigning.plan_automatic_assignment(
            actor=None, call=call, replan_unstarted=replan_unstarted
        )
        click.echo(
            f"{len(plan.new_pairs)} new assignments, {plan.kept} kept, "
            f"{len(plan.removals)} moved; {plan.solution.language_mismatches} language "
            f"mismatches; solved optimally in {plan.solution.seconds:.2f} s."
        )
        for shortfall in plan.shortfalls:
            label = plan.proposal_labels.get(shortfall.proposal_id, shortfall.proposal_id)
            click.echo(
                f"  short: {label}: {shortfall.missing} missing — "
                f"{assigning.shortfall_message(shortfall, plan.k)}"
            )
        if plan.new_conflicts:
            found = len(plan.new_conflicts)
            click.echo(f"{found} conflicts of interest found, recorded on --apply.")
        for ending in plan.recusals:
            review = "submitted review" if ending.review_submitted else "no submitted review"
            click.echo(f"  ends: {ending.reviewer_name} on {ending.city} ({review})")
        if not apply_plan:
            click.echo("Nothing changed; run again with --apply to make these assignments.")
            return
        try:
            made = assigning.apply_automatic_assignment(
                actor=None,
                call=call,
                new_pairs=plan.new_pairs,
                removals=plan.removals,
                recusals=[ending.assignment_id for ending in plan.recusals],
                confirm_recusals=end_submitted_reviews,
            )
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
        click.echo(f"{len(made)} assignments made.")
