"""Fixtures of the integration tests: their own database, a local SMTP server, Celery workers.

Worker processes cannot see a test's rolled-back transaction, so these tests do not use
the suite's per-test transaction: they get a PostgreSQL schema of their own (or a
temporary SQLite file when PostgreSQL is not reachable), which they drop at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import celery
import pytest
from flask import Flask
from sqlalchemy import create_engine, text, update

from app import create_app
from app.db import utcnow
from app.extensions import db
from app.outbox.models import Notification, NotificationStatus
from config import BaseConfig, celery_settings
from tests.client import BrowserLikeClient
from tests.conftest import SERVICES
from tests.integration.harness import SMTPSink, Worker
from tests.services import with_search_path

# Short delays, so that retries, leases and re-dispatch happen within seconds.
TIMINGS = {
    "MAIL_MAX_ATTEMPTS": 3,
    "MAIL_RETRY_BASE_SECONDS": 1,
    "MAIL_RETRY_MAX_SECONDS": 2,
    "NOTIFICATION_REDISPATCH_SECONDS": 1,
    # Longer than one SMTP conversation (MAIL_TIMEOUT), as in production: a lease that ran
    # out while the server had the message would let a second worker send it too.
    "NOTIFICATION_CLAIM_SECONDS": 8,
    "JOB_REDISPATCH_SECONDS": 2,
    "MAIL_TIMEOUT": 5,
}
SECRET_KEY = "integration-tests-only-" + "x" * 20
# The machine's Redis is shared: these tests use their own database number on it.
MACHINE_REDIS_DB = 14


@pytest.fixture(autouse=True)
def _isolated_database():
    """Replaces the suite's rolled-back transaction: workers must see committed data."""
    yield


@pytest.fixture(scope="module")
def integration_database(tmp_path_factory) -> Iterator[str]:
    if not SERVICES.postgres:
        path = tmp_path_factory.mktemp("integration-db") / "integration.db"
        yield f"sqlite:///{path}"
        return
    schema = f"dcc_it_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(SERVICES.database_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield with_search_path(SERVICES.database_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink().start()
    yield sink
    sink.stop()


def machine_redis_url() -> str:
    parts = urlsplit(SERVICES.redis_url or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{MACHINE_REDIS_DB}"))


@dataclass
class Stack:
    """The app as the web process sees it, plus what a worker needs to join it."""

    app: Flask
    database_url: str
    broker_url: str
    queue: str
    smtp: SMTPSink
    folder: Path
    workers: list[Worker] = field(default_factory=list)

    def worker_environment(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV")
        environment = {key: value for key, value in os.environ.items() if key in keep}
        environment.update(
            APP_ENV="production",
            SECRET_KEY=SECRET_KEY,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.broker_url,
            CELERY_QUEUE=self.queue,
            SERVER_NAME="call.test",
            PREFERRED_URL_SCHEME="http",
            MAIL_BACKEND="smtp",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(self.smtp.port),
            INSTANCE_PATH=str(self.folder / "instance"),
            PYTHONUNBUFFERED="1",
            **{name: str(value) for name, value in TIMINGS.items()},
        )
        return environment

    def start_worker(self) -> Worker:
        worker = Worker(self.worker_environment(), self.folder / "worker.log").start()
        self.workers.append(worker)
        return worker

    def beat(self, task: str = "notifications.dispatch_pending") -> None:
        """What `celery beat` does on its schedule: send a periodic task to the workers."""
        self.app.extensions["celery"].send_task(task)

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


def make_stack(*, database_url: str, broker_url: str, smtp: SMTPSink, folder: Path) -> Stack:
    queue = f"dcc-it-{os.getpid()}-{secrets.token_hex(3)}"

    class IntegrationConfig(BaseConfig):
        TESTING = True
        SECRET_KEY = SECRET_KEY
        SQLALCHEMY_DATABASE_URI = database_url
        SERVER_NAME = "call.test"
        REDIS_URL = broker_url
        TASK_DISPATCH = "celery"
        CELERY = celery_settings(broker_url, task_default_queue=queue)
        MAIL_BACKEND = "smtp"
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = smtp.port
        RATELIMIT_ENABLED = False
        ARGON2_TIME_COST = 1
        ARGON2_MEMORY_COST = 1024
        ARGON2_PARALLELISM = 1
        UPLOAD_FOLDER = str(folder / "uploads")
        EXPORT_FOLDER = str(folder / "exports")

    for name, value in TIMINGS.items():
        setattr(IntegrationConfig, name, value)
    # Creating an app makes its Celery app the current one; the rest of the suite keeps its own.
    previous = celery.current_app._get_current_object()
    app = create_app(IntegrationConfig)
    app.test_client_class = BrowserLikeClient
    previous.set_current()
    previous.set_default()
    with app.app_context():
        db.create_all()
    return Stack(app, database_url, broker_url, queue, smtp, folder)


@pytest.fixture
def quiet_outbox(smtp_sink):
    """Each test starts with no pending message of an earlier one, and an empty sink."""

    def reset(stack: Stack) -> None:
        with stack.app.app_context():
            db.session.execute(
                update(Notification)
                .where(Notification.status == NotificationStatus.PENDING)
                .values(status=NotificationStatus.CANCELLED, next_attempt_at=utcnow())
            )
            db.session.commit()
        smtp_sink.accept()
        smtp_sink.messages.clear()
        smtp_sink.while_receiving = None

    return reset
