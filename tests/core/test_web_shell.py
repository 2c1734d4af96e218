"""The shell every page shares: security headers, error pages, probes, language choice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.extensions import db
from config import TestingConfig


@pytest.fixture
def failing_app():
    """A separate app with routes that fail on purpose."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Config)

    @app.get("/boom")
    def boom():
        db.session.add(User(email="half-done@example.org", name="Half done"))
        db.session.flush()
        raise RuntimeError("something broke")

    @app.get("/after-boom")
    def after_boom():
        return {"users": len(db.session.scalars(select(User)).all())}

    with app.app_context():
        db.create_all()
    return app


def test_every_response_has_security_headers(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_not_found_is_an_html_page_for_browsers(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Page not found" in response.data
    assert b'href="#main"' in response.data  # the skip link of the base layout


def test_not_found_is_json_for_api_clients(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "Page not found"}}


def test_wrong_method_says_which_methods_are_allowed(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_is_a_500_page_and_rolls_back(failing_app):
    client = failing_app.test_client()
    response = client.get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
    assert b"something broke" not in response.data  # no internals leak
    json_response = client.get("/boom", headers={"Accept": "application/json"})
    assert json_response.get_json()["error"]["code"] == "internal_error"
    assert client.get("/after-boom").get_json() == {"users": 0}


def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == {"ok": True}


def test_readyz_is_503_when_the_broker_is_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TASK_DISPATCH", "celery")
    monkeypatch.setitem(
        app.config, "CELERY", {**app.config["CELERY"], "broker_url": "redis://127.0.0.1:1/0"}
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_language_follows_the_browser_then_the_visitor_choice(client):
    page = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert b'<html lang="fr"' in page.data
    response = client.post("/locale", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert b'<html lang="en"' in page.data


def test_language_choice_never_redirects_off_site(client):
    response = client.post("/locale", data={"locale": "pt", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for():
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        PROXY_COUNT = 1

    proxied = create_app(Config)

    @proxied.get("/whoami")
    def whoami():
        from flask import request

        return {"address": request.remote_addr, "scheme": request.scheme}

    response = proxied.test_client().get(
        "/whoami", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert response.get_json() == {"address": "203.0.113.7", "scheme": "https"}


def test_a_logged_in_persons_pages_are_never_stored_and_public_ones_may_be(app_context, client):
    from tests.client import log_in
    from tests.factories import make_user

    public = client.get("/login")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    city = make_user()
    db.session.commit()
    log_in(client, city)
    for path in ("/", "/settings"):
        response = client.get(path, follow_redirects=True)
        assert response.headers["Cache-Control"] == "no-store", path
    style = client.get("/static/css/app.css")
    assert "no-store" not in style.headers.get("Cache-Control", "")
    style.close()
