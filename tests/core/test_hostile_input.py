"""Every field of every form, and every query-string filter, sent a control character.

PostgreSQL refuses a NUL in text and the exports refuse the other C0 controls, so the site
must refuse them first: a clear message in the form shown again with everything else kept,
or a 4xx page for a link, never a 500. The cases come from the crawled pages of every role
(tests/crawler.py), so a new form or a new field is covered without a line here.
"""

from __future__ import annotations

import html
import json
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask

from app.extensions import db, limiter
from tests.crawler import (
    CRAWL_ROLES,
    CrawledForm,
    FormInput,
    build_world,
    client_for,
    crawl,
    parse_forms,
    route_of,
)

pytestmark = pytest.mark.postgres

NUL = "a\x00b"
ESCAPE = "a\x1bb"  # what a terminal's colour codes start with
REFUSAL = "contains a character that can"  # the start of the field error, in English
# Posting these forms ends the session or the account: the rest of the run needs both.
LEFT_ALONE = {"accounts.logout"}


@pytest.fixture
def world(app_context):
    return build_world()


@contextmanager
def undone():
    """Whatever the request commits is rolled back afterwards, so every case starts from the
    same world (and the rate limits from zero)."""
    db.session.close()
    savepoint = db.session.get_bind().begin_nested()
    limiter.reset()
    try:
        yield
    finally:
        db.session.close()
        savepoint.rollback()


def _body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _shown_again(app: Flask, form: CrawledForm, response) -> CrawledForm | None:
    if response.mimetype != "text/html":
        return None
    for candidate in parse_forms(app, form.page, response.get_data(as_text=True)):
        if candidate.endpoint == form.endpoint and set(candidate.names) >= set(form.names) - {
            "action"
        }:
            return candidate
    return None


def _kept(form: CrawledForm, again: CrawledForm, changed: FormInput) -> list[str]:
    """The other typed-in values that the form shown again lost."""
    rendered = {control.name: control.value for control in again.text_inputs()}
    lost = []
    for control in form.text_inputs():
        if control.name == changed.name or control.type == "password" or not control.value:
            continue
        if rendered.get(control.name, "").replace("\r\n", "\n") != control.value.replace(
            "\r\n", "\n"
        ):
            lost.append(control.name)
    return lost


def _attackable(form: CrawledForm) -> list[FormInput]:
    controls = []
    for control in form.inputs:
        if control.name == "csrf_token" or control.type in {"submit", "file", "checkbox"}:
            continue
        if control.is_text or control.type in {"hidden", "select", "select-multiple", "radio"}:
            controls.append(control)
    return list({control.name: control for control in controls}.values())


def _check_post(app, client, form: CrawledForm, control: FormInput, value: str) -> list[str]:
    case = f"POST {form.endpoint} {control.name}={value!r}"
    with undone():
        response = client.post(form.action, data=form.data(**{control.name: value}))
        problems = []
        if response.status_code >= 500:
            return [f"{case}: {response.status_code}"]
        if not control.is_text:
            return problems  # a hidden field or a choice: refused or ignored, never a 500
        if 300 <= response.status_code < 400:
            # A small form on a page of its own may go back there and say why (a flash).
            if REFUSAL in _body(client.get(response.location)):
                return problems
            return [f"{case}: accepted ({response.status_code} to {response.location})"]
        again = _shown_again(app, form, response)
        if again is None:
            if response.status_code < 400:
                problems.append(f"{case}: {response.status_code} without the form")
            return problems
        if REFUSAL not in _body(response):
            problems.append(f"{case}: shown again without saying what is wrong")
        lost = _kept(form, again, control)
        if lost:
            problems.append(f"{case}: the form shown again lost {lost}")
        return problems


def _check_autosave(client, form: CrawledForm, control: FormInput, value: str) -> list[str]:
    url = form.attributes["data-autosave-url"]
    case = f"autosave {form.action} {control.name}={value!r}"
    with undone():
        response = client.post(
            url, data=form.data(**{control.name: value}), headers={"Accept": "application/json"}
        )
    if response.status_code >= 500 or response.mimetype != "application/json":
        return [f"{case}: {response.status_code} {response.mimetype}"]
    if control.is_text and control.type != "hidden":
        error = (response.get_json() or {}).get("error") or {}
        if response.status_code != 422 or error.get("code") != "unstorable_character":
            return [f"{case}: {response.status_code} {json.dumps(response.get_json())[:200]}"]
    return []


def _check_get(client, form: CrawledForm, control: FormInput, value: str) -> list[str]:
    data = form.data(**{control.name: value})
    url = f"{urlsplit(form.action).path}?{urlencode(list(data.items(multi=True)))}"
    case = f"GET {form.endpoint} {control.name}={value!r}"
    response = client.get(url)
    if response.status_code >= 500:
        return [f"{case}: {response.status_code}"]
    if control.is_text and (response.status_code != 400 or REFUSAL not in _body(response)):
        return [f"{case}: {response.status_code}, no message"]
    return []


def _check_links(app, client, urls: list[str]) -> list[str]:
    problems = []
    for url in urls:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        for index, (name, _value) in enumerate(pairs):
            changed = [*pairs[:index], (name, NUL), *pairs[index + 1 :]]
            response = client.get(f"{parts.path}?{urlencode(changed)}")
            if response.status_code >= 500:
                problems.append(f"GET {url} with {name}={NUL!r}: {response.status_code}")
    return problems


def _check_paths(app, client, pages) -> list[str]:
    """A word of a path (a call's slug, a section, a token) with a NUL is not found."""
    adapter = app.url_map.bind(app.config["SERVER_NAME"])
    problems, seen = [], set()
    for page in pages:
        route = route_of(app, page.url)
        if route is None:
            continue
        endpoint, arguments = route
        for name, value in arguments.items():
            if not isinstance(value, str) or (endpoint, name) in seen:
                continue
            seen.add((endpoint, name))
            url = adapter.build(endpoint, {**arguments, name: NUL})
            response = client.get(url)
            if response.status_code >= 500 or response.status_code == 200:
                problems.append(f"GET {url}: {response.status_code}")
    return problems


@pytest.mark.parametrize("role", CRAWL_ROLES)
def test_control_characters_are_refused_clearly_everywhere(app, world, role):
    client = client_for(app, world.users[role])
    site = crawl(app, client)
    forms = [form for form in site.unique_forms() if form.endpoint not in LEFT_ALONE]
    problems: list[str] = []
    cases = 0
    for form in forms:
        for control in _attackable(form):
            values = (NUL, ESCAPE) if control.is_text else (NUL,)
            for value in values:
                cases += 1
                if form.method == "GET":
                    problems += _check_get(client, form, control, value)
                    continue
                problems += _check_post(app, client, form, control, value)
                if "data-autosave-url" in form.attributes:
                    problems += _check_autosave(client, form, control, value)
    problems += _check_links(app, client, site.links_with_query())
    problems += _check_paths(app, client, site.pages)
    assert cases > 0
    assert not problems, f"{len(problems)} of {cases} cases:\n" + "\n".join(problems)


def test_an_anonymous_visitor_gets_not_found_for_a_call_slug_with_a_nul(client):
    response = client.get("/calls/a%00b")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
