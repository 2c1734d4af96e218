"""The app as real servers for the tests that drive it from outside, as people and
deployments run it:
- `embedded`: what `make run` serves (an SQLite file, tasks in-process, mail to the console
  and the outbox), one threaded werkzeug server;
- `services`: PostgreSQL (a schema of our own), Redis (a database number and a queue of our
  own), gunicorn with two processes and a real Celery worker.
Both are set up with `flask db upgrade`, as a deployment is, then seeded by a module of the
tests that answers `python -m MODULE seed` and `python -m MODULE serve PORT`.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SERVICES
from tests.integration.harness import free_port
from tests.services import with_search_path

REPOSITORY = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Server:
    url: str
    database_url: str
    log: Path
    stack: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def rows(self, query: str, **parameters) -> list[tuple]:
        """What the database holds (the tests read emails from the outbox this way)."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(query), parameters)]
        finally:
            engine.dispose()

    def context_of(self, template: str, recipient: str) -> dict:
        """The context of the last message of this kind to this person: their email."""
        found = self.rows(
            "SELECT context FROM notifications WHERE template = :template "
            "AND recipient_email = :recipient ORDER BY id DESC",
            template=template,
            recipient=recipient,
        )
        assert found, f"no {template} message to {recipient}"
        context = found[0][0]
        return context if isinstance(context, dict) else json.loads(context)

    def region_of(self, email: str) -> str:
        [(region,)] = self.rows(
            "SELECT region FROM proposals JOIN users ON users.id = proposals.owner_id "
            "WHERE users.email = :email",
            email=email,
        )
        return region


def _wait_until_healthy(url: str, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            # Our own server on 127.0.0.1, over http.
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            pytest.fail("the app did not start:\n" + log.read_text())
        time.sleep(0.3)


def _run(command: list[str], environment: dict, log: Path) -> None:
    with open(log, "a") as output:
        finished = subprocess.run(
            command, cwd=REPOSITORY, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    if finished.returncode:
        pytest.fail(f"{' '.join(command)} failed:\n" + log.read_text())


def _start(command: list[str], environment: dict, log: Path) -> subprocess.Popen:
    output = open(log, "a")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen(
        command, cwd=REPOSITORY, env=environment, stdout=output, stderr=subprocess.STDOUT
    )
    process.log_file = output  # type: ignore[attr-defined]
    return process


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.log_file.close()  # type: ignore[attr-defined]


def _base_environment(folder: Path, port: int) -> dict:
    return {
        **os.environ,
        "APP_ENV": "development",
        "FLASK_APP": "app",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "EXPORT_FOLDER": str(folder / "exports"),
        "INSTANCE_PATH": str(folder / "instance"),
        "SERVER_NAME": f"127.0.0.1:{port}",
        "SECRET_KEY": "browser-test-secret-" + secrets.token_hex(8),
        "MAIL_BACKEND": "console",
        "PYTHONUNBUFFERED": "1",
    }


def embedded(folder: Path, module: str = "tests.e2e.server") -> Iterator[Server]:
    port = free_port()
    database = folder / "call.sqlite"
    log = folder / "server.log"
    environment = {
        **_base_environment(folder, port),
        "DATABASE_URL": f"sqlite:///{database}",
        "TASK_DISPATCH": "in_process",
        "REDIS_URL": "",
    }
    _run([str(BIN / "flask"), "db", "upgrade"], environment, log)
    _run([sys.executable, "-m", module, "seed"], environment, log)
    server = _start([sys.executable, "-m", module, "serve", str(port)], environment, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, [server], log)
        yield Server(url, f"sqlite:///{database}", log, "embedded", [server])
    finally:
        _stop([server])


def services(folder: Path, module: str = "tests.e2e.server") -> Iterator[Server]:
    if not (SERVICES.postgres and SERVICES.redis_url):
        if SERVICES.on_ci:
            pytest.fail("CI=true: the services stack needs PostgreSQL and Redis")
        pytest.skip("service missing: the services stack needs PostgreSQL and Redis")
    port = free_port()
    schema = f"dcc_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(SERVICES.database_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    database_url = with_search_path(SERVICES.database_url, schema)
    queue = f"dcc-e2e-{os.getpid()}-{secrets.token_hex(3)}"
    log = folder / "server.log"
    environment = {
        **_base_environment(folder, port),
        "DATABASE_URL": database_url,
        "REDIS_URL": SERVICES.redis_url,
        "RATELIMIT_STORAGE_URI": SERVICES.redis_url,
        "TASK_DISPATCH": "celery",
        "CELERY_QUEUE": queue,
    }
    _run([str(BIN / "flask"), "db", "upgrade"], environment, log)
    _run([sys.executable, "-m", module, "seed"], environment, log)
    web = _start(
        [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        environment,
        log,
    )
    worker = _start(
        [
            str(BIN / "celery"),
            "-A",
            "workers",
            "worker",
            "--concurrency",
            "2",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        environment,
        log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, [web, worker], log)
        yield Server(url, database_url, log, "services", [web, worker])
    finally:
        _stop([web, worker])
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
