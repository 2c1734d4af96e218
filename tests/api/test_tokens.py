"""Personal API tokens: created on the settings page and shown once, stored as a digest,
read-only unless made for writing, refused once revoked or expired; the browser's session
never opens the API; an administrator with two-factor types a code for a writing token."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine

from app.accounts.models import ApiToken
from app.db import utcnow
from app.extensions import db
from tests.api.helpers import bearer, token_of
from tests.client import log_in
from tests.factories import make_call, make_user


def test_a_person_creates_a_token_on_the_settings_page_and_sees_it_once(client):
    person = make_user()
    db.session.commit()
    log_in(client, person)
    page = client.get("/settings").get_data(as_text=True)
    assert "/settings/api-tokens" in page
    client.get("/settings/api-tokens")
    created = client.post("/settings/api-tokens", data={"name": "Grant database", "days": "30"})
    assert created.status_code == 200
    secret = re.search(r'value="(dcc_[\w-]+)"', created.get_data(as_text=True)).group(1)
    (stored,) = db.session.query(ApiToken).all()
    assert secret not in (stored.token_hash, stored.prefix) and secret.startswith(stored.prefix)
    assert secret not in client.get("/settings/api-tokens").get_data(as_text=True)
    assert client.get("/api/v1/calls", headers=bearer(secret)).status_code == 200


def test_a_token_without_a_name_is_refused_on_the_form(client):
    person = make_user()
    db.session.commit()
    log_in(client, person)
    client.get("/settings/api-tokens")
    refused = client.post("/settings/api-tokens", data={"name": "", "days": "30"})
    assert refused.status_code == 422
    assert db.session.query(ApiToken).count() == 0


def test_the_api_is_closed_to_a_browser_session_and_to_a_wrong_token(client):
    person = make_user()
    db.session.commit()
    log_in(client, person)
    for headers in ({}, bearer("dcc_not-a-token"), {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/calls", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_or_expired_token_is_refused(client):
    person = make_user()
    secret = token_of(person, days=7)
    assert client.get("/api/v1/calls", headers=bearer(secret)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=8)):
        assert client.get("/api/v1/calls", headers=bearer(secret)).status_code == 401
    log_in(client, person)
    client.get("/settings/api-tokens")
    (token,) = db.session.query(ApiToken).all()
    revoked = client.post(f"/settings/api-tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    assert client.get("/api/v1/calls", headers=bearer(secret)).status_code == 401


def test_another_persons_token_cannot_be_revoked(client):
    owner, other = make_user(), make_user()
    token_of(owner)
    log_in(client, other)
    client.get("/settings/api-tokens")
    (token,) = db.session.query(ApiToken).all()
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_a_read_only_token_may_not_change_anything(client):
    person = make_user()
    secret = token_of(person)
    response = client.post("/api/v1/calls", headers=bearer(secret))
    assert response.status_code in (403, 405)


def test_an_administrator_with_two_factor_types_a_code_for_a_writing_token(client, admin):
    from tests.factories import TEST_TOTP_SECRET

    db.session.commit()
    log_in(client, admin)
    client.get("/settings/api-tokens")
    refused = client.post(
        "/settings/api-tokens", data={"name": "Pipeline", "days": "30", "can_write": "y"}
    )
    assert refused.status_code == 422
    assert db.session.query(ApiToken).count() == 0
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    created = client.post(
        "/settings/api-tokens",
        data={"name": "Pipeline", "days": "30", "can_write": "y", "code": code},
    )
    assert created.status_code == 200
    assert db.session.query(ApiToken).one().can_write


def test_a_draft_call_is_seen_by_administrators_only(client, admin):
    from app.calls.models import CallState

    draft = make_call(state=CallState.DRAFT)
    city = make_user()
    city_secret, admin_secret = token_of(city), token_of(admin)
    city_calls = client.get("/api/v1/calls", headers=bearer(city_secret)).get_json()
    admin_calls = client.get("/api/v1/calls", headers=bearer(admin_secret)).get_json()
    assert draft.id not in {call["id"] for call in city_calls}
    assert draft.id in {call["id"] for call in admin_calls}
    assert client.get(f"/api/v1/calls/{draft.id}", headers=bearer(city_secret)).status_code == 404
    one = client.get(f"/api/v1/calls/{draft.id}", headers=bearer(admin_secret))
    assert one.status_code == 200 and len(one.get_json()["criteria"]) == len(draft.criteria)
    again = client.get(
        f"/api/v1/calls/{draft.id}",
        headers={**bearer(admin_secret), "If-None-Match": one.headers["ETag"]},
    )
    assert again.status_code == 304


def test_the_openapi_document_and_the_reference_page_are_served_by_the_app(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.") and "/api/v1/calls" in document["paths"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page and "//cdn" not in page
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as script:  # closes the file
        assert script.status_code == 200


def test_a_token_over_its_rate_limit_is_told_when_to_come_back(app, client):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    person = make_user()
    secret, other = token_of(person), token_of(person)
    for _ in range(2):
        assert client.get("/api/v1/calls", headers=bearer(secret)).status_code == 200
    refused = client.get("/api/v1/calls", headers=bearer(secret))
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/calls", headers=bearer(other)).status_code == 200  # per token


def test_a_browser_session_cannot_change_anything_through_the_api(client, admin):
    """The API needs no CSRF token because no cookie opens it: a page that makes a logged-in
    organiser's browser post to it gets 401, and nothing starts."""
    from app.jobs.models import Job

    call = make_call()
    db.session.commit()
    log_in(client, admin)
    response = client.post(
        f"/api/v1/calls/{call.id}/exports", json={"format": "csv"}, csrf_token=None
    )
    assert response.status_code == 401
    assert db.session.query(Job).count() == 0
