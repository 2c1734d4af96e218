"""A write that still finds the embedded database busy when its wait ends (another process
holds SQLite's one write lock) is refused with a 409 that says to try again, never a 500;
the same request sent again afterwards is saved."""

from __future__ import annotations

import sqlite3

import pytest

from tests.embedded.conftest import log_in, page_form
from tests.embedded.server import CITY_EMAIL, seed
from tests.factories import PASSWORD


@pytest.fixture
def section(embedded_app):
    """The city's venue section, as its page rendered it, and a client logged in as the city."""
    proposal_id = seed()
    client = embedded_app.test_client()
    log_in(client, CITY_EMAIL, PASSWORD)
    path = f"/proposals/{proposal_id}/sections/venue"
    page = client.get(path)
    form = {**page_form(page.get_data(as_text=True), path), "opening_hours": "Every day"}
    return client, path, form


@pytest.fixture
def write_lock_held_elsewhere(database_file):
    """Another process's transaction holds the write lock longer than the busy timeout."""
    other = sqlite3.connect(database_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.rollback()
    other.close()


def test_an_autosave_that_finds_the_database_busy_gets_a_409_to_try_again(
    section, write_lock_held_elsewhere
):
    client, path, form = section
    headers = {"Accept": "application/json", "X-CSRFToken": form["csrf_token"]}

    response = client.post(f"{path}/autosave", data=form, headers=headers)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "busy"
    assert "try again" in error["message"]
    write_lock_held_elsewhere.rollback()
    again = client.post(f"{path}/autosave", data=form, headers=headers)
    assert again.status_code == 200 and again.get_json()["changed"]


def test_a_form_posted_while_the_database_is_busy_gets_a_page_saying_try_again(
    section, write_lock_held_elsewhere
):
    client, path, form = section

    response = client.post(path, data=form)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Too many changes at the same moment" in page
    assert "Please go back and try again" in page
