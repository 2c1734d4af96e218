"""Sessions: a new one at each login, idle and absolute time limits, seeing and ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services, sessions
from app.accounts.models import SessionEnd, User, UserSession
from app.accounts.session_views import describe_device
from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import NotFound
from app.extensions import db
from tests.accounts.helpers import is_logged_in, last_link, log_in, path_of
from tests.factories import PASSWORD, make_admin, make_user

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
NEW_PASSWORD = "a brand new passphrase"
EXPIRED = "Your session has expired; please log in again."


@pytest.fixture
def mayor(app_context) -> User:
    user = make_user(email="mayor@turin.example", name="Sindaco")
    db.session.commit()
    return user


def browser(app, user_agent: str = FIREFOX_ON_WINDOWS):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def logged_in_browser(app, user: User, user_agent: str = FIREFOX_ON_WINDOWS, **extra):
    client = browser(app, user_agent)
    assert log_in(client, user.email, **extra).status_code == 302
    return client


def sessions_of(user: User) -> list[UserSession]:
    db.session.expire_all()
    query = select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    return list(db.session.scalars(query))


def only_session_of(user: User) -> UserSession:
    (row,) = sessions_of(user)
    return row


def session_cookie(client) -> str:
    cookie = client.get_cookie("session", domain="call.test")
    assert cookie is not None
    return cookie.value


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def move_back(row: UserSession, *, started: timedelta, last_used: timedelta) -> None:
    """The session began and was last used that long ago (instead of waiting)."""
    now = utcnow()
    row.created_at, row.last_seen_at = now - started, now - last_used
    db.session.commit()


# --- a new session at each login --------------------------------------------------------------


def test_logging_in_starts_a_session_of_its_own_in_a_rebuilt_cookie(app, mayor):
    client = browser(app)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone who had this browser before"
    before = session_cookie(client)

    log_in(client, mayor.email)

    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
        login_id = session["_user_id"]
    row = only_session_of(mayor)
    assert row.ended_at is None and row.user_agent == FIREFOX_ON_WINDOWS
    # The cookie names this session by a key the database keeps only as a digest.
    token, _, key = login_id.partition(".")
    assert token == mayor.session_token and key and key not in row.key_hash


def test_the_cookie_from_before_the_login_carries_no_login(app, mayor):
    client = browser(app)
    client.get("/login")
    before = session_cookie(client)
    log_in(client, mayor.email)
    assert is_logged_in(client)

    client.set_cookie("session", before, domain="call.test")

    assert not is_logged_in(client)


def test_each_login_is_a_new_session(app, mayor):
    first = logged_in_browser(app, mayor)
    second = logged_in_browser(app, mayor)

    with first.session_transaction() as one, second.session_transaction() as other:
        assert one["_user_id"] != other["_user_id"]
    assert [row.ended_at for row in sessions_of(mayor)] == [None, None]


def test_a_login_cookie_naming_no_session_is_refused(app, mayor):
    client = browser(app)
    with client.session_transaction() as session:
        session["_user_id"] = mayor.session_token  # a cookie from before sessions had rows
        session["_fresh"] = True

    assert not is_logged_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_a_visitors_language_outlives_the_login(app, mayor):
    client = browser(app)
    client.get("/")
    client.post("/locale", data={"locale": "fr", "next": "/"})

    log_in(client, mayor.email)

    with client.session_transaction() as session:
        assert session["locale"] == "fr"


# --- time limits ---------------------------------------------------------------------------


def test_a_session_idle_too_long_ends_and_says_so(app, mayor):
    client = logged_in_browser(app, mayor)
    move_back(only_session_of(mayor), started=timedelta(hours=3), last_used=timedelta(minutes=121))

    response = client.get("/settings?tab=1")

    assert response.status_code == 302
    assert response.location == "/login?next=/settings?tab%3D1"
    assert EXPIRED in client.get(response.location).get_data(as_text=True)
    assert not is_logged_in(client)
    row = only_session_of(mayor)
    assert row.end_reason == SessionEnd.IDLE and row.ended_at is not None
    assert "user.session_expired" in actions()


def test_a_form_sent_from_an_expired_session_leads_to_the_login_alone(app, mayor):
    client = logged_in_browser(app, mayor)
    client.get("/settings")  # the form's page, and its token
    move_back(only_session_of(mayor), started=timedelta(hours=3), last_used=timedelta(hours=3))

    response = client.post("/settings", data={"name": "Changed", "locale": "en", "timezone": "UTC"})

    # Not sent back to a form's address after logging in: a POST cannot be repeated.
    assert response.status_code == 302 and response.location == "/login"
    assert db.session.get(User, mayor.id).name == "Sindaco"


def test_a_busy_session_still_ends_after_the_absolute_limit(app, mayor):
    client = logged_in_browser(app, mayor)
    move_back(only_session_of(mayor), started=timedelta(hours=12, minutes=1), last_used=timedelta())

    response = client.get("/settings")

    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert only_session_of(mayor).end_reason == SessionEnd.MAX_AGE


def test_a_session_within_its_limits_stays_open(app, mayor):
    client = logged_in_browser(app, mayor)
    move_back(
        only_session_of(mayor),
        started=timedelta(hours=11, minutes=50),
        last_used=timedelta(hours=1),
    )

    assert is_logged_in(client)


def test_the_limits_follow_the_settings(app, mayor, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 2)
    row, _key = sessions.start_session(
        user=mayor, user_agent="", address=None, remembered=False, now=utcnow()
    )
    start = row.created_at

    assert sessions.expiry(row, now=start + timedelta(minutes=29)) is None
    assert sessions.expiry(row, now=start + timedelta(minutes=30)) == SessionEnd.IDLE
    row.last_seen_at = start + timedelta(hours=1, minutes=50)
    assert sessions.expiry(row, now=start + timedelta(hours=1, minutes=59)) is None
    assert sessions.expiry(row, now=start + timedelta(hours=2)) == SessionEnd.MAX_AGE


def test_a_kept_session_lasts_as_long_as_its_cookie_idle_or_not(app, mayor):
    row, _key = sessions.start_session(
        user=mayor, user_agent="", address=None, remembered=True, now=utcnow()
    )
    start = row.created_at

    assert sessions.expiry(row, now=start + timedelta(days=13, hours=23)) is None
    assert sessions.expiry(row, now=start + timedelta(days=14)) == SessionEnd.MAX_AGE


def test_keep_me_logged_in_survives_the_browser_closing_until_its_limit(app, mayor):
    client = logged_in_browser(app, mayor, remember="y")
    assert only_session_of(mayor).remembered

    client.delete_cookie("session", domain="call.test")  # the browser was closed
    assert is_logged_in(client)
    assert len(sessions_of(mayor)) == 1  # the same session, restored from its cookie

    move_back(only_session_of(mayor), started=timedelta(days=14), last_used=timedelta(days=1))
    client.delete_cookie("session", domain="call.test")
    response = client.get("/settings")

    assert response.status_code == 302
    assert EXPIRED in client.get(response.location).get_data(as_text=True)
    assert not is_logged_in(client)


def test_two_quick_requests_write_the_last_use_once(app, mayor):
    client = logged_in_browser(app, mayor)
    move_back(only_session_of(mayor), started=timedelta(hours=1), last_used=timedelta(minutes=5))
    five_minutes_ago = only_session_of(mayor).last_seen_at

    client.get("/settings")
    first = only_session_of(mayor).last_seen_at
    client.get("/settings")
    second = only_session_of(mayor).last_seen_at

    assert first > five_minutes_ago
    assert second == first


def test_recording_activity_writes_at_most_once_a_minute(mayor):
    row, _key = sessions.start_session(
        user=mayor, user_agent="", address=None, remembered=False, now=utcnow()
    )
    start = row.last_seen_at

    assert not sessions.record_activity(user_session=row, now=start + timedelta(seconds=59))
    assert sessions.record_activity(user_session=row, now=start + timedelta(seconds=60))
    assert row.last_seen_at == start + timedelta(seconds=60)


# --- seeing and ending one's sessions --------------------------------------------------------


def test_ended_and_expired_sessions_are_not_listed(app, mayor):
    here = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    logged_in_browser(app, mayor, SAFARI_ON_IPHONE)
    logged_in_browser(app, mayor, "Lynx/2.9")
    _here, phone, old = sessions_of(mayor)
    sessions.end_session(actor=mayor, session_id=phone.id)
    move_back(old, started=timedelta(hours=5), last_used=timedelta(hours=3))

    page = here.get("/settings").get_data(as_text=True)

    assert "Firefox on Windows" in page
    assert "Safari on iPhone" not in page and "Lynx/2.9" not in page
    assert "End this session" not in page


def test_the_other_sessions_are_listed_with_a_button_each(app, mayor):
    here = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    logged_in_browser(app, mayor, SAFARI_ON_IPHONE)

    page = here.get("/settings").get_data(as_text=True)

    assert "Where you are logged in" in page
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert page.count("This session") == 1
    assert page.count("End this session") == 1
    assert "End all other sessions" in page


def test_alone_there_is_nothing_to_end(app, mayor):
    page = logged_in_browser(app, mayor).get("/settings").get_data(as_text=True)

    assert "This session" in page
    assert "End this session" not in page and "End all other sessions" not in page


def test_ending_another_session_logs_that_browser_out_on_its_next_request(app, mayor):
    here = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    phone = logged_in_browser(app, mayor, SAFARI_ON_IPHONE)
    phone_session = sessions_of(mayor)[1]

    response = here.post(f"/settings/sessions/{phone_session.id}/end")

    assert response.status_code == 302 and response.location == "/settings#sessions"
    assert not is_logged_in(phone)
    assert is_logged_in(here)
    assert sessions_of(mayor)[1].end_reason == SessionEnd.ENDED_BY_OWNER
    assert "user.session_ended" in actions()


def test_ending_all_other_sessions_keeps_this_one(app, mayor):
    here = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    others = [logged_in_browser(app, mayor, SAFARI_ON_IPHONE) for _ in range(2)]

    response = here.post("/settings/sessions/end-others")

    assert response.status_code == 302
    assert [is_logged_in(other) for other in others] == [False, False]
    assert is_logged_in(here)
    assert [row.ended_at is None for row in sessions_of(mayor)] == [True, False, False]
    assert "user.other_sessions_ended" in actions()


def test_another_persons_session_cannot_be_ended(app, mayor):
    stranger = make_user(email="stranger@example.org")
    db.session.commit()
    theirs = logged_in_browser(app, stranger)
    their_session = only_session_of(stranger)
    here = logged_in_browser(app, mayor)

    response = here.post(f"/settings/sessions/{their_session.id}/end")

    assert response.status_code == 404
    assert only_session_of(stranger).ended_at is None
    assert is_logged_in(theirs)


def test_the_service_refuses_another_persons_session(mayor):
    stranger = make_user(email="stranger@example.org")
    row, _key = sessions.start_session(user=stranger, user_agent="", address=None, remembered=False)

    with pytest.raises(NotFound):
        sessions.end_session(actor=mayor, session_id=row.id)
    assert row.ended_at is None


# --- the other ways a session ends ---------------------------------------------------------


def test_logging_out_ends_this_session(app, mayor):
    client = logged_in_browser(app, mayor)

    client.post("/logout")

    assert only_session_of(mayor).ended_at is not None
    assert not is_logged_in(client)


def test_a_new_password_ends_every_session_and_starts_one_here(app, mayor):
    here = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    elsewhere = logged_in_browser(app, mayor, SAFARI_ON_IPHONE)

    here.post(
        "/settings/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    db.session.rollback()  # what the request left uncommitted ends with it

    assert is_logged_in(here) and not is_logged_in(elsewhere)
    rows = sessions_of(mayor)
    assert [row.end_reason for row in rows] == [SessionEnd.ALL_ENDED, SessionEnd.ALL_ENDED, None]
    assert rows[2].user_agent == FIREFOX_ON_WINDOWS


def test_a_password_reset_ends_every_session_and_starts_one_on_the_resetting_browser(app, mayor):
    old_laptop = logged_in_browser(app, mayor, FIREFOX_ON_WINDOWS)
    phone = browser(app, SAFARI_ON_IPHONE)
    phone.post("/reset-password", data={"email": mayor.email})
    path = path_of(last_link("password_reset"))

    phone.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    db.session.rollback()  # what the request left uncommitted ends with it

    assert is_logged_in(phone) and not is_logged_in(old_laptop)
    rows = sessions_of(mayor)
    assert [row.end_reason for row in rows] == [SessionEnd.ALL_ENDED, None]
    assert rows[1].user_agent == SAFARI_ON_IPHONE


def test_a_role_granted_ends_the_persons_sessions(app, mayor):
    administrator = make_admin()
    db.session.commit()
    client = logged_in_browser(app, mayor)

    services.invite_reviewer(actor=administrator, name=mayor.name, email=mayor.email)
    db.session.commit()

    assert not is_logged_in(client)
    assert only_session_of(mayor).end_reason == SessionEnd.ROLE_CHANGED
    # Logging in again starts a session with the new role.
    again = logged_in_browser(app, mayor)
    assert again.get("/reviews").status_code == 200


def test_a_role_from_the_command_line_ends_the_persons_sessions(app, mayor):
    client = logged_in_browser(app, mayor)

    services.grant_administrator(email=mayor.email)
    db.session.commit()

    assert not is_logged_in(client)
    assert only_session_of(mayor).end_reason == SessionEnd.ROLE_CHANGED


def test_deactivation_ends_every_session(app, mayor):
    administrator = make_admin()
    db.session.commit()
    client = logged_in_browser(app, mayor)

    services.deactivate_user(actor=administrator, user=mayor)
    db.session.commit()

    assert not is_logged_in(client)
    assert only_session_of(mayor).end_reason == SessionEnd.ALL_ENDED


def test_the_sessions_of_others_stay_open_when_one_person_changes(app, mayor):
    stranger = make_user(email="stranger@example.org")
    db.session.commit()
    theirs = logged_in_browser(app, stranger)

    services.grant_administrator(email=mayor.email)
    db.session.commit()

    assert is_logged_in(theirs)


# --- the device's name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on macOS",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        ("x" * 100, "x" * 59 + "…"),
        ("", "Unknown browser"),
    ],
)
def test_a_device_is_named_as_a_person_would(app, user_agent, device):
    with app.test_request_context():
        assert describe_device(user_agent) == device
