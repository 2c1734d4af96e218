"""What `flask bench run` measures, one function per line group of the table (issue 8).

Each `measure_<name>(context)` returns rows with their budget; a feature that does not
exist yet gives "not available yet", never a made-up figure. Times over HTTP are taken
against the gunicorn server (2 sync workers); SQL statements are counted in-process with
the Flask test client and a `before_cursor_execute` listener on the engine.
"""

from __future__ import annotations

import importlib
import re
import time
from collections import Counter
from typing import Any

from flask import url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.bench.harness import (
    BENCH_REDIS_URL,
    BenchContext,
    CeleryWorker,
    Row,
    counting_queries,
    free_port,
    median,
    run_load,
    time_http,
)
from app.bench.seed import BENCH_ADMIN_EMAIL, BENCH_EMAIL_DOMAIN, BENCH_SLUG
from app.extensions import db

PROPOSAL_LINK = re.compile(rb"/admin/proposals/(\d+)")


def _path(context: BenchContext, endpoint: str, **values: Any) -> str:
    with context.app.test_request_context():
        return url_for(endpoint, **values)


def _has_endpoint(context: BenchContext, endpoint: str) -> bool:
    return endpoint in context.app.view_functions


def _module(name: str):
    """The module if it exists yet, else None (another helper may still be writing it)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None
        raise


def _admin() -> User:
    return db.session.scalar(select(User).where(User.email == BENCH_ADMIN_EMAIL))


def admin_cookie(context: BenchContext) -> str:
    """The bench administrator's session cookie, for requests to the gunicorn server."""
    app = context.app
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": _admin().session_token, "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def admin_client(context: BenchContext) -> FlaskClient:
    client = context.app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = _admin().session_token
        session["_fresh"] = True
    return client


def counted_get(context: BenchContext, client: FlaskClient, path: str) -> tuple[int, float, bytes]:
    """Queries and seconds of one in-process GET (after one warm-up GET)."""
    client.get(path)
    db.session.remove()
    with counting_queries(db.engine) as counted:
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return counted.count, elapsed, body


# --------------------------------------------------------------------------- public page


def measure_public(context: BenchContext) -> list[Row]:
    budget = ">= 25 % of hello-world"
    measure = "public call page, 8 clients"
    if not _has_endpoint(context, "calls.public_call"):
        return [Row.unavailable(measure, budget, "no calls.public_call endpoint")]
    page_url = context.server.base_url + _path(context, "calls.public_call", slug=BENCH_SLUG)
    hello_url = context.hello.base_url + "/"
    time_http(page_url, runs=1)  # answers 200, or the measure stops here
    run_load(hello_url, seconds=1)
    run_load(page_url, seconds=1)
    page_runs, hello_runs = [], []
    for _ in range(context.runs):
        hello_runs.append(run_load(hello_url, seconds=context.duration))
        page_runs.append(run_load(page_url, seconds=context.duration))
    errors = sum(run.errors for run in page_runs + hello_runs)
    page = {
        key: median([getattr(run, key) for run in page_runs])
        for key in ("requests_per_second", "p50_ms", "p95_ms")
    }
    hello = {
        key: median([getattr(run, key) for run in hello_runs])
        for key in ("requests_per_second", "p50_ms", "p95_ms")
    }
    ratio = page["requests_per_second"] / hello["requests_per_second"]
    return [
        Row(
            "hello-world (yardstick), 8 clients",
            f"{hello['requests_per_second']:.0f} req/s, p50 {hello['p50_ms']:.1f} ms, "
            f"p95 {hello['p95_ms']:.1f} ms",
            "-",
            "-",
            hello,
        ),
        Row.judged(
            measure,
            f"{page['requests_per_second']:.0f} req/s, p50 {page['p50_ms']:.1f} ms, "
            f"p95 {page['p95_ms']:.1f} ms = {ratio:.0%} of hello-world",
            budget,
            ratio >= 0.25 and errors == 0,
            ratio=ratio,
            errors=errors,
            **page,
        ),
    ]


# --------------------------------------------------------------------------- lists


def _list_row(
    context: BenchContext, measure: str, endpoint: str, values: dict[str, Any], expected: int
) -> Row:
    budget = "< 0.3 s, <= 10 queries"
    if not _has_endpoint(context, endpoint):
        return Row.unavailable(measure, budget, f"no {endpoint} endpoint")
    path = _path(context, endpoint, **values)
    queries, in_process, _body = counted_get(context, admin_client(context), path)
    timed = time_http(
        context.server.base_url + path, runs=context.runs, cookie=context.admin_cookie
    )
    shown = len(set(PROPOSAL_LINK.findall(timed.body)))
    complete = shown >= expected
    result = f"{timed.median:.3f} s over HTTP, {queries} queries, {shown} rows"
    if not complete:
        result += f" (expected {expected})"
    return Row.judged(
        measure,
        result,
        budget,
        timed.median < 0.3 and queries <= 10 and complete,
        http_seconds=timed.seconds,
        in_process_seconds=in_process,
        queries=queries,
        rows_shown=shown,
        bytes=len(timed.body),
    )


