"""Browser tests: headless Chromium, and the app as a real server on either stack
(tests/servers.py: the embedded default, or PostgreSQL + Redis + gunicorn + a Celery worker),
seeded by tests/e2e/server.py.

When a browser test fails, a screenshot and the HTML of every page it had open are kept in
`test-artifacts/browser/<test>/` at the top of the checkout (the README names the folder).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, embedded, services

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts" / "browser"
PASSWORD = "a long enough pass phrase"
TIMEOUT_MS = 20_000


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_available() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {CHROMIUM} is missing: .ci/run must install chromium")
        pytest.skip(f"service missing: chromium ({CHROMIUM}) is not installed")


@pytest.fixture(scope="session")
def browser(browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


def new_context(browser, **options):
    """A fresh browser profile, in English and Lisbon's time, unless told otherwise."""
    context = browser.new_context(**{"locale": "en-GB", "timezone_id": "Europe/Lisbon", **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def browser_context(browser, request, **options):
    """A fresh browser profile for one test; on failure its pages are kept as PNG and HTML."""
    context = new_context(browser, **options)
    yield context
    if getattr(request.node, "browser_test_failed", False):
        keep_pages([context], request.node.name)
    context.close()


@pytest.fixture
def context(browser, request):
    yield from browser_context(browser, request)


@pytest.fixture
def person(browser, request):
    """`person()` opens a page in a browser of its own (its own cookies): one per person;
    `person(locale="ar", viewport=...)` one with other settings."""
    contexts = []

    def new_person(**options):
        contexts.append(new_context(browser, **options))
        return contexts[-1].new_page()

    yield new_person
    if getattr(request.node, "browser_test_failed", False):
        keep_pages(contexts, request.node.name)
    for context in contexts:
        context.close()


def keep_pages(contexts, test_name: str) -> None:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages, start=1):
        try:
            page.screenshot(path=str(folder / f"page-{number}.png"), full_page=True)
            (folder / f"page-{number}.html").write_text(page.content())
        except Exception as error:  # a closed page: say so, keep the others
            (folder / f"page-{number}.txt").write_text(f"{page.url}: {error}")
    print(f"\nbrowser pages kept in {folder}")


@pytest.fixture(scope="module", params=["embedded", "services"])
def server(request, tmp_path_factory, browser_available) -> Iterator[Server]:
    """The app served on each stack in turn (the module's tests run once on each)."""
    folder = tmp_path_factory.mktemp(f"e2e-{request.param}")
    start = embedded if request.param == "embedded" else services
    yield from start(folder)
