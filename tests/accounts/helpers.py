"""Helpers for the accounts tests: the outbox as the user would receive it, logging in."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from app.accounts import services
from app.extensions import db
from app.outbox.models import Notification
from tests.factories import PASSWORD, make_admin


def notifications(template: str | None = None, *, to: str | None = None) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    if template:
        query = query.where(Notification.template == template)
    if to:
        query = query.where(Notification.recipient_email == to)
    return list(db.session.scalars(query))


def last_link(template: str, *, to: str | None = None, key: str = "link") -> str:
    sent = notifications(template, to=to)
    assert sent, f"no {template} notification was queued"
    return sent[-1].context[key]


def path_of(link: str) -> str:
    assert link.startswith("http://call.test/"), link
    return urlsplit(link).path


def log_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def is_logged_in(client) -> bool:
    """Settings need a session: 200 when logged in, a redirect to log in otherwise."""
    return client.get("/settings").status_code == 200


def register(**overrides):
    """A city registers through the service (Ana, Lisbon, unless told otherwise)."""
    values = {
        "name": "Ana Lisboa",
        "email": "ana@lisboa.example",
        "password": "sufficiently long",
        "locale": "fr",
        "timezone": "Europe/Lisbon",
    }
    values.update(overrides)
    return services.register_applicant(**values)


def log_in_as_administrator(client, **fields):
    """An administrator (boss@example.org) logged in on this client."""
    admin = make_admin(email="boss@example.org", **fields)
    db.session.commit()
    log_in(client, admin.email)
    if admin.two_factor_enabled:
        from tests.accounts.two_factor_helpers import answer_challenge

        answer_challenge(client)  # the code from their authenticator, after the password
    return admin
