"""CSRF protection is on in the tests, as in the app: a form post without the token the
site rendered for this session is refused."""

from __future__ import annotations

from tests.client import token_in
from tests.factories import make_user


def test_a_post_without_a_token_is_refused(client):
    response = client.post(
        "/login", data={"email": "a@b.example", "password": "x"}, csrf_token=None
    )

    assert response.status_code == 400


def test_a_token_rendered_for_another_visitor_is_refused(app, client):
    other_visitor = app.test_client()
    token = token_in(other_visitor.get("/login"))

    response = client.post(
        "/login", data={"email": "a@b.example", "password": "x"}, csrf_token=token
    )

    assert response.status_code == 400


def test_the_token_the_login_page_rendered_is_accepted(client):
    make_user(email="clerk@cardiff.example")
    page = client.get("/login")

    response = client.post(
        "/login",
        data={"email": "clerk@cardiff.example", "password": "wrong password"},
        csrf_token=token_in(page),
    )

    assert response.status_code == 422  # the form again, with its error: the token passed
