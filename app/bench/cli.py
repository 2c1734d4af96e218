"""`flask seed-bench` and `flask bench run`: the benchmark's two commands."""

from __future__ import annotations

import time

import click
from flask import Flask

from app.extensions import db

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


def register_bench_commands(app: Flask) -> None:
    @app.cli.command("seed-bench")
    @_with_seed_options
    @click.option("--reset", is_flag=True, help="Drop an earlier bench call and its people first.")
    def seed_bench_command(proposals: int, reviewers: int, reviews_per_proposal: int, reset: bool):
        """Create the benchmark's workload in the app's database (skipped if already there)."""
        from app.bench.seed import seed_bench

        started = time.perf_counter()
        summary = seed_bench(
            proposals=proposals,
            reviewers=reviewers,
            reviews_per_proposal=reviews_per_proposal,
            reset=reset,
        )
        db.session.commit()
        click.echo(f"{summary.describe()} ({time.perf_counter() - started:.1f} s)")

    @app.cli.group("bench")
    def bench_group() -> None:
        """The benchmark of issue 8 (docs/PERFORMANCE.md)."""

    @bench_group.command("run")
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
    def bench_run_command(**options) -> None:
        """Seed the workload if needed, serve it with gunicorn, measure, print one table."""
        from app.bench.harness import run_bench

        raise SystemExit(run_bench(**options))
