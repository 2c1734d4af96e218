"""The machinery of `python -m bench run`: servers, load generation, query counting, the table.

What is measured lives in bench/workloads.py and the run itself in bench/run.py; this module
knows neither. It starts and stops gunicorn and Celery, drives wrk (or a threaded Python
client when wrk is absent), times pages over HTTP, counts SQL statements in-process, and
formats the table.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import click
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from config import BASE_DIR, INSTANCE_DIR, DevelopmentConfig, celery_settings

log = logging.getLogger(__name__)

BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-use"  # noqa: S105
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
NOT_AVAILABLE = "not available yet"
WRK_CONNECTIONS = 8

# Statements that are transaction bookkeeping, not work a page asked for.
_BOOKKEEPING = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table: a figure, its budget and whether it was met."""

    measure: str
    result: str
    budget: str
    verdict: str  # PASS, FAIL, or NOT_AVAILABLE
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def unavailable(cls, measure: str, budget: str, why: str) -> Row:
        return cls(measure, NOT_AVAILABLE, budget, NOT_AVAILABLE, {"why": why})

    @classmethod
    def judged(cls, measure: str, result: str, budget: str, met: bool, **data: Any) -> Row:
        return cls(measure, result, budget, "PASS" if met else "FAIL", data)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def format_table(rows: list[Row]) -> str:
    headers = ("measure", "result (median)", "budget", "verdict")
    cells = [headers, *((r.measure, r.result, r.budget, r.verdict) for r in rows)]
    widths = [max(len(str(row[i])) for row in cells) for i in range(4)]
    lines = []
    for number, row in enumerate(cells):
        lines.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# --------------------------------------------------------------------------- machine


def machine_description(database_url: str, engine: Engine) -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_mib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mib = int(line.split()[1]) // 1024
    database = "SQLite " + sqlite3.sqlite_version
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            database = connection.scalar(text("SHOW server_version")) or "PostgreSQL"
            database = f"PostgreSQL {database.split()[0]}"
    wrk = shutil.which("wrk")
    return {
        "nproc": os.cpu_count(),
        "memory_mib": memory_mib,
        "cpu": cpu_model or platform.processor(),
        "python": platform.python_version(),
        "database": database,
        "database_url": redacted_url(database_url),
        "load_generator": "wrk" if wrk else "python threads",
        "platform": platform.platform(),
    }


def redacted_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


# --------------------------------------------------------------------------- database


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'bench.db'}"


def normalise_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def search_path_schema(url: str) -> str | None:
    """The schema named by `?options=-csearch_path=<schema>`, if any."""
    for option in parse_qs(urlsplit(url).query).get("options", []):
        match = re.search(r"-csearch_path=([A-Za-z_][A-Za-z0-9_]*)(?:\s|$)", option)
        if match:
            return match.group(1)
    return None


def ensure_schema(url: str) -> None:
    """Create the bench's own PostgreSQL schema if missing (never drops anything)."""
    schema = search_path_schema(url)
    if not url.startswith("postgresql") or schema is None:
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()


def make_bench_app(database_url: str) -> Flask:
    """The app the bench process uses in-process: the bench database, tasks recorded."""
    from app import create_app

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SECRET_KEY = BENCH_SECRET_KEY
        TASK_DISPATCH = "record"
        MAIL_BACKEND = "memory"
        CELERY = celery_settings(BENCH_REDIS_URL, task_default_queue=CeleryWorker.QUEUE)
        RATELIMIT_ENABLED = False

    app = create_app(BenchConfig)
    # create_app configures INFO logging for the web; the table is what we want to read.
    logging.getLogger().setLevel(logging.WARNING)
    return app


