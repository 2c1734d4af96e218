"""The login throttle: per address and per (account, address), a slow-down per account that
never locks the owner out, the owner told by email, the client address behind proxies."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from app import create_app
from app.accounts import services
from app.accounts.services import LoginStatus
from app.audit.models import AuditEntry
from app.db import utcnow
from app.extensions import db
from app.outbox.rendering import render_notification
from config import TestingConfig
from tests.accounts.helpers import is_logged_in, last_link, notifications, path_of
from tests.client import BrowserLikeClient
from tests.factories import PASSWORD, make_user

OWNER = "mayor@turin.example"
NEW_PASSWORD = "a brand new passphrase"
WRONG_PASSWORD = "wrong guess"


@pytest.fixture
def clock():
    """Time stands still unless the test moves it (the limiter's storage reads it too)."""
    with time_machine.travel(utcnow(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(app_context):
    user = make_user(email=OWNER, name="Mayor of Turin")
    db.session.commit()
    return user


@pytest.fixture
def slow_down_after_three(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_SLOWDOWN_AFTER", "3 per 15 minutes")


def attempt(client, address: str, password: str = WRONG_PASSWORD, email: str = OWNER, **extra):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **extra,
    )


def guess_from_many_addresses(client, count: int, email: str = OWNER) -> None:
    """A botnet: each wrong password from another address, the email typed differently."""
    for number in range(count):
        typed = email.upper() if number % 2 else f"  {email}"
        assert attempt(client, f"203.0.113.{number}", email=typed).status_code == 422


def fail_after_the_wait(client, clock, address: str, email: str = OWNER) -> None:
    """One more wrong password once the account is slowed: asked to wait, waits, fails."""
    waiting = attempt(client, address, email=email)
    assert waiting.status_code == 429
    clock.shift(int(waiting.headers["Retry-After"]))
    assert attempt(client, address, email=email).status_code == 422


# --- per account: slowed down, never locked out ----------------------------------------------


def test_failures_from_elsewhere_make_the_owner_wait_seconds_then_log_in(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)

    waiting = attempt(client, "198.51.100.7", password=PASSWORD)

    assert waiting.status_code == 429
    assert waiting.headers["Retry-After"] == "2"
    assert "Please wait 2 seconds, then log in again." in waiting.get_data(as_text=True)
    assert not is_logged_in(client)

    clock.shift(2)
    assert attempt(client, "198.51.100.7", password=PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_trying_again_too_early_is_told_the_rest_of_the_wait(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)
    fail_after_the_wait(client, clock, "203.0.113.50")
    assert attempt(client, "198.51.100.7").headers["Retry-After"] == "4"

    clock.shift(1)
    early = attempt(client, "198.51.100.7", password=PASSWORD)

    assert early.status_code == 429 and early.headers["Retry-After"] == "3"


def test_an_address_that_failed_before_is_told_its_wait_not_the_limits_window(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)

    again = attempt(client, "203.0.113.0")  # counted once by the limit per (account, address)

    assert again.status_code == 429 and again.headers["Retry-After"] == "2"


def test_each_failure_doubles_the_wait_up_to_the_cap(app, owner, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_SLOWDOWN_AFTER", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_SLOWDOWN_MAX_SECONDS", 10)
    for _ in range(2):
        services.log_in(email=OWNER, password=WRONG_PASSWORD, address="203.0.113.1")

    waits = []
    for _ in range(5):
        outcome = services.log_in(email=OWNER, password=WRONG_PASSWORD, address="203.0.113.1")
        assert outcome.status is LoginStatus.WAIT
        waits.append(outcome.retry_after)
        clock.shift(outcome.retry_after)
        assert services.log_in(
            email=OWNER, password=WRONG_PASSWORD, address="203.0.113.1"
        ).status is (LoginStatus.INVALID)

    assert waits == [2, 4, 8, 10, 10]


def test_each_address_waits_on_its_own_clock(app, owner, clock, slow_down_after_three):
    for number in range(3):
        services.log_in(email=OWNER, password=WRONG_PASSWORD, address=f"203.0.113.{number}")
    guesser = services.log_in(email=OWNER, password=WRONG_PASSWORD, address="203.0.113.9")
    clock.shift(1)

    # The owner's wait starts with their own first try, whatever others are waiting for.
    owner_first = services.log_in(email=OWNER, password=PASSWORD, address="198.51.100.7")
    clock.shift(owner_first.retry_after)
    owner_then = services.log_in(email=OWNER, password=PASSWORD, address="198.51.100.7")

    assert guesser.status is owner_first.status is LoginStatus.WAIT
    assert owner_then.status is LoginStatus.OK


def test_an_unknown_email_is_slowed_down_exactly_like_an_account(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)
    guess_from_many_addresses(client, 3, email="nobody@turin.example")

    known = attempt(client, "198.51.100.7")
    unknown = attempt(client, "198.51.100.7", email="nobody@turin.example")

    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_below_the_threshold_nobody_waits(client, owner, slow_down_after_three):
    guess_from_many_addresses(client, 2)

    assert attempt(client, "198.51.100.7", password=PASSWORD).status_code == 302


def test_a_wait_asked_for_json_is_a_json_429_with_retry_after(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)

    response = attempt(client, "198.51.100.7", headers={"Accept": "application/json"})

    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert "Please wait 2 seconds" in response.get_json()["error"]["message"]


# --- per (account, address): a hard limit that spares the owner elsewhere ---------------------


@pytest.fixture
def three_per_pair(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "3 per 15 minutes")


def test_one_address_guessing_at_one_account_is_stopped_but_the_owner_elsewhere_logs_in(
    app, client, owner, three_per_pair
):
    for typed in (OWNER, OWNER.upper(), f" {OWNER} "):
        assert attempt(client, "203.0.113.5", email=typed).status_code == 422

    blocked = attempt(client, "203.0.113.5", password=PASSWORD)
    other_account = attempt(client, "203.0.113.5", email="other@turin.example")
    owner_elsewhere = attempt(app.test_client(), "198.51.100.7", password=PASSWORD)

    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert other_account.status_code == 422
    assert owner_elsewhere.status_code == 302


def test_logins_that_work_do_not_count_against_the_pair(app, owner, three_per_pair):
    browser = app.test_client()
    for _ in range(4):
        assert attempt(browser, "198.51.100.7", password=PASSWORD).status_code == 302
        browser.post("/logout")

    assert attempt(browser, "198.51.100.7", password=PASSWORD).status_code == 302


# --- the owner is told, and can always choose a new password ---------------------------------


def test_the_owner_is_told_once_per_window_with_a_link_to_choose_a_new_password(
    client, owner, clock, slow_down_after_three
):
    guess_from_many_addresses(client, 3)
    fail_after_the_wait(client, clock, "203.0.113.50")  # a fourth failure: no second email

    [notification] = notifications("login_failures")
    message = render_notification(notification)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    assert notification.recipient_email == OWNER
    assert message["Subject"] == "Failed attempts to log in to your account"
    assert "with a wrong password 3 times within 15 minutes" in text
    assert "your password still works" in text
    reset_link = notification.context["reset_link"]
    assert path_of(reset_link) == "/reset-password"
    assert reset_link in text and reset_link in html
    assert WRONG_PASSWORD not in text + html

    clock.shift(15 * 60)
    guess_from_many_addresses(client, 3)
    assert len(notifications("login_failures")) == 2


def test_failures_for_an_unknown_email_tell_nobody(client, clock, slow_down_after_three):
    guess_from_many_addresses(client, 3, email="nobody@turin.example")
    fail_after_the_wait(client, clock, "203.0.113.50", email="nobody@turin.example")

    assert notifications("login_failures") == []


def test_password_reset_keeps_working_while_the_login_is_throttled(
    app, client, owner, clock, slow_down_after_three, three_per_pair
):
    for _ in range(3):
        attempt(client, "203.0.113.5")
    assert attempt(client, "203.0.113.5", password=PASSWORD).status_code == 429

    asked = client.post(
        "/reset-password", data={"email": OWNER}, environ_base={"REMOTE_ADDR": "203.0.113.5"}
    )
    chosen = client.post(
        path_of(last_link("password_reset")),
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )

    assert asked.status_code == 302 and chosen.status_code == 302
    assert is_logged_in(client)


# --- the audit log ---------------------------------------------------------------------------


def audit_entries(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def test_logins_are_audited_with_the_address_but_never_what_was_typed_for_no_account(client, owner):
    attempt(client, "203.0.113.5", email=f" {OWNER.upper()} ")
    attempt(client, "203.0.113.5", email="hunter2-typed-in-the-email-field")
    attempt(client, "198.51.100.7", password=PASSWORD)

    for_owner, for_nobody = audit_entries("user.login_failed")
    [success] = audit_entries("user.logged_in")

    assert (for_owner.object_id, for_owner.details) == (
        owner.id,
        {"reason": "credentials", "email": OWNER},
    )
    assert (for_nobody.object_id, for_nobody.details) == (None, {"reason": "credentials"})
    assert for_owner.ip_address == "203.0.113.5"
    assert (success.object_id, success.actor_id, success.ip_address) == (
        owner.id,
        owner.id,
        "198.51.100.7",
    )
    logged = str([(entry.details, entry.action) for entry in (for_owner, for_nobody, success)])
    assert "hunter2" not in logged and WRONG_PASSWORD not in logged and PASSWORD not in logged


# --- the client address: PROXY_COUNT ---------------------------------------------------------


@pytest.fixture
def proxied_app(app):
    """The app as deployed behind one reverse proxy (PROXY_COUNT=1), on the test's database."""

    class BehindOneProxy(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = app.config["REDIS_URL"]
        MAIL_BACKEND = "memory"
        PROXY_COUNT = 1
        LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "3 per 15 minutes"

    proxied = create_app(BehindOneProxy)
    proxied.test_client_class = BrowserLikeClient
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def through_the_proxy(client, client_address: str, password: str = WRONG_PASSWORD):
    return client.post(
        "/login",
        data={"email": OWNER, "password": password},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy, for every client
        headers={"X-Forwarded-For": client_address},
    )


def test_behind_one_proxy_the_throttle_keys_on_the_forwarded_client(proxied_app, owner):
    guesser, owner_browser = proxied_app.test_client(), proxied_app.test_client()
    for _ in range(3):
        assert through_the_proxy(guesser, "203.0.113.5").status_code == 422

    assert through_the_proxy(guesser, "203.0.113.5", PASSWORD).status_code == 429
    assert through_the_proxy(owner_browser, "198.51.100.7", PASSWORD).status_code == 302


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(app, client, owner, three_per_pair):
    assert app.config["PROXY_COUNT"] == 0
    for number in range(3):
        response = attempt(
            client, "203.0.113.5", headers={"X-Forwarded-For": f"198.51.100.{number}"}
        )
        assert response.status_code == 422

    forged = attempt(
        client, "203.0.113.5", password=PASSWORD, headers={"X-Forwarded-For": "192.0.2.1"}
    )

    assert forged.status_code == 429
