"""The SMTP transport against a real local SMTP server: held until confirmed, reused."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from app.notifications.mail import MailerPool, SMTPMailer, connect_smtp
from tests.integration.harness import SMTPSink, wait_until


@pytest.fixture
def sink():
    server = SMTPSink()

    connections = []

    async def handle_EHLO(smtp_server, session, envelope, hostname, responses):
        connections.append(hostname)
        session.host_name = hostname
        return responses

    server.handle_EHLO = handle_EHLO
    server.connections = connections
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_config(app_context, sink):
    config = dict(app_context.config)
    config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    return config


def _message(number: int, to: str = "city@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Dialogue Café Call <no-reply@call.test>"
    message["To"] = to
    message["Subject"] = f"Message {number}"
    message["X-Dialogue-Cafe-Notification"] = str(number)
    message.set_content(".a line starting with a dot\nand another\n")
    return message


def test_a_confirmed_message_is_delivered_intact(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))
    assert mailer.send(_message(1), confirm=lambda: True, commit=lambda: None) is True
    mailer.close()
    (received,) = sink.messages
    assert received["Subject"] == "Message 1"
    assert received.get_content().startswith(".a line starting with a dot")


def test_a_message_whose_claim_is_gone_never_reaches_the_server(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))
    assert mailer.send(_message(1), confirm=lambda: False, commit=lambda: None) is False
    assert not mailer.usable  # the connection is dropped before the final "."
    assert not wait_until(lambda: sink.count() > 0, timeout=1)


def test_a_confirm_that_raises_leaves_nothing_delivered(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))

    def database_down():
        raise RuntimeError("commit failed")

    with pytest.raises(RuntimeError):
        mailer.send(_message(1), confirm=database_down, commit=lambda: None)
    assert not wait_until(lambda: sink.count() > 0, timeout=1)


def test_a_refused_recipient_raises_and_the_connection_stays_usable(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))
    sink.refuse_next(1)
    confirmed = []
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mailer.send(_message(1), confirm=lambda: confirmed.append(1) or True, commit=lambda: None)
    assert confirmed == []  # never confirmed: the outbox records a failed attempt instead
    assert mailer.usable
    assert mailer.send(_message(2), confirm=lambda: True, commit=lambda: None)
    mailer.close()
    assert sink.ids() == {2: 1}


def test_a_batch_reuses_one_connection_and_reopens_a_broken_one(mail_config, sink):
    pool = MailerPool(mail_config)
    for number in range(5):
        assert pool.get().send(_message(number), confirm=lambda: True, commit=lambda: None)
    assert len(sink.connections) == 1
    pool.get().connection.close()  # the server hung up between two messages
    assert pool.get().send(_message(9), confirm=lambda: True, commit=lambda: None)
    pool.close()
    assert len(sink.connections) == 2
    assert sink.count() == 6
