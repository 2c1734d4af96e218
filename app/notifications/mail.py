"""Mail transports: SMTP (connection reused for a batch), console, or memory (tests)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Protocol

from flask import current_app

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleMailer:
    """Prints each message; the outbox table keeps it too."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        print(
            f"\n----- email to {message['To']} -----\nSubject: {message['Subject']}\n\n{text}"
            "----- end of email -----\n",
            flush=True,
        )


class MemoryMailer:
    def __init__(self, sent: list[EmailMessage]):
        self.sent = sent

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


class SMTPMailer:
    def __init__(self, connection: smtplib.SMTP):
        self.connection = connection

    def send(self, message: EmailMessage) -> None:
        self.connection.send_message(message)


def _connect_smtp(config) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            connection.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return connection


@contextmanager
def open_mailer() -> Iterator[Mailer]:
    """A mailer for one batch: SMTP opens one connection and closes it at the end."""
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "console":
        yield ConsoleMailer()
    elif backend == "memory":
        yield MemoryMailer(current_app.extensions.setdefault("mail_sent", []))
    elif backend == "smtp":
        connection = _connect_smtp(config)
        try:
            yield SMTPMailer(connection)
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
    else:
        raise ValueError(f"unknown MAIL_BACKEND {backend!r}")
