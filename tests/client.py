"""The test client posts as a browser does: with the CSRF token a page of the site rendered.

CSRF protection stays on in the tests. Every HTML page this client receives may carry a
token (every form has one, and the layout's language menu is a form); the client keeps the
last one and adds it to a POST that has none, as a field for a form post and as the
`X-CSRFToken` header for a JSON post (what static/js/proposals.js sends). When the client
has seen no page yet, or the page it saw belongs to an earlier session (logging in starts a
new one), it first opens the home page, as a person arriving at the site would.

A test that wants the request without a token says `csrf_token=None`.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from app.accounts.sessions import find_session, is_open, login_id, start_session
from app.extensions import db

TOKEN_INPUT = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|'
    r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NOT_GIVEN: Any = object()


def token_in(response) -> str | None:
    """The CSRF token a page rendered (None when it has no form)."""
    match = TOKEN_INPUT.search(response.get_data(as_text=True))
    return (match.group(1) or match.group(2)) if match else None


def without_token(response) -> str:
    """The page's HTML with its CSRF token blanked: two visitors' pages differ only there."""
    return TOKEN_INPUT.sub('<input name="csrf_token" value="">', response.get_data(as_text=True))


def new_login_id(user) -> str:
    """What a login cookie carries for a new session of this person (app/accounts/sessions.py),
    committed: a view's rollback must not end it."""
    _session, key = start_session(user=user, user_agent="", address=None, remembered=False)
    cookie_login_id = login_id(user, key)
    db.session.commit()
    return cookie_login_id


def log_in(client, user) -> None:
    """The person is logged in on this client, as after the login form (without its cost);
    already logged in as them here, the client keeps its session (nothing is written)."""
    with client.session_transaction() as session:
        current = session.get("_user_id")
    found = find_session(current) if current else None
    if found is not None and found[0].id == user.id and is_open(found[1]):
        return
    cookie_login_id = new_login_id(user)
    with client.session_transaction() as session:
        session["_user_id"] = cookie_login_id
        session["_fresh"] = True


class BrowserLikeClient(FlaskClient):
    rendered_token: str | None = None

    def open(self, *args: Any, csrf_token: Any = NOT_GIVEN, **kwargs: Any):
        method = str(kwargs.get("method", "GET")).upper()
        if method in UNSAFE_METHODS and csrf_token is not None and not self._has_token(kwargs):
            token = self.rendered_token if csrf_token is NOT_GIVEN else csrf_token
            if csrf_token is NOT_GIVEN and not self._belongs_to_this_session(token):
                token = self._token_from_home_page()
            self._add_token(kwargs, token)
        response = super().open(*args, **kwargs)
        self._remember_token(response)
        return response

    # --- reading the pages ----------------------------------------------------------------

    def _remember_token(self, response) -> None:
        if response.mimetype != "text/html":
            return
        token = token_in(response)
        if token:
            self.rendered_token = token

    def _token_from_home_page(self) -> str | None:
        self.rendered_token = None
        self.get("/")
        return self.rendered_token

    def _belongs_to_this_session(self, token: str | None) -> bool:
        """The token was signed over this session's secret (a new session has another one)."""
        if token is None:
            return False
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        try:
            raw = serializer.loads(token)
        except BadData:
            return False
        with self.session_transaction() as session:
            return session.get("csrf_token") == raw

    # --- adding the token -----------------------------------------------------------------

    @staticmethod
    def _has_token(kwargs: dict) -> bool:
        data = kwargs.get("data")
        headers = kwargs.get("headers") or {}
        return bool(
            (isinstance(data, dict | MultiDict) and "csrf_token" in data)
            or "X-CSRFToken" in dict(headers)
        )

    @staticmethod
    def _add_token(kwargs: dict, token: str | None) -> None:
        if token is None:
            return
        if "json" in kwargs or isinstance(kwargs.get("data"), str | bytes):
            headers = dict(kwargs.get("headers") or {})
            headers["X-CSRFToken"] = token
            kwargs["headers"] = headers
            return
        data = kwargs.get("data")
        if data is None:
            kwargs["data"] = {"csrf_token": token}
        elif isinstance(data, MultiDict):
            data = data.copy()
            data["csrf_token"] = token
            kwargs["data"] = data
        else:
            kwargs["data"] = {**data, "csrf_token": token}
