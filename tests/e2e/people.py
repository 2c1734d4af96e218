"""What people do in the browser, step by step, as the browser tests say it: only clicks,
typing and what is on the screen (an email is read from the outbox, as from a mailbox)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.conftest import PASSWORD
from tests.e2e.server import CALL_SLUG
from tests.proposals.helpers import minimal_pdf
from tests.servers import Server


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


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


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    # The form's one button, whatever language the browser asked the page in.
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url or "/login/two-factor" in url)
    if "/login/two-factor" in page.url:
        # An administrator: the code their authenticator app shows (the demo's key).
        page.fill("#code", authenticator_code())
        page.locator("form:has(#code) button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)


_last_step: dict[str, int] = {}


def authenticator_code() -> str:
    """The demo administrator's code, as their phone shows it. A code is accepted once:
    the next login in the same 30 seconds takes the next step's code, and after that one
    waits for the phone's next code, as a person would."""
    import pyotp

    from app.demo.seed import DEMO_TOTP_SECRET

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    step = max(totp.timecode(datetime.now(UTC)), _last_step.get(DEMO_TOTP_SECRET, -1) + 1)
    while step > totp.timecode(datetime.now(UTC)) + 1:  # beyond what the app accepts yet
        time.sleep(1)
    _last_step[DEMO_TOTP_SECRET] = step
    return totp.generate_otp(step)


def log_in_at(page, server: Server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    log_in(page, email, password)


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


def start_proposal(page, server: Server) -> None:
    """From the browser test call's page to the first section, eligibility answered."""
    page.goto(f"{server.url}/calls/{CALL_SLUG}")
    page.get_by_role("link", name="Apply for your city").first.click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/sections/city$"))


def wait_until_autosaved(page) -> None:
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^\s*Saved at"))


def save_and_continue(page, next_section: str) -> None:
    page.get_by_role("button", name=re.compile(r"^Save and (continue|check)$")).click()
    page.wait_for_url(re.compile(rf"/sections/{next_section}$"))


def fill_from_partners_to_submission(page, folder: Path, *, letter_name: str) -> None:
    """From the partners section on: every answer, a letter of support, then submit."""
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

    letter = folder / letter_name
    letter.write_bytes(minimal_pdf())
    page.set_input_files("#file", str(letter))
    page.select_option("#kind", "letter_of_support")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("table.attachments")).to_contain_text(letter_name)

    page.get_by_role("link", name="Check and submit").first.click()
    expect(page.locator("main")).to_contain_text("Every required answer is there")
    page.get_by_role("button", name="Submit my proposal").click()
    expect(page.locator("h1")).to_contain_text("your proposal is submitted")
