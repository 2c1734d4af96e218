"""A city's whole flow in headless Chromium, against the app running as a real server.

Register, confirm the address, log in, pass eligibility, fill two sections by typing
(autosave), reload and find everything, complete the form, upload a letter, submit and
see the confirmation. A second test cuts the connection and ends the session mid-typing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.server import CALL_SLUG
from tests.proposals.helpers import minimal_pdf

pytestmark = pytest.mark.browser

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
PASSWORD = "a long enough pass phrase"
TIMEOUT_MS = 20_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    database: Path
    log: Path

    def rows(self, query: str, *parameters) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(query, parameters).fetchall()

    def region_of(self, email: str) -> str:
        [(region,)] = self.rows(
            "SELECT region FROM proposals JOIN users ON users.id = proposals.owner_id "
            "WHERE users.email = ?",
            email,
        )
        return region

    def context_of(self, template: str, recipient: str) -> dict:
        [(context,)] = self.rows(
            "SELECT context FROM notifications WHERE template = ? AND recipient_email = ?",
            template,
            recipient,
        )
        return json.loads(context)


@pytest.fixture(scope="module")
def browser_available() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {CHROMIUM} is missing: .ci/run must install chromium")
        pytest.skip(f"service missing: chromium ({CHROMIUM}) is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser_available) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    database = folder / "call.sqlite"
    log = folder / "server.log"
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "EXPORT_FOLDER": str(folder / "exports"),
        "INSTANCE_PATH": str(folder / "instance"),
        "SERVER_NAME": f"127.0.0.1:{port}",
        "SECRET_KEY": "browser-test-secret",
        "MAIL_BACKEND": "console",
        "TASK_DISPATCH": "in_process",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.server", str(port)],
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # Our own server on 127.0.0.1, over http.
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the app server did not start:\n" + log.read_text())
            time.sleep(0.3)
        yield Server(url=url, database=database, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Lisbon")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def register_and_log_in(page, server: Server, *, name: str, email: str) -> None:
    page.goto(f"{server.url}/register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm_password", PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/login"))
    link = server.context_of("verify_email", email)["link"]
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    page.wait_for_url(re.compile(r"/login"))
    log_in(page, email)


def log_in(page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def start_proposal(page, server: Server) -> None:
    page.goto(f"{server.url}/calls/{CALL_SLUG}")
    page.get_by_role("link", name="Apply for your city").first.click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/sections/city$"))


def wait_until_autosaved(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#save-status")).to_have_text(re.compile(r"^\s*Saved at"))


def save_and_continue(page, next_section: str) -> None:
    page.get_by_role("button", name=re.compile(r"^Save and (continue|check)$")).click()
    page.wait_for_url(re.compile(rf"/sections/{next_section}$"))


def test_a_city_goes_from_the_call_page_to_a_submitted_proposal(context, server, tmp_path):
    from playwright.sync_api import expect

    page = context.new_page()
    email = "ana@lisboa.example"
    register_and_log_in(page, server, name="Ana Lisboa", email=email)
    start_proposal(page, server)

    # Two sections typed, never saved by hand: autosave keeps them.
    page.fill("#city", "Lisboa")
    page.select_option("#country_code", "PT")
    page.fill("#region", "Área Metropolitana de Lisboa")
    page.fill("#population", "545000")
    wait_until_autosaved(page)
    expect(page.locator(".section-nav li[data-section='city']")).to_have_class(
        re.compile("is-complete")
    )
    page.get_by_role("link", name=re.compile("Applying organisation")).click()
    page.fill("#organisation", "Câmara Municipal de Lisboa")
    page.fill("#contact_role", "Head of culture")
    page.fill("#contact_phone", "+351 21 000 0000")
    wait_until_autosaved(page)

    page.reload()
    expect(page.locator("#organisation")).to_have_value("Câmara Municipal de Lisboa")
    expect(page.locator("#contact_phone")).to_have_value("+351 21 000 0000")
    expect(page.locator("#contact_email")).to_have_value(email)
    page.get_by_role("link", name=re.compile("Your city")).click()
    expect(page.locator("#city")).to_have_value("Lisboa")
    expect(page.locator("#country_code")).to_have_value("PT")
    expect(page.locator("#population")).to_have_value("545000")

    # The rest of the form with the plain Save button.
    page.get_by_role("link", name=re.compile("Partner organisations")).click()
    page.fill("#partners-0-organisation", "Casa da Cultura")
    page.select_option("#partners-0-kind", "cultural")
    page.check("#partners-0-offers_people")
    page.check("#partners-0-offers_space")
    page.check("#partners-0-offers_networks")
    save_and_continue(page, "venue")
    page.fill("#address", "Rua Augusta 1, 1100-048 Lisboa")
    page.fill("#accessibility", "Step-free entrance; metro at 100 m.")
    page.fill("#opening_hours", "Tuesday to Sunday, 10:00-22:00")
    page.fill("#floor_area", "72")
    save_and_continue(page, "technical")
    page.check("#broadband-0")
    page.check("#video_wall_room-0")
    page.check("#staff-1")
    save_and_continue(page, "narratives")
    narratives = page.locator("textarea[data-max-length]")
    for index in range(narratives.count()):
        narratives.nth(index).fill(f"Our answer number {index + 1}, in a few words.")
    first_id = narratives.first.get_attribute("id")
    typed = len("Our answer number 1, in a few words.")
    expect(page.locator(f"#{first_id}-counter")).to_contain_text(f"{typed} of 3000 characters")
    save_and_continue(page, "programme")
    page.fill("#programme_ideas", "Young people of Lisbon, Maputo and Rio talk about home.")
    page.fill("#linked_cities", "Maputo, Rio de Janeiro, Turin.")
    save_and_continue(page, "funding")
    page.fill("#funding", "The city gives the space; a foundation the equipment.")
    page.fill("#sustainability", "A five-year agreement with the university.")
    save_and_continue(page, "attachments")

    letter = tmp_path / "Carta de apoio.pdf"
    letter.write_bytes(minimal_pdf())
    page.set_input_files("#file", str(letter))
    page.select_option("#kind", "letter_of_support")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("table.attachments")).to_contain_text("Carta de apoio.pdf")

    page.get_by_role("link", name="Check and submit").first.click()
    expect(page.locator("main")).to_contain_text("Every required answer is there")
    page.get_by_role("button", name="Submit my proposal").click()
    expect(page.locator("h1")).to_contain_text("your proposal is submitted")
    expect(page.locator("main")).to_contain_text("submission 1")

    [(state,)] = server.rows("SELECT state FROM proposals")
    assert state == "submitted"
    confirmation = server.context_of("proposal_submitted", email)
    assert confirmation["revision"] == 1
    assert confirmation["attachments"] == ["Carta de apoio.pdf"]
    assert "Câmara Municipal de Lisboa" in json.dumps(confirmation, ensure_ascii=False)


def test_typed_text_survives_a_lost_connection_a_reload_and_an_ended_session(context, server):
    from playwright.sync_api import expect

    page = context.new_page()
    email = "rui@porto.example"
    register_and_log_in(page, server, name="Rui Porto", email=email)
    start_proposal(page, server)
    storage_key = page.locator("#section-form").get_attribute("data-storage-key")

    # Offline: the text stays in the browser and goes out when the connection is back.
    context.set_offline(True)
    page.fill("#region", "Norte (typed offline)")
    expect(page.locator("#save-status")).to_contain_text(re.compile("offline|trying again"))
    assert "typed offline" in page.evaluate(f"localStorage.getItem('{storage_key}')")
    context.set_offline(False)
    wait_until_autosaved(page)

    # Saves fail, the page is reloaded: the unsent text comes back and is saved.
    page.route("**/autosave", lambda route: route.abort())
    page.fill("#region", "Norte (typed before a reload)")
    expect(page.locator("#save-status")).to_contain_text("trying again")
    page.unroute("**/autosave")
    page.reload()
    expect(page.locator("#autosave-notice")).to_contain_text("We restored text")
    expect(page.locator("#region")).to_have_value("Norte (typed before a reload)")
    wait_until_autosaved(page)

    # The session ends: the page keeps the text and offers to log in in a new tab.
    context.clear_cookies()
    page.fill("#region", "Norte (typed after the session ended)")
    expect(page.locator("#autosave-notice")).to_contain_text("Your session has ended")
    with context.expect_page() as opened:
        page.locator("#autosave-notice a").click()
    login_tab = opened.value
    login_tab.wait_for_url(re.compile(r"/login"))
    log_in(login_tab, email)
    login_tab.close()
    page.bring_to_front()
    wait_until_autosaved(page)

    page.reload()
    expect(page.locator("#region")).to_have_value("Norte (typed after the session ended)")
    assert server.region_of(email) == "Norte (typed after the session ended)"


def test_two_tabs_never_overwrite_each_other_silently(context, server):
    from playwright.sync_api import expect

    first = context.new_page()
    email = "ines@faro.example"
    register_and_log_in(first, server, name="Inês Faro", email=email)
    start_proposal(first, server)
    second = context.new_page()
    second.goto(first.url)

    first.fill("#region", "Algarve (first tab)")
    wait_until_autosaved(first)
    second.fill("#region", "Algarve (second tab)")
    notice = second.locator("#autosave-notice")
    expect(notice).to_contain_text("changed elsewhere")
    expect(notice).to_contain_text("Algarve (first tab)")
    expect(notice).to_contain_text("Algarve (second tab)")
    assert server.region_of(email) == "Algarve (first tab)"

    second.get_by_role("button", name="Keep my version").click()
    wait_until_autosaved(second)
    assert server.region_of(email) == "Algarve (second tab)"
