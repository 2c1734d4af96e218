"""Two workers delivering the outbox of a SQLite database (`make run`, `make bench`).

In WAL mode, a transaction that has read and then writes fails at once with "database is
locked" when another connection committed in between (its snapshot is stale; no busy
timeout helps). Delivery reads the message, renders it, sends it and only then marks it
sent; before it ended the reading transaction first, this happened to about one message
in seven with two workers (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, update

from app import create_app
from app.extensions import db
from app.outbox import delivery
from app.outbox.models import Notification, NotificationStatus
from app.outbox.services import record_notification
from config import TestingConfig


@pytest.fixture
def sqlite_app(tmp_path) -> Iterator[Flask]:
    """An app on its own SQLite file, with a plain session (not the test's bound one)."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'outbox.db'}"
        MAIL_BACKEND = "memory"

    sqlite_app = create_app(Config)
    bound_session = db.session
    db.session = db._make_scoped_session({})
    try:
        with sqlite_app.app_context():
            db.create_all()
            yield sqlite_app
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = bound_session


class OtherWorkerCommitsFirst:
    """A mailer during whose conversation another worker commits (as happens all the time)."""

    def __init__(self, url: str, other_id: int):
        self.engine = create_engine(url)
        self.other_id = other_id
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(Notification)
                .where(Notification.id == self.other_id)
                .values(attempts=Notification.attempts + 1)
            )
        self.sent.append(message)


class OneMailer:
    def __init__(self, mailer):
        self.mailer = mailer

    def get(self):
        return self.mailer

    def close(self) -> None:
        pass


def test_a_message_is_marked_sent_although_another_worker_committed_meanwhile(sqlite_app):
    ids = [
        record_notification(
            recipient_email=f"city{number}@example.org",
            template="verify_email",
            dedup_key=f"sqlite-interleaving:{number}",
            context={"name": "Ana", "link": "https://call.test/verify", "valid_seconds": 3600},
        )
        for number in (1, 2)
    ]
    db.session.commit()
    mailer = OtherWorkerCommitsFirst(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], ids[1])
    notification, timezone = delivery.claim_for_delivery(ids[0])
    db.session.commit()

    outcome = delivery.deliver_claimed(notification, timezone=timezone, mailers=OneMailer(mailer))

    assert outcome is delivery.Outcome.SENT
    assert len(mailer.sent) == 1
    db.session.remove()
    status = db.session.scalar(select(Notification.status).where(Notification.id == ids[0]))
    assert status == NotificationStatus.SENT
    mailer.engine.dispose()