def measure_lists(context: BenchContext) -> list[Row]:
    expected = _bench_proposal_count(context)
    call_id = context.call_id
    return [
        _list_row(
            context,
            "proposal list, all rows",
            "calls.admin_proposals",
            {"call_id": call_id, "all": 1},
            expected,
        ),
        _list_row(
            context,
            "proposal list, all rows, filtered",
            "calls.admin_proposals",
            {"call_id": call_id, "all": 1, "state": "submitted", "q": "city"},
            expected,
        ),
        _list_row(
            context,
            "review dashboard, all rows",
            "reviews.dashboard",
            {"call_id": call_id, "all": 1},
            expected,
        ),
    ]


def _bench_proposal_count(context: BenchContext) -> int:
    from sqlalchemy import func

    from app.proposals.models import Proposal

    return db.session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.call_id == context.call_id)
    )


# --------------------------------------------------------------------------- exports


def measure_exports(context: BenchContext) -> list[Row]:
    budgets = {"csv": "< 1 s, constant queries", "xlsx": "< 3 s, constant queries"}
    budgets["json"] = "constant queries"
    exporters = _module("app.shortlists.exporters")
    if exporters is None:
        return [
            Row.unavailable(f"export of all reviews, {kind.upper()}", budget, "no exporters yet")
            for kind, budget in budgets.items()
        ]
    return [
        Row.unavailable(f"export of all reviews, {kind.upper()}", budget, "not wired yet")
        for kind, budget in budgets.items()
    ]


# --------------------------------------------------------------------------- one proposal


def measure_apply(context: BenchContext) -> list[Row]:
    return [
        Row.unavailable(
            "one new proposal over HTTP (register, fill, submit)",
            "< 0.3 s, < 40 queries",
            "not wired yet",
        )
    ]


# --------------------------------------------------------------------------- solvers


def measure_assignment(context: BenchContext) -> list[Row]:
    return [
        Row.unavailable(
            "automatic assignment, 2,000 x 3 over 200", "< 10 s, optimal", "not wired yet"
        )
    ]


def measure_shortlist(context: BenchContext) -> list[Row]:
    return [Row.unavailable("shortlist compilation, 2,000 proposals", "< 2 s", "not wired yet")]


# --------------------------------------------------------------------------- notifications


NOTIFICATION_MESSAGES = 5000
STALL_SECONDS = 30
NOTIFICATION_PREFIX = "bench-throughput:"
NOTIFICATION_HEADER = re.compile(rb"^X-Dialogue-Cafe-Notification:\s*(\d+)", re.MULTILINE)


class SmtpSink:
    """An aiosmtpd handler that only counts: which outbox row each message came from."""

    def __init__(self) -> None:
        self.arrivals: Counter[int] = Counter()
        self.unlabelled = 0
        self.last_arrival = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        match = NOTIFICATION_HEADER.search(envelope.content)
        if match:
            self.arrivals[int(match.group(1))] += 1
        else:
            self.unlabelled += 1
        self.last_arrival = time.perf_counter()
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        return sum(self.arrivals.values()) + self.unlabelled


