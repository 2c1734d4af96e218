"""Mail transports: SMTP (one connection per batch), console, or memory (tests).

A transport's `send` returns once the server has accepted the message and raises
`smtplib.SMTPException` or `OSError` otherwise; the outbox marks the message sent only
after it returns (see app/outbox/delivery.py).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any, Protocol

from flask import current_app


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over; return once it is accepted, raise if it is not."""
        ...


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body else ""


class ConsoleMailer:
    """Prints each message; the outbox table keeps it too (development)."""

    def send(self, message: EmailMessage) -> None:
        print(
            f"\n----- email to {message['To']} -----\nSubject: {message['Subject']}\n\n"
            f"{plain_text(message)}----- end of email -----\n",
            flush=True,
        )


class MemoryMailer:
    """Keeps messages in a list (tests)."""

    def __init__(self, sent: list[EmailMessage]):
        self.sent = sent

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


class SMTPMailer:
    """One SMTP connection, reused for every message of a batch."""

    def __init__(self, connection: smtplib.SMTP):
        self.connection = connection

    def send(self, message: EmailMessage) -> None:
        try:
            self.connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            raise  # a refusal: smtplib has reset the conversation (or closed it on a 421)
        except OSError:
            # Broken or timed out half-way: the next message starts on a new connection.
            self.connection.close()
            raise

    @property
    def usable(self) -> bool:
        return self.connection.sock is not None

    def close(self) -> None:
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()


def connect_smtp(config: Mapping[str, Any]) -> smtplib.SMTP:
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


class MailerPool:
    """The mailer of one batch, opened on first use and reopened after a broken connection."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.backend = config["MAIL_BACKEND"]
        self._smtp: SMTPMailer | None = None

    def get(self) -> Mailer:
        if self.backend == "console":
            return ConsoleMailer()
        if self.backend == "memory":
            return MemoryMailer(current_app.extensions.setdefault("mail_sent", []))
        if self.backend != "smtp":
            raise ValueError(f"unknown MAIL_BACKEND {self.backend!r}")
        if self._smtp is None or not self._smtp.usable:
            self._smtp = SMTPMailer(connect_smtp(self.config))
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None and self._smtp.usable:
            self._smtp.close()
        self._smtp = None


@contextmanager
def open_mailer() -> Iterator[MailerPool]:
    """Mailers for one batch: SMTP reuses one connection and closes it at the end."""
    pool = MailerPool(current_app.config)
    try:
        yield pool
    finally:
        pool.close()
