"""Account pages through the test client: happy paths, errors, throttling, sessions."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.passwords import verify_password
from app.db import utcnow
from app.extensions import db
from tests.accounts.helpers import (
    is_logged_in,
    last_link,
    log_in,
    log_in_as_administrator,
    notifications,
    path_of,
)
from tests.accounts.two_factor_helpers import answer_challenge
from tests.client import token_in, without_token
from tests.factories import PASSWORD, make_admin, make_reviewer, make_user
from tests.querycount import count_queries

NEW_PASSWORD = "a brand new passphrase"
REGISTRATION = {
    "name": "Ana Lisboa",
    "email": "ana@lisboa.example",
    "password": "sufficiently long",
    "confirm_password": "sufficiently long",
    "locale": "fr",
    "timezone": "Europe/Lisbon",
}


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def set_limit(app, monkeypatch, name: str, value: str) -> None:
    monkeypatch.setitem(app.config, name, value)


# --- registration ----------------------------------------------------------------------------


def test_registration_form_lists_languages_and_time_zones(client):
    page = client.get("/register").get_data(as_text=True)

    assert 'name="timezone"' in page and 'value="Europe/Lisbon"' in page
    assert "data-detect-timezone" in page
    assert 'value="fr"' in page
    assert "js/accounts.js" in page


def test_registering_creates_an_applicant_and_asks_to_confirm_the_email(client):
    response = client.post("/register", data=REGISTRATION)

    assert response.status_code == 302 and response.location.endswith("/login")
    user = user_by_email("ana@lisboa.example")
    assert user.has_role(Role.APPLICANT) and user.email_verified_at is None
    assert [n.recipient_email for n in notifications("verify_email")] == [user.email]
    assert not is_logged_in(client)


def test_registering_a_taken_email_answers_exactly_like_a_new_registration(client, app):
    first = client.post("/register", data=REGISTRATION, follow_redirects=True)
    again = app.test_client().post(
        "/register",
        data={**REGISTRATION, "email": " ANA@Lisboa.example", "name": "Someone else"},
        follow_redirects=True,
    )

    assert first.status_code == again.status_code == 200
    assert without_token(first) == without_token(again)
    assert len(db.session.scalars(select(User)).all()) == 1
    assert [n.template for n in notifications()] == ["verify_email", "account_exists"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short", "confirm_password": "short"}, "Use at least 10 characters."),
        ({"confirm_password": "something different"}, "The two passwords are not the same."),
        (
            {"password": "ANA@lisboa.example", "confirm_password": "ANA@lisboa.example"},
            "must not be your email address",
        ),
        ({"email": "ana at lisboa"}, "Enter a valid email address"),
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"locale": "klingon"}, "Not a valid choice"),
        ({"name": ""}, "Enter a name."),
    ],
)
def test_a_registration_with_bad_input_shows_the_error_and_keeps_what_was_typed(
    client, changes, message
):
    response = client.post("/register", data={**REGISTRATION, **changes})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Please correct the following" in page
    if "email" not in changes:
        assert 'value="ana@lisboa.example"' in page
    assert user_by_email("ana@lisboa.example") is None


def test_registration_errors_speak_the_chosen_language(client):
    client.post("/locale", data={"locale": "fr", "next": "/register"})

    page = client.post("/register", data={**REGISTRATION, "name": ""}).get_data(as_text=True)

    assert 'lang="fr"' in page


def test_registration_is_throttled_per_client_address(client, app, monkeypatch):
    set_limit(app, monkeypatch, "REGISTRATION_LIMIT_PER_ADDRESS", "2 per hour")
    for number in range(2):
        data = {**REGISTRATION, "email": f"city{number}@example.org"}
        assert client.post("/register", data=data).status_code == 302

    response = client.post("/register", data={**REGISTRATION, "email": "city9@example.org"})

    assert response.status_code == 429
    assert user_by_email("city9@example.org") is None
    assert client.get("/register").status_code == 200  # reading the form is never limited


# --- email verification ----------------------------------------------------------------------


def test_the_verification_link_shows_a_button_and_confirms_on_post(client):
    client.post("/register", data=REGISTRATION)
    path = path_of(last_link("verify_email"))

    page = client.get(path)
    assert page.status_code == 200
    assert "ana@lisboa.example" in page.get_data(as_text=True)
    assert user_by_email("ana@lisboa.example").email_verified_at is None  # a GET changes nothing

    response = client.post(path)
    assert response.status_code == 302 and response.location.endswith("/login")
    assert user_by_email("ana@lisboa.example").email_verified_at is not None
    assert log_in(client, "ana@lisboa.example", "sufficiently long").status_code == 302


def test_a_city_that_registers_from_a_calls_apply_button_comes_back_to_it(client):
    """Apply (logged out) -> log in page -> register -> confirm -> log in -> the call."""
    apply_path = "/calls/some-call/apply"
    login_page = client.get(f"/login?next={apply_path}").get_data(as_text=True)
    assert f'href="/register?next={apply_path}"' in login_page
    form = client.get(f"/register?next={apply_path}").get_data(as_text=True)
    assert f'name="next" type="hidden" value="{apply_path}"' in form

    registered = client.post("/register", data={**REGISTRATION, "next": apply_path})
    assert unquote(registered.location).endswith(f"/login?next={apply_path}")
    link = last_link("verify_email")
    assert unquote(link).endswith(f"?next={apply_path}")

    confirmed = client.post(path_of(link) + "?" + urlsplit(link).query)
    assert unquote(confirmed.location).endswith(f"/login?next={apply_path}")
    logged_in = client.post(
        f"/login?next={apply_path}",
        data={"email": REGISTRATION["email"], "password": "sufficiently long", "next": apply_path},
    )
    assert logged_in.location.endswith(apply_path)


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example", "apply"])
def test_registration_never_leads_off_the_site(client, elsewhere):
    registered = client.post("/register", data={**REGISTRATION, "next": elsewhere})
    assert registered.location.endswith("/login")
    assert "next=" not in last_link("verify_email")
    token_path = path_of(last_link("verify_email"))
    confirmed = client.post(f"{token_path}?next={elsewhere}")
    assert confirmed.location.endswith("/login")


def test_a_broken_verification_link_shows_a_clear_page(client):
    response = client.get("/verify-email/not-a-real-token")

    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)


def test_asking_for_a_new_verification_link(client):
    user = make_user(verified=False)
    db.session.commit()

    response = client.post("/verify-email/resend", data={"email": user.email.upper()})

    assert response.status_code == 302
    assert [n.recipient_email for n in notifications("verify_email")] == [user.email]


# --- login and logout ------------------------------------------------------------------------


def test_logging_in_with_the_email_in_another_case_and_spaces(client):
    make_user(email="mayor@turin.example", roles=(Role.APPLICANT,))
    db.session.commit()

    response = log_in(client, "  Mayor@Turin.EXAMPLE ")

    assert response.status_code == 302
    assert is_logged_in(client)


def test_unknown_email_and_wrong_password_get_the_same_page(client, app):
    unknown = log_in(client, "mayor@turin.example", "not the password")
    make_user(email="mayor@turin.example")
    db.session.commit()
    wrong = log_in(app.test_client(), "mayor@turin.example", "not the password")

    assert unknown.status_code == wrong.status_code == 422
    assert without_token(unknown) == without_token(wrong)
    assert "The email address or the password is not correct." in wrong.get_data(as_text=True)


def test_an_unverified_user_is_told_to_confirm_and_gets_a_new_link(client):
    user = make_user(verified=False)
    db.session.commit()

    response = log_in(client, user.email)

    assert response.status_code == 422
    assert "Please confirm your email address first" in response.get_data(as_text=True)
    assert [n.recipient_email for n in notifications("verify_email")] == [user.email]
    assert not is_logged_in(client)


def test_a_deactivated_user_is_told_so_only_with_the_right_password(client):
    user = make_user(active=False)
    db.session.commit()

    assert "deactivated" not in log_in(client, user.email, "wrong guess").get_data(as_text=True)
    assert "deactivated" in log_in(client, user.email).get_data(as_text=True)
    assert not is_logged_in(client)


@pytest.mark.parametrize("next_url", ["/settings", "/settings?tab=password"])
def test_login_goes_to_a_safe_next_page(client, next_url):
    make_user(email="mayor@turin.example")
    db.session.commit()

    response = log_in(client, "mayor@turin.example", next=next_url)

    assert response.location == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://call.test.evil.example/",
        " //evil.example",
    ],
)
def test_login_refuses_to_send_anyone_off_site(client, next_url):
    make_user(email="mayor@turin.example")
    db.session.commit()

    response = log_in(client, "mayor@turin.example", next=next_url)

    assert response.status_code == 302
    assert response.location.startswith("/")
    assert "evil" not in response.location and "javascript" not in response.location


def test_the_login_page_keeps_next_from_the_address_bar(client):
    page = client.get("/login?next=/settings").get_data(as_text=True)

    assert 'name="next" type="hidden" value="/settings"' in page


def test_a_logged_in_visitor_of_the_login_page_goes_to_their_own_pages(client):
    log_in_as_administrator(client)

    response = client.get("/login")

    assert response.status_code == 302


# The slow-down per account and the limit per (account, address): test_login_throttle.py.


def test_login_is_throttled_per_client_address_whatever_the_account(client, app, monkeypatch):
    set_limit(app, monkeypatch, "LOGIN_LIMIT_PER_ADDRESS", "3 per 15 minutes")
    for number in range(3):
        response = log_in(client, f"guess{number}@example.org", "wrong guess")
        assert response.status_code == 422

    assert log_in(client, "guess9@example.org", "wrong guess").status_code == 429
    elsewhere = app.test_client().post(
        "/login",
        data={"email": "guess9@example.org", "password": "wrong guess"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert elsewhere.status_code == 422


def test_a_throttled_client_asking_for_json_gets_a_json_error(client, app, monkeypatch):
    set_limit(app, monkeypatch, "LOGIN_LIMIT_PER_ADDRESS", "1 per 15 minutes")
    log_in(client, "a@example.org", "wrong guess")

    response = client.post(
        "/login",
        data={"email": "a@example.org", "password": "wrong guess"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"


def test_reading_the_login_page_is_never_throttled(client, app, monkeypatch):
    set_limit(app, monkeypatch, "LOGIN_LIMIT_PER_ADDRESS", "1 per 15 minutes")

    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 200]


def test_logging_out_ends_the_session_in_every_browser(app):
    user = make_user(email="mayor@turin.example")
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.email)
    log_in(phone, user.email)
    assert is_logged_in(laptop) and is_logged_in(phone)

    response = laptop.post("/logout")

    assert response.status_code == 302
    assert not is_logged_in(laptop)
    assert not is_logged_in(phone)


def test_logging_out_also_kills_a_remember_me_cookie(app):
    user = make_user(email="mayor@turin.example")
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    log_in(phone, user.email, remember="y")
    log_in(laptop, user.email)
    # The browser was closed: only the remember-me cookie is left.
    with phone.session_transaction() as session:
        session.clear()
    assert is_logged_in(phone)
    with phone.session_transaction() as session:
        session.clear()

    laptop.post("/logout")

    assert not is_logged_in(phone)


def test_logout_by_get_is_not_allowed(client):
    assert client.get("/logout").status_code == 405


# --- password reset --------------------------------------------------------------------------


def test_asking_for_a_reset_answers_the_same_for_known_and_unknown_emails(client, app):
    make_user(email="clerk@cardiff.example")
    db.session.commit()

    known = client.post("/reset-password", data={"email": "clerk@cardiff.example"})
    unknown = app.test_client().post("/reset-password", data={"email": "nobody@cardiff.example"})

    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert [n.recipient_email for n in notifications("password_reset")] == ["clerk@cardiff.example"]


def test_the_reset_link_uses_the_server_name_not_a_forged_host_header(client):
    make_user(email="clerk@cardiff.example")
    db.session.commit()

    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = client.get("/reset-password", headers=forged)
    client.post(
        "/reset-password",
        data={"email": "clerk@cardiff.example", "csrf_token": token_in(page)},
        headers=forged,
    )

    link = last_link("password_reset")
    assert link.startswith("http://call.test/reset-password/")
    assert "evil" not in link


def test_resetting_the_password_logs_in_here_and_ends_other_sessions(app):
    user = make_user(email="clerk@cardiff.example")
    db.session.commit()
    old_laptop, browser = app.test_client(), app.test_client()
    log_in(old_laptop, user.email)
    browser.post("/reset-password", data={"email": user.email})
    path = path_of(last_link("password_reset"))

    assert browser.get(path).status_code == 200
    response = browser.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})

    assert response.status_code == 302
    assert is_logged_in(browser)
    assert not is_logged_in(old_laptop)
    assert verify_password(user_by_email(user.email).password_hash, NEW_PASSWORD)
    # Single use: the link is dead now.
    again = app.test_client().get(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_an_expired_reset_link_shows_a_clear_page(client, app):
    make_user(email="clerk@cardiff.example")
    db.session.commit()
    client.post("/reset-password", data={"email": "clerk@cardiff.example"})
    path = path_of(last_link("password_reset"))
    later = utcnow() + timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] + 60)

    with time_machine.travel(later, tick=False):
        response = client.post(
            path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        )

    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    assert verify_password(user_by_email("clerk@cardiff.example").password_hash, PASSWORD)


def test_a_weak_new_password_from_a_reset_link_is_refused_on_the_form(client):
    make_user(email="clerk@cardiff.example")
    db.session.commit()
    client.post("/reset-password", data={"email": "clerk@cardiff.example"})
    path = path_of(last_link("password_reset"))

    response = client.post(path, data={"password": "short", "confirm_password": "short"})

    assert response.status_code == 422
    assert "Use at least 10 characters." in response.get_data(as_text=True)


def test_reset_requests_are_throttled_per_account(client, app, monkeypatch):
    set_limit(app, monkeypatch, "EMAIL_LINK_LIMIT_PER_ACCOUNT", "2 per hour")
    for number in range(2):
        response = client.post(
            "/reset-password",
            data={"email": "clerk@cardiff.example"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{number}"},
        )
        assert response.status_code == 302

    assert (
        client.post("/reset-password", data={"email": "clerk@cardiff.example"}).status_code == 429
    )


# --- invitations -----------------------------------------------------------------------------


def test_an_administrator_invites_a_reviewer_who_sets_a_password(client, app):
    log_in_as_administrator(client)

    response = client.post(
        "/admin/people/invite", data={"name": "Expert", "email": "Expert@Example.org"}
    )
    assert response.status_code == 302

    reviewer = app.test_client()
    path = path_of(last_link("reviewer_invitation", to="expert@example.org"))
    assert "Welcome, Expert" in reviewer.get(path).get_data(as_text=True)
    reviewer.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert is_logged_in(reviewer)
    assert user_by_email("expert@example.org").has_role(Role.REVIEWER)


def test_inviting_with_a_bad_email_shows_the_error_on_the_form(client):
    log_in_as_administrator(client)

    response = client.post("/admin/people/invite", data={"name": "Expert", "email": "expert@"})

    assert response.status_code == 422
    assert "Enter a valid email address" in response.get_data(as_text=True)


def test_inviting_an_existing_reviewer_shows_why_on_the_form(client):
    make_reviewer(email="expert@example.org")
    log_in_as_administrator(client)

    response = client.post(
        "/admin/people/invite", data={"name": "Expert", "email": "expert@example.org"}
    )

    assert response.status_code == 422
    assert "expert@example.org is already a reviewer." in response.get_data(as_text=True)


# --- settings --------------------------------------------------------------------------------


def test_changing_name_language_and_time_zone(client):
    user = make_user(email="mayor@turin.example")
    db.session.commit()
    log_in(client, user.email)

    response = client.post(
        "/settings", data={"name": "Sindaco", "locale": "fr", "timezone": "Europe/Rome"}
    )

    assert response.status_code == 302
    user = user_by_email("mayor@turin.example")
    assert (user.name, user.locale, user.timezone) == ("Sindaco", "fr", "Europe/Rome")
    assert 'lang="fr"' in client.get("/settings").get_data(as_text=True)


def test_a_bad_time_zone_in_the_settings_is_a_form_error(client):
    make_user(email="mayor@turin.example")
    db.session.commit()
    log_in(client, "mayor@turin.example")

    response = client.post(
        "/settings", data={"name": "Sindaco", "locale": "en", "timezone": "Europe/Atlantis"}
    )

    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    assert user_by_email("mayor@turin.example").timezone == "UTC"


def test_changing_the_password_keeps_this_session_and_ends_the_others(app):
    user = make_user(email="mayor@turin.example")
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user.email)
    log_in(elsewhere, user.email)

    response = here.post(
        "/settings/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert verify_password(user_by_email(user.email).password_hash, NEW_PASSWORD)


def test_a_wrong_current_password_is_a_form_error(client):
    make_user(email="mayor@turin.example")
    db.session.commit()
    log_in(client, "mayor@turin.example")

    response = client.post(
        "/settings/password",
        data={
            "current_password": "wrong guess",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 422
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert is_logged_in(client)


# --- administrators: people ------------------------------------------------------------------


def test_the_list_of_people_searches_and_filters(client):
    make_user(name="Ana Lisboa", email="ana@lisboa.example")
    make_reviewer(name="Rita Reviewer", email="rita@example.org")
    log_in_as_administrator(client, name="Boss")

    by_name = client.get("/admin/people?q=lisboa").get_data(as_text=True)
    by_role = client.get("/admin/people?role=reviewer").get_data(as_text=True)
    bad_role = client.get("/admin/people?role=emperor&page=-3")

    assert "Ana Lisboa" in by_name and "Rita Reviewer" not in by_name
    assert "Rita Reviewer" in by_role and "Ana Lisboa" not in by_role
    assert bad_role.status_code == 200


def test_the_list_of_people_pages_and_keeps_the_search(client):
    for number in range(55):
        make_user(name=f"Person {number:02d}", email=f"person{number}@example.org")
    log_in_as_administrator(client, name="Boss")

    first = client.get("/admin/people?q=person").get_data(as_text=True)
    second = client.get("/admin/people?q=person&page=2").get_data(as_text=True)

    assert "Person 49" in first and "Person 50" not in first
    assert "Person 50" in second and "Person 54" in second
    assert "page=2" in first and "q=person" in first


def test_the_list_of_people_takes_the_same_number_of_queries_for_few_or_many(client):
    log_in_as_administrator(client, name="Boss")

    def queries() -> int:
        with count_queries() as counted:
            assert client.get("/admin/people").status_code == 200
        return counted.count

    few = queries()
    for number in range(40):
        make_reviewer(name=f"Reviewer {number}") if number % 2 else make_user()
    db.session.commit()
    many = queries()

    # The session's user with its roles, the count, one page of people, their roles.
    assert many == few == 4


def test_an_administrator_deactivates_someone_and_their_session_ends(app):
    make_admin(email="boss@example.org")
    user = make_user(email="mayor@turin.example")
    db.session.commit()
    admin, mayor = app.test_client(), app.test_client()
    log_in(admin, "boss@example.org")
    answer_challenge(admin)  # the administrator's code, after the password
    log_in(mayor, user.email)

    response = admin.post(f"/admin/people/{user.id}/deactivate")

    assert response.status_code == 302
    assert not is_logged_in(mayor)
    assert log_in(mayor, user.email).status_code == 422  # refused
    admin.post(f"/admin/people/{user.id}/reactivate")
    assert log_in(mayor, user.email).status_code == 302


def test_an_administrator_cannot_deactivate_themselves_on_the_page(client):
    admin = log_in_as_administrator(client)

    response = client.post(f"/admin/people/{admin.id}/deactivate", follow_redirects=True)

    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert user_by_email("boss@example.org").active
    assert is_logged_in(client)


def test_deactivating_someone_who_does_not_exist_is_a_404(client):
    log_in_as_administrator(client)

    assert client.post("/admin/people/999999/deactivate").status_code == 404


# --- bad input is a form error, never a 500 --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "nul\x00@example.org", "password": "x" * 12}),
        ("/login", {"email": "a@example.org", "password": "x" * 5000}),
        ("/login", {"email": "a" * 5000 + "@example.org", "password": "x" * 12}),
        ("/login", {"email": ["a@example.org", "b@example.org"], "password": "x" * 12}),
        ("/register", {**REGISTRATION, "name": "Ana\x00"}),
        ("/register", {**REGISTRATION, "email": "ana\x00@lisboa.example"}),
        ("/register", {**REGISTRATION, "timezone": "Europe/Lisbon\x00"}),
        ("/register", {**REGISTRATION, "locale": "\x00"}),
        ("/register", {}),
        ("/reset-password", {"email": "nul\x00@example.org"}),
        ("/verify-email/resend", {"email": "\x00"}),
        ("/reset-password/\x00", {"password": "x" * 12, "confirm_password": "x" * 12}),
    ],
)
def test_bad_input_in_the_account_forms_is_never_a_server_error(client, path, data):
    response = client.post(path, data=data)

    assert response.status_code < 500


@pytest.mark.parametrize(
    "query",
    ["?page=99999999999999999999999", "?page=abc", "?q=" + "x" * 5000],
)
def test_odd_searches_in_the_list_of_people_are_never_a_server_error(client, query):
    log_in_as_administrator(client)

    assert client.get("/admin/people" + query).status_code == 200


@pytest.mark.parametrize("query", ["?q=%00", "?role=%00"])
def test_a_search_with_a_control_character_is_refused_with_a_message(client, query):
    log_in_as_administrator(client)

    response = client.get("/admin/people" + query)

    assert response.status_code == 400
    assert "contains a character that can" in response.get_data(as_text=True)


def test_a_control_character_in_the_name_is_explained(client):
    response = client.post("/register", data={**REGISTRATION, "name": "Ana\x00"})

    assert "contains a character that can" in response.get_data(as_text=True)
    assert user_by_email("ana@lisboa.example") is None


def test_the_list_offers_deactivation_to_others_and_reactivation_to_the_deactivated(client):
    active = make_user(name="Ana Lisboa")
    inactive = make_user(name="Tom Cardiff", active=False)
    admin = log_in_as_administrator(client)

    page = client.get("/admin/people").get_data(as_text=True)

    assert f"/admin/people/{active.id}/deactivate" in page
    assert f"/admin/people/{inactive.id}/reactivate" in page
    assert f"/admin/people/{admin.id}/deactivate" not in page
    assert "Deactivated" in page
