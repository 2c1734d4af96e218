"""One run of the benchmark: seed, serve, take each measure, print the table, save the JSON.

The machinery (servers, load, timing, the table) is in bench/harness.py and what is measured
in bench/workloads.py; this module is the only one that knows both.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click
from flask_migrate import upgrade

from app.extensions import db
from bench import workloads
from bench.harness import (
    BenchContext,
    GunicornServer,
    Row,
    default_database_url,
    ensure_schema,
    format_table,
    machine_description,
    make_bench_app,
    normalise_url,
    redacted_url,
)
from bench.seed import seed_bench
from config import BASE_DIR

log = logging.getLogger(__name__)

MEASURES = (
    "public",
    "lists",
    "exports",
    "apply",
    "assignment",
    "shortlist",
    "notifications",
    "memory",
)


def run_bench(
    *,
    proposals: int,
    reviewers: int,
    reviews_per_proposal: int,
    database_url: str | None,
    runs: int,
    duration: int,
    reset: bool,
    only: tuple[str, ...],
    output: str,
) -> int:
    """Seed, serve, measure, print the table, write the JSON. The exit status: 0 when all met."""
    unknown = set(only) - set(MEASURES)
    if unknown:
        raise click.BadParameter(f"unknown measure(s): {', '.join(sorted(unknown))}")
    selected = [m for m in MEASURES if not only or m in only]
    url = normalise_url(database_url or default_database_url())
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    ensure_schema(url)
    started_at = time.time()
    app = make_bench_app(url)
    with app.app_context():
        click.echo(f"Bench database: {redacted_url(url)}")
        upgrade()
        logging.getLogger().setLevel(logging.WARNING)
        seeding = time.perf_counter()
        sizes = {"proposals": proposals, "reviewers": reviewers}
        sizes["reviews_per_proposal"] = reviews_per_proposal
        summary = seed_bench(**sizes, reset=reset)
        wanted = (proposals, reviews_per_proposal * proposals)
        if not summary.created and (summary.proposals, summary.reviews) != wanted:
            summary = seed_bench(**sizes, reset=True)  # another size was asked for this time
        db.session.commit()
        click.echo(f"{summary.describe()} ({time.perf_counter() - seeding:.1f} s)")
        machine = machine_description(url, db.engine)
        context = BenchContext(
            app=app,
            database_url=url,
            runs=runs,
            duration=duration,
            call_id=summary.call_id,
            output_dir=_output_path(output).parent,
        )
        rows: list[Row] = []
        try:
            context.server = GunicornServer("app", "app:create_app()", context.server_env())
            context.hello = GunicornServer("hello", "bench.hello:app")
            context.server.start("/healthz")
            context.hello.start("/")
            context.admin_cookie = workloads.admin_cookie(context)
            context.memory_trace["after start and login"] = context.server.peak_memory_mib()
            for name in selected:
                click.echo(f"measuring: {name} ...", err=True)
                rows.extend(_measure(name, getattr(workloads, f"measure_{name}"), context))
                db.session.rollback()
                context.memory_trace[f"after {name}"] = context.server.peak_memory_mib()
        finally:
            for server in (context.server, context.hello):
                if server is not None:
                    server.stop()
    table = format_table(rows)
    click.echo("")
    click.echo(table)
    for note in context.notes:
        click.echo(f"note: {note}")
    results = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at)),
        "duration_seconds": round(time.time() - started_at, 1),
        "machine": machine,
        "workload": asdict(summary),
        "rows": [asdict(row) for row in rows],
        "notes": context.notes,
        "web_worker_peak_mib_after": context.memory_trace,
        "table": table,
    }
    path = _output_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    click.echo(f"\nWritten to {path}")
    return 0 if all(row.verdict != "FAIL" for row in rows) else 1


def _output_path(output: str) -> Path:
    path = Path(output)
    return path if path.is_absolute() else BASE_DIR / path


def _measure(name: str, measure: Callable[[BenchContext], list[Row]], context) -> list[Row]:
    try:
        return measure(context)
    except Exception as error:  # a broken measure must not hide the others
        log.exception("measure %s failed", name)
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        why = f"error: {type(error).__name__}: {lines[-1] if lines else ''}"[:200]
        return [Row(name, why, "", "FAIL", {"error": str(error)})]