# --------------------------------------------------------------------------- query counting


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def counting_queries(engine: Engine) -> Iterator[QueryLog]:
    """Every SQL statement the engine runs inside the block (bookkeeping left out)."""
    counted = QueryLog()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BackgroundProcess:
    """A process the bench starts in its own session, logs to a file, and stops by its pid."""

    name = "process"

    def __init__(self, env: dict[str, str]):
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"bench-{self.name}-", suffix=".log", delete=False
        )

    def launch(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", *arguments],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise click.ClickException(f"the {self.name} exited:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log_file.flush()
        return Path(self.log_file.name).read_text(errors="replace")[-3000:]

    def stop(self, *, keep_log: Path | None = None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # a warm shutdown: finish, then exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        if keep_log is not None:
            keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log_file.name, keep_log)
        with contextlib.suppress(OSError):
            os.unlink(self.log_file.name)


class GunicornServer(BackgroundProcess):
    """gunicorn with 2 sync workers on a free local port."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str] | None = None):
        self.name = f"{name} server"
        self.app_spec = app_spec
        self.port = free_port()
        super().__init__({**(env or {}), "SERVER_NAME": f"127.0.0.1:{self.port}"})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/") -> None:
        self.launch(
            "gunicorn",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            self.app_spec,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(OSError):
                status, _, _ = http_get(self.base_url + ready_path, timeout=5)
                if status < 500 and len(self.worker_pids()) == 2:
                    return
            time.sleep(0.3)
        raise click.ClickException(f"the {self.name} did not answer:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []

    def peak_memory_mib(self) -> list[float]:
        """VmHWM (peak resident set) of each web worker, in MiB."""
        peaks = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return peaks


class CeleryWorker(BackgroundProcess):
    """A real Celery worker (prefork) on the bench's Redis database and its own queue."""

    name = "Celery worker"
    QUEUE = "dcc-bench"
    CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))

    def __init__(self, database_url: str, *, smtp_port: int):
        super().__init__(
            {
                **server_environment(database_url),
                "REDIS_URL": BENCH_REDIS_URL,
                "CELERY_QUEUE": self.QUEUE,
                "TASK_DISPATCH": "celery",
                "MAIL_BACKEND": "smtp",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(smtp_port),
                "MAIL_USE_TLS": "false",
                "MAIL_USE_SSL": "false",
                "MAIL_USERNAME": "",
            }
        )

    def start(self, app: Flask) -> None:
        self.launch(
            "celery",
            "--app",
            "workers",
            "worker",
            "--queues",
            self.QUEUE,
            "--concurrency",
            str(self.CONCURRENCY),
            "--pool",
            "prefork",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"bench-{os.getpid()}@%h",
        )
        celery_app = app.extensions["celery"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.check_alive()
            if celery_app.control.ping(timeout=1.0):
                return
        raise click.ClickException(f"the {self.name} did not answer:\n{self.log_tail()}")


# --------------------------------------------------------------------------- HTTP


def http_get(
    url: str, *, cookie: str | None = None, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    return http_request("GET", url, cookie=cookie, timeout=timeout)


def http_request(
    method: str,
    url: str,
    *,
    cookie: str | None = None,
    form: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path or "/", body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return response.status, dict(response.getheaders()), content
    finally:
        connection.close()


def session_cookie(headers: dict[str, str], name: str) -> str | None:
    """`name=value` from a response's Set-Cookie header, if it sets that cookie."""
    match = re.search(rf"(?:^|[,\s]){re.escape(name)}=([^;,\s]+)", headers.get("Set-Cookie", ""))
    return f"{name}={match.group(1)}" if match else None


@dataclass
class Timed:
    seconds: list[float]
    status: int
    body: bytes

    @property
    def median(self) -> float:
        return median(self.seconds)


def time_http(url: str, *, runs: int, cookie: str | None = None, warmup: int = 1) -> Timed:
    """Sequential GETs; the first `warmup` ones are not counted (templates, caches)."""
    seconds: list[float] = []
    status, body = 0, b""
    for number in range(warmup + runs):
        started = time.perf_counter()
        status, _headers, body = http_get(url, cookie=cookie)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise click.ClickException(f"GET {url} answered {status}")
        if number >= warmup:
            seconds.append(elapsed)
    return Timed(seconds, status, body)


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int


_WRK_SCRIPT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def run_load(url: str, *, seconds: int, connections: int = WRK_CONNECTIONS) -> Load:
    if shutil.which("wrk"):
        return _run_wrk(url, seconds=seconds, connections=connections)
    return _run_python_load(url, seconds=seconds, connections=connections)


def _run_wrk(url: str, *, seconds: int, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        output = subprocess.run(
            [
                "wrk",
                "--threads",
                "2",
                "--connections",
                str(connections),
                "--duration",
                f"{seconds}s",
                "--timeout",
                "10s",
                "--script",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"^BENCH (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)$", output, re.MULTILINE)
    if not match:
        raise click.ClickException(f"could not read wrk's output:\n{output}")
    requests, duration_us, p50_us, p95_us, errors = match.groups()
    return Load(
        requests_per_second=int(requests) / (int(duration_us) / 1e6),
        p50_ms=float(p50_us) / 1000,
        p95_ms=float(p95_us) / 1000,
        requests=int(requests),
        errors=int(errors),
    )


def _run_python_load(url: str, *, seconds: int, connections: int) -> Load:
    """A fallback for machines without wrk: keep-alive connections, one thread each."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine: list[float] = []
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", path or "/")
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Load(
        requests_per_second=len(latencies) / elapsed,
        p50_ms=percentile(0.50) if latencies else float("nan"),
        p95_ms=percentile(0.95) if latencies else float("nan"),
        requests=len(latencies),
        errors=errors[0],
    )


# --------------------------------------------------------------------------- the run


@dataclass
class BenchContext:
    """What every measure may use."""

    app: Flask
    database_url: str
    runs: int
    duration: int
    call_id: int
    server: GunicornServer | None = None
    hello: GunicornServer | None = None
    admin_cookie: str = ""
    output_dir: Path = BASE_DIR / "bench-results"
    notes: list[str] = field(default_factory=list)
    # The web workers' peak memory (MiB) after each step, to see which one raised it.
    memory_trace: dict[str, list[float]] = field(default_factory=dict)

    def server_env(self) -> dict[str, str]:
        return server_environment(self.database_url)


def server_environment(database_url: str) -> dict[str, str]:
    return {
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "TASK_DISPATCH": "record",
        "MAIL_BACKEND": "memory",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
