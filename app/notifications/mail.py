"""Mail transports: SMTP (one connection per batch), console, or memory (tests).

Every transport takes two callbacks from the outbox. `confirm()` marks the message sent
in the still open transaction, and says False when the worker's claim is gone; SMTP calls
it once the server holds the whole message but before the final "." that makes the server
accept it, and closes the connection (the server discards the message) when it says no.
`commit()` is called the instant the "." has left, and sends the COMMIT without waiting.
A worker that dies before the "." leaves nothing delivered and nothing recorded; one that
dies after it leaves both. See app/notifications/delivery.py.
"""

from __future__ import annotations

import io
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol

from flask import current_app

log = logging.getLogger(__name__)

Confirm = Callable[[], bool]
Commit = Callable[[], None]
_LEADING_DOT = re.compile(rb"(?m)^\.")


class DeliveryUncertain(Exception):
    """The connection broke after the end of the message: the server most likely has it."""


class Mailer(Protocol):
    def send(self, message: EmailMessage, *, confirm: Confirm, commit: Commit) -> bool:
        """Transmit the message; False when `confirm` said no (nothing was delivered)."""
        ...


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body else ""


class ConsoleMailer:
    """Prints each message; the outbox table keeps it too (development)."""

    def send(self, message: EmailMessage, *, confirm: Confirm, commit: Commit) -> bool:
        if not confirm():
            return False
        commit()
        print(
            f"\n----- email to {message['To']} -----\nSubject: {message['Subject']}\n\n"
            f"{plain_text(message)}----- end of email -----\n",
            flush=True,
        )
        return True


class MemoryMailer:
    """Keeps messages in a list (tests)."""

    def __init__(self, sent: list[EmailMessage]):
        self.sent = sent

    def send(self, message: EmailMessage, *, confirm: Confirm, commit: Commit) -> bool:
        if not confirm():
            return False
        self.sent.append(message)
        commit()
        return True


def _as_bytes(message: EmailMessage) -> bytes:
    with io.BytesIO() as buffer:
        BytesGenerator(buffer).flatten(message, linesep="\r\n")
        return buffer.getvalue()


class SMTPMailer:
    """One SMTP connection, reused for every message of a batch."""

    def __init__(self, connection: smtplib.SMTP):
        self.connection = connection

    def send(self, message: EmailMessage, *, confirm: Confirm, commit: Commit) -> bool:
        smtp = self.connection
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        data = _as_bytes(message)
        smtp.ehlo_or_helo_if_needed()
        options = [f"SIZE={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, reply = smtp.mail(sender, options)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if refused:
            self._reset(next(iter(refused.values()))[0])
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)
        body = _LEADING_DOT.sub(b"..", data)
        smtp.send(body if body.endswith(b"\r\n") else body + b"\r\n")
        # The server holds the message but has not accepted it: closing now discards it.
        try:
            confirmed = confirm()
        except BaseException:
            smtp.close()
            raise
        if not confirmed:
            smtp.close()
            return False
        # SMTPServerDisconnected here: the "." never left, the server discards the message.
        smtp.send(b".\r\n")
        commit()
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise DeliveryUncertain(str(error)) from error
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return True

    def _reset(self, code: int) -> None:
        if code == 421:  # the server is closing the connection
            self.connection.close()
            return
        try:
            self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self.connection.close()

    @property
    def usable(self) -> bool:
        return self.connection.sock is not None

    def close(self) -> None:
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()


def connect_smtp(config) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config["MAIL_USE_TLS"]:
            connection.starttls(context=ssl.create_default_context())
    # The final "." goes out on its own after the body; with Nagle's algorithm it waits for
    # the server's delayed ACK (~40 ms a message). Sent at once, a batch runs 2-3x faster.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if config["MAIL_USERNAME"]:
        connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return connection


class MailerPool:
    """The mailer of one batch, opened on first use and reopened after a broken connection."""

    def __init__(self, config):
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
