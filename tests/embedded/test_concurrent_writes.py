"""Writes at the same moment on the embedded default, against a real threaded server as
`make run` serves it: eight autosaves of one section and two submits of one proposal answer
200 or 409 (302 for a submit), never 500, and leave one new version, one revision and one
confirmation email. A write still waiting when the busy timeout ends is a 409, never a 500."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.embedded.conftest import page_form
from tests.embedded.server import CITY_EMAIL
from tests.factories import PASSWORD
from tests.servers import Server, embedded

REPOSITORY = Path(__file__).resolve().parents[2]
AUTOSAVES = 8


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """A 302 is an answer to look at, as a browser's network panel shows it."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


class Browser:
    """One person's browser: cookies kept, forms posted as the page rendered them."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _KeepRedirects()
        )

    def open(self, path: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        # Our own server on 127.0.0.1, over http.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=urlencode(data).encode() if data is not None else None,
            headers=headers or {},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read().decode())

    def form_of(self, page: str, action: str) -> dict[str, str]:
        answer = self.open(page)
        assert answer.status == 200, (page, answer.status)
        return page_form(answer.body, action)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    yield from embedded(tmp_path_factory.mktemp("embedded"), module="tests.embedded.server")


@pytest.fixture(scope="module")
def city(server) -> tuple[Browser, int]:
    """The city, logged in through the login page, and its draft proposal."""
    browser = Browser(server.url)
    login = browser.form_of("/login", "/login")
    answer = browser.open("/login", {**login, "email": CITY_EMAIL, "password": PASSWORD})
    assert answer.status == 302, answer.body
    [(proposal_id,)] = server.rows("SELECT id FROM proposals")
    return browser, proposal_id


def _at_once(count: int, send) -> list[Answer]:
    """`send(number)` from `count` threads released together, as simultaneous requests."""
    start = threading.Barrier(count)
    answers: list[Answer | None] = [None] * count

    def run(number: int) -> None:
        start.wait()
        answers[number] = send(number)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_simultaneous_autosaves_of_one_section_answer_200_or_409(server, city):
    browser, proposal_id = city
    section = f"/proposals/{proposal_id}/sections/venue"
    form = browser.form_of(section, f"{section}")
    [(version_before,)] = server.rows("SELECT version FROM proposals")

    def autosave(number: int) -> Answer:
        return browser.open(
            f"{section}/autosave",
            {**form, "opening_hours": f"Every day, 10:00-{12 + number}:00"},
            {"Accept": "application/json", "X-CSRFToken": form["csrf_token"]},
        )

    answers = _at_once(AUTOSAVES, autosave)

    statuses = sorted(answer.status for answer in answers)
    unexpected = [answer.body[:300] for answer in answers if answer.status not in (200, 409)]
    assert set(statuses) <= {200, 409}, unexpected
    saved = [answer.json() for answer in answers if answer.status == 200]
    assert len(saved) == 1 and saved[0]["changed"], statuses
    refused = [answer.json()["error"] for answer in answers if answer.status == 409]
    assert all(error["code"] and error["message"] for error in refused)
    [(version_after, answers_json)] = server.rows("SELECT version, answers FROM proposals")
    assert version_after == version_before + 1 == saved[0]["version"]
    winner = next(a for a in answers if a.status == 200)
    winning_hours = dict(json.loads(answers_json))["venue"]["opening_hours"]
    assert winning_hours == f"Every day, 10:00-{12 + answers.index(winner)}:00"
    assert "Traceback" not in server.log.read_text()


def test_two_simultaneous_submits_give_one_revision_and_one_email(server, city):
    browser, proposal_id = city
    page = f"/proposals/{proposal_id}/submit"
    form = browser.form_of(page, page)

    answers = _at_once(2, lambda number: browser.open(page, form))

    assert [answer.status for answer in answers] == [302, 302], [a.body[:300] for a in answers]
    assert server.rows("SELECT state FROM proposals") == [("submitted",)]
    assert server.rows("SELECT count(*) FROM proposal_revisions") == [(1,)]
    assert server.rows(
        "SELECT count(*) FROM notifications WHERE template = 'proposal_submitted'"
    ) == [(1,)]
    assert "Traceback" not in server.log.read_text()
