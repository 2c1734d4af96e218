"""What the fault tests run for real: a local SMTP server, their own Redis, Celery workers.

Everything here is started by the test and stopped by it, by process id. The machine's
shared Redis and PostgreSQL are never stopped, reconfigured or flushed.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(ROOT / ".venv" / "bin" / "celery")
HEADER = "X-Dialogue-Cafe-Notification"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


class SMTPSink:
    """An aiosmtpd server that keeps what it accepts, and refuses on demand (451 or 550).

    `while_receiving(message)`, if set, runs once the server has a message and before it
    replies that it accepts it.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.while_receiving: Callable[[email.message.EmailMessage], None] | None = None
        self.refusals = 0
        self._refuse_next = 0
        self._refuse_always: int | None = None
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def refuse_next(self, count: int) -> None:
        with self._lock:
            self._refuse_next = count

    def refuse_always(self, code: int | None = 451) -> None:
        with self._lock:
            self._refuse_always = code

    def accept(self) -> None:
        with self._lock:
            self._refuse_next, self._refuse_always = 0, None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            if self._refuse_always is not None or self._refuse_next:
                code = self._refuse_always or 451
                self._refuse_next = max(0, self._refuse_next - 1)
                self.refusals += 1
                return f"{code} 4.3.2 not now" if code < 500 else f"{code} 5.1.1 refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self.while_receiving:
            self.while_receiving(message)
        with self._lock:
            self.messages.append(message)
        return "250 2.0.0 accepted"

    def ids(self) -> Counter:
        with self._lock:
            return Counter(int(message[HEADER]) for message in self.messages)

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived."""
        with self._lock:
            return Counter(str(message["Message-ID"]) for message in self.messages)

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


class RedisServer:
    """A redis-server of our own on a free port, which the test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        if not wait_until(lambda: self._answers(client), timeout=10):
            raise RuntimeError(f"redis-server on port {self.port} did not start")
        return self

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Worker:
    """`celery -A workers worker` in its own process group, with the given environment."""

    def __init__(self, environment: dict[str, str], log_path: Path, concurrency: int = 2):
        self.environment = environment
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self._log_offset = 0

    def start(self, *, timeout: float = 60) -> Worker:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "workers",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "prefork",
                "--concurrency",
                str(self.concurrency),
                "--hostname",
                f"it-{os.getpid()}-{secrets.token_hex(3)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we can stop it and its children
        )
        log.close()
        if not wait_until(self._ready, timeout=timeout, every=0.3):
            self.stop()
            raise RuntimeError(f"the Celery worker did not start:\n{self.log()[-3000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[self._log_offset :]

    def _ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{self.log()[-3000:]}")
        return " ready." in self.log()

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes: no chance to finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """A warm shutdown; then whatever is left of its process group is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
