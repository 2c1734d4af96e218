"""The SMTP transport against a real local SMTP server: accepted, refused, broken, reused."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import pytest

from app.outbox.mail import MailerPool, SMTPMailer, connect_smtp
from tests.integration.harness import SMTPSink


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


def test_a_message_is_delivered_intact(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))
    mailer.send(_message(1))
    mailer.close()
    (received,) = sink.messages
    assert received["Subject"] == "Message 1"
    assert received.get_content().startswith(".a line starting with a dot")


def test_a_refused_recipient_raises_and_the_connection_stays_usable(mail_config, sink):
    mailer = SMTPMailer(connect_smtp(mail_config))
    sink.refuse_next(1)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mailer.send(_message(1))
    assert mailer.usable
    mailer.send(_message(2))
    mailer.close()
    assert sink.ids() == {2: 1}


def test_a_reply_that_never_comes_drops_the_connection(mail_config, sink):
    # Whether the server goes on to accept it the client cannot know: the outbox tries
    # again (a possible repeat, with the same Message-ID, rather than a possible loss).
    async def slow_data(server, session, envelope):
        await asyncio.sleep(1.0)
        return await SMTPSink.handle_DATA(sink, server, session, envelope)

    sink.handle_DATA = slow_data
    mailer = SMTPMailer(connect_smtp({**mail_config, "MAIL_TIMEOUT": 0.3}))
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        mailer.send(_message(1))
    assert not mailer.usable  # the next message opens a new connection


def test_a_batch_reuses_one_connection_and_reopens_a_broken_one(mail_config, sink):
    pool = MailerPool(mail_config)
    for number in range(5):
        pool.get().send(_message(number))
    assert len(sink.connections) == 1
    pool.get().connection.close()  # the server hung up between two messages
    pool.get().send(_message(9))
    pool.close()
    assert len(sink.connections) == 2
    assert sink.count() == 6
