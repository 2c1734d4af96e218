"""The embedded default as `make run` serves it: an SQLite file, tasks in-process, CSRF on.

Unlike the rest of the suite (PostgreSQL or in-memory SQLite, each test rolled back), every
test here has its own SQLite file, commits as the app does, and reads the file back from
other connections. Nothing here needs PostgreSQL or Redis.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import DevelopmentConfig


@pytest.fixture(autouse=True)
def _isolated_database() -> Iterator[None]:
    """Replaces the suite's rolled-back transaction: these tests commit to their own file."""
    yield


@pytest.fixture
def database_file(tmp_path) -> Path:
    return tmp_path / "dialogue_cafe.db"


@pytest.fixture
def embedded_app(tmp_path, database_file) -> Iterator[Flask]:
    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database_file}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        EXPORT_FOLDER = str(tmp_path / "exports")
        TASK_DISPATCH = "in_process"
        MAIL_BACKEND = "console"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def read_row(database_file: Path, query: str, *parameters) -> tuple | None:
    """One row read on a connection of its own, as the progress page's request would."""
    with sqlite3.connect(database_file) as connection:
        row = connection.execute(query, parameters).fetchone()
    connection.close()
    return row


def page_form(html: str, action_ends_with: str) -> dict[str, str]:
    """The values a browser would send from the page's form whose action ends so."""
    document = lxml.html.fromstring(html)
    for form in document.forms:
        if (form.action or "").split("?")[0].endswith(action_ends_with):
            return dict(form.form_values())
    raise AssertionError(f"no form posting to ...{action_ends_with} on the page")


def post_form(client: FlaskClient, page_url: str, action: str, **changes: str):
    """Open the page, fill its form as rendered (CSRF token included), change a few fields."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    values = {**page_form(page.get_data(as_text=True), action), **changes}
    return client.post(action, data=values)


def log_in(client: FlaskClient, email: str, password: str) -> None:
    response = post_form(client, "/login", "/login", email=email, password=password)
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.location.endswith("/login/two-factor"):
        # An administrator types the code their authenticator app shows.
        from tests.accounts.two_factor_helpers import code_for

        challenge = "/login/two-factor"
        response = post_form(client, challenge, challenge, code=code_for())
        assert response.status_code == 302, response.get_data(as_text=True)
