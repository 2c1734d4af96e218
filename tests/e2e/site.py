"""Every page of every role in the browser, found as a person finds them: by following links
from the home page (tests/crawler.py's rules: one URL per shape of page, no logout and no
downloads), after logging in as the role and choosing the language in the menu.

The accessibility and zoom tests check each page as the browser shows it (styles and
scripts applied), so a new page is checked without anyone adding it to a list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawler import CRAWL_ROLES, Crawl, Fetched, Page, crawl_with
from tests.e2e.people import log_in_at
from tests.e2e.world_server import PEOPLE_FILE
from tests.servers import Server, embedded

DEMO_PASSWORD = "dialogue-demo-2026"  # the demo's people (app/demo/seed.py)
ROLES = CRAWL_ROLES  # anonymous, city, reviewer, administrator
# Pages no link leads to, checked as well: what a mistyped address shows.
UNLINKED_PAGES = {"anonymous": ("/a-page-that-does-not-exist",)}

# Pages each role must reach by links alone, so that a crawl that stops early fails.
REACHED = {
    "anonymous": {
        "calls.index",
        "calls.public_call",
        "accounts.login",
        "accounts.register",
        "accounts.forgot_password",
    },
    "city": {
        "proposals.my_proposals",
        "proposals.edit_section",
        "proposals.submit",
        "proposals.answer_clarification",
        "proposals.withdraw",
        "accounts.settings",
    },
    "reviewer": {"reviews.queue", "reviews.review", "reviews.profile"},
    "administrator": {
        "proposals.admin_calls",
        "proposals.admin_list",
        "proposals.admin_detail",
        "calls.admin_edit",
        "calls.admin_criteria",
        "calls.admin_questions",
        "reviews.dashboard",
        "shortlists.detail",
        "shortlists.publish_preview",
        "notifications.outbox",
        "accounts.admin_users",
    },
}


@dataclass
class World:
    server: Server
    people: dict[str, str]  # role -> email


def world(folder: Path) -> Iterator[World]:
    """The crawl world served on the embedded stack (tests/e2e/world_server.py)."""
    for server in embedded(folder, "tests.e2e.world_server"):
        people = json.loads((folder / PEOPLE_FILE).read_text())
        yield World(server, people)


@cache
def routing_app():
    """An app in the test process, only to tell which endpoint a URL is (never served)."""
    from app import create_app

    return create_app("testing")


def enter_as(page, world: World, role: str, language: str) -> None:
    """Log in as the role (a visitor stays anonymous) and choose the language in the menu,
    as a person does; a visitor's browser asks for it (the context's locale) instead."""
    if role != "anonymous":
        log_in_at(page, world.server, world.people[role], DEMO_PASSWORD)
    else:
        page.goto(world.server.url + "/")
    menu = page.locator("#locale-select")
    offered = menu.locator("option").evaluate_all("(options) => options.map((o) => o.value)")
    if language not in offered:
        pytest.fail(f"the language menu does not offer {language!r} yet (it offers {offered})")
    if menu.input_value() != language:
        with page.expect_navigation():
            menu.select_option(language)
    assert page.locator("html").get_attribute("lang") == language


Check = Callable[[object], None]


def visit_every_page(page, world: World, role: str, check: Check, *, per_shape: int = 1) -> Crawl:
    """Every page the role reaches from the home page, `check(page)` run on each one shown."""
    base = world.server.url

    def fetch(path: str) -> Fetched:
        from playwright.sync_api import Error

        try:
            response = page.goto(base + path)
        except Error as error:  # a file, not a page (the browser downloads it)
            return Fetched(0, "", str(error))
        mimetype = (response.headers.get("content-type", "") if response else "").split(";")[0]
        status = response.status if response else 0
        if mimetype == "text/html":
            check(page)
        landed = urlsplit(page.url)
        return Fetched(status, mimetype, page.content(), landed.path + _query(landed.query))

    site = crawl_with(routing_app(), fetch, start=("/",), per_shape=per_shape)
    for path in UNLINKED_PAGES.get(role, ()):
        site.pages.append(Page(url=path, status=fetch(path).status, endpoint="(no such page)"))
    return site


def _query(query: str) -> str:
    return f"?{query}" if query else ""


def reached(site: Crawl) -> set[str]:
    return {page.endpoint for page in site.pages}


def page_list(site: Crawl) -> str:
    return "\n".join(f"  {page.status} {page.url} ({page.endpoint})" for page in site.pages)
