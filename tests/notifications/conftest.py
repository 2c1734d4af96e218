"""Fixtures of the notifications tests: compiled French, and a mailer that can refuse."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from flask_babel import get_domain

from app.core.translations import compile_translations
from app.outbox import mail


@pytest.fixture
def french(app):
    """The French catalogue compiled (as `flask translations compile` does) and reloaded."""
    compile_translations()
    get_domain().cache.clear()
    yield
    get_domain().cache.clear()


class FlakyMailer:
    """Refuses the next `failures` messages with `error`, then accepts (kept in `sent`).

    `while_sending` runs while the server has the message, before it accepts it.
    """

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failures = 0
        self.error: BaseException = smtplib.SMTPRecipientsRefused(
            {"x@example.org": (451, b"4.3.0 try again later")}
        )
        self.connect_error: BaseException | None = None
        self.while_sending = None

    def send(self, message: EmailMessage) -> None:
        if self.while_sending:
            self.while_sending()
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.append(message)


@pytest.fixture
def flaky_mailer(monkeypatch) -> FlakyMailer:
    mailer = FlakyMailer()

    def get(pool):
        if mailer.connect_error:
            raise mailer.connect_error
        return mailer

    monkeypatch.setattr(mail.MailerPool, "get", get)
    return mailer
