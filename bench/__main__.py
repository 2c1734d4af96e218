"""`python -m bench seed` and `python -m bench run`: the benchmark's two commands.

The benchmark is not part of the product (it is not packaged and `flask --help` does not
list it); run it from the project's folder, as `make bench` does.
"""

from __future__ import annotations

import contextlib
import time

import click
from flask import has_app_context

_seed_options = [
    click.option("--proposals", default=2000, show_default=True, help="Submitted proposals."),
    click.option("--reviewers", default=200, show_default=True, help="Reviewers with profiles."),
    click.option(
        "--reviews-per-proposal",
        default=3,
        show_default=True,
        help="Submitted reviews per proposal.",
    ),
]


def _with_seed_options(function):
    for option in reversed(_seed_options):
        function = option(function)
    return function


@click.group()
def cli() -> None:
    """The benchmark of issue 8 (docs/PERFORMANCE.md)."""


@cli.command("seed")
@_with_seed_options
@click.option("--reset", is_flag=True, help="Drop an earlier bench call and its people first.")
def seed_command(proposals: int, reviewers: int, reviews_per_proposal: int, reset: bool) -> None:
    """Create the benchmark's workload in the app's database (skipped if already there)."""
    from app import create_app
    from app.extensions import db
    from bench.seed import seed_bench

    # The app of APP_ENV and DATABASE_URL, as `flask` would create it; a caller that already
    # has an app context (a test) seeds into that one.
    app_context = contextlib.nullcontext() if has_app_context() else create_app().app_context()
    with app_context:
        started = time.perf_counter()
        summary = seed_bench(
            proposals=proposals,
            reviewers=reviewers,
            reviews_per_proposal=reviews_per_proposal,
            reset=reset,
        )
        db.session.commit()
        click.echo(f"{summary.describe()} ({time.perf_counter() - started:.1f} s)")


@cli.command("run")
@_with_seed_options
@click.option(
    "--database-url",
    envvar="BENCH_DATABASE_URL",
    default=None,
    help="Where the workload lives (default: the SQLite file instance/bench.db). "
    "PostgreSQL: e.g. postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dbench",
)
@click.option("--runs", default=5, show_default=True, help="Runs per measure (the median).")
@click.option("--duration", default=5, show_default=True, help="Seconds per wrk run.")
@click.option("--reset", is_flag=True, help="Seed the workload again from scratch.")
@click.option(
    "--only",
    multiple=True,
    help="Run only these measures (repeatable): public, lists, exports, apply, "
    "assignment, shortlist, notifications, memory.",
)
@click.option("--output", default="bench-results/latest.json", show_default=True)
def run_command(**options) -> None:
    """Seed the workload if needed, serve it with gunicorn, measure, print one table.

    The run creates its own app on the bench database (bench.harness.make_bench_app).
    """
    from bench.run import run_bench

    raise SystemExit(run_bench(**options))


if __name__ == "__main__":
    cli()