def measure_notifications(context: BenchContext) -> list[Row]:
    measure = f"notifications: {NOTIFICATION_MESSAGES:,} via Celery + Redis to SMTP"
    budget = ">= 200/s, each exactly once"
    if _module("app.notifications.delivery") is None:
        return [Row.unavailable(measure, budget, "no outbox delivery yet")]
    try:
        import redis
        from aiosmtpd.controller import Controller
    except ImportError as error:
        return [Row.unavailable(measure, budget, f"{error.name} is not installed")]
    broker = redis.Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=2)
    try:
        broker.ping()
    except redis.RedisError as error:
        return [Row.unavailable(measure, budget, f"Redis at {BENCH_REDIS_URL}: {error}")]

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    keys_before = set(broker.keys("*"))
    _delete_bench_notifications()
    controller.start()
    worker = CeleryWorker(context.database_url, smtp_port=controller.port)
    try:
        worker.start(context.app)
        ids = _queue_messages(context)
        started = time.perf_counter()
        context.app.config["TASK_DISPATCH"] = "celery"
        try:
            db.session.commit()  # the outbox hands every message to the broker after commit
        finally:
            context.app.config["TASK_DISPATCH"] = "record"
        handed_over = time.perf_counter() - started
        # Wait for every message, or until nothing has arrived for a while (a stall).
        last_count, last_change = -1, time.monotonic()
        while sink.received < len(ids) and time.monotonic() - last_change < STALL_SECONDS:
            worker.check_alive()
            if sink.received != last_count:
                last_count, last_change = sink.received, time.monotonic()
            time.sleep(0.2)
        elapsed = sink.last_arrival - started
        time.sleep(2)  # a duplicate would arrive now
        sent = _sent_count(ids)
    finally:
        worker.stop(keep_log=context.output_dir / "celery-worker.log")
        controller.stop()
        _delete_bench_notifications()
        db.session.commit()
        _delete_new_keys(broker, keys_before)
    once = sent == len(ids) and sink.unlabelled == 0 and set(sink.arrivals) == set(ids)
    once = once and all(count == 1 for count in sink.arrivals.values())
    duplicates = sum(count - 1 for count in sink.arrivals.values() if count > 1)
    rate = sink.received / elapsed if elapsed > 0 else 0.0
    result = (
        f"{rate:.0f} messages/s ({sink.received:,} arrived in {elapsed:.1f} s, "
        f"{duplicates} duplicates, {len(ids) - sent} not marked sent)"
    )
    return [
        Row.judged(
            measure,
            result,
            budget,
            rate >= 200 and once,
            messages_per_second=rate,
            seconds=elapsed,
            handed_to_broker_seconds=handed_over,
            arrived=sink.received,
            distinct=len(sink.arrivals),
            duplicates=duplicates,
            marked_sent=sent,
            worker_concurrency=CeleryWorker.CONCURRENCY,
        )
    ]


def _queue_messages(context: BenchContext) -> list[int]:
    """5,000 'the call has closed' messages to the bench's cities, as closing a call sends."""
    from app.notifications.services import queue_notification

    call_url = context.server.base_url + _path(context, "calls.public_call", slug=BENCH_SLUG)
    owners = db.session.execute(
        select(User.id, User.email, User.name)
        .where(User.email.like(f"city-%@{BENCH_EMAIL_DOMAIN}"))
        .order_by(User.id)
    ).all()
    ids = []
    for number in range(NOTIFICATION_MESSAGES):
        owner = owners[number % len(owners)]
        ids.append(
            queue_notification(
                recipient_email=owner.email,
                recipient_id=owner.id,
                template="call_closed",
                dedup_key=f"{NOTIFICATION_PREFIX}{number}",
                call_id=context.call_id,
                context={
                    "call_title": "Dialogue Café — Call for Interest to Cities (benchmark)",
                    "recipient_name": owner.name,
                    "audience": "applicant",
                    "submitted_count": 2000,
                    "city_count": 106,
                    "proposals_url": call_url,
                    "call_url": call_url,
                },
            )
        )
    return ids


def _sent_count(ids: list[int]) -> int:
    from sqlalchemy import func

    from app.notifications.models import Notification, NotificationStatus

    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.dedup_key.like(f"{NOTIFICATION_PREFIX}%"),
            Notification.status == NotificationStatus.SENT,
        )
    )


def _delete_bench_notifications() -> None:
    from sqlalchemy import delete

    from app.notifications.models import Notification

    db.session.execute(
        delete(Notification).where(Notification.dedup_key.like(f"{NOTIFICATION_PREFIX}%"))
    )
    db.session.commit()


def _delete_new_keys(broker, keys_before: set[bytes]) -> None:
    """Remove the keys Celery made for this run (its queue, bindings, replies), nothing else."""
    ours = (CeleryWorker.QUEUE.encode(), b"_kombu.binding.", b"unacked", b"celery")
    new = [key for key in set(broker.keys("*")) - keys_before if key.startswith(ours)]
    new += [key for key in broker.keys("*.reply.celery.pidbox") if key not in keys_before]
    if new:
        broker.delete(*set(new))


# --------------------------------------------------------------------------- memory


def measure_memory(context: BenchContext) -> list[Row]:
    peaks = context.server.peak_memory_mib()
    if not peaks:
        return [Row("web worker peak memory", "could not read /proc", "< 150 MiB", "FAIL")]
    peak = max(peaks)
    return [
        Row.judged(
            "web worker peak memory (VmHWM)",
            f"{peak:.0f} MiB (workers: {', '.join(f'{p:.0f}' for p in peaks)})",
            "< 150 MiB",
            peak < 150,
            peaks_mib=peaks,
        )
    ]
