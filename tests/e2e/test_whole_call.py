"""A whole call in the browser, on the embedded default and on PostgreSQL + Redis + a worker.

On the demo's open call: a new city applies over two sittings (an upload, then submit); the
organiser closes the call through its confirmation, starts the review and assigns reviewers
automatically (the preview changes nothing); two reviewers score, and the second sees the
first one's scores once their own review is in; the organiser compiles a shortlist watching
the progress bar reach 100 %, publishes the decisions, downloads the XLSX export and opens
it; the city reads its decision. Everything is done from the user's side of the screen.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.e2e.people import (
    expect,
    fill_from_partners_to_submission,
    log_in_at,
    log_out,
    register_and_log_in,
    wait_until_autosaved,
)
from tests.servers import Server

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "dialogue-demo-2026"
ADMIN = "admin@demo.dialoguecafe.org"
CALL_TITLE = "Dialogue Café — Call for Interest to Cities"
CITY_EMAIL = "lucia@porto.example"
CITY = "Porto"


def test_an_organiser_runs_a_call_from_open_to_published_decisions(person, server, tmp_path):
    city = person()
    a_city_applies_over_two_sittings(city, server, tmp_path)

    organiser = person()
    log_in_at(organiser, server, ADMIN, DEMO_PASSWORD)
    the_organiser_closes_the_call_and_starts_the_review(organiser, server)
    reviewers = the_organiser_assigns_reviewers_automatically(organiser)

    a_reviewer_scores(person(), server, reviewers[0], sees_others=False)
    a_reviewer_scores(person(), server, reviewers[1], sees_others=True)

    the_organiser_compiles_a_shortlist(organiser)
    the_organiser_publishes_the_decisions(organiser)
    the_organiser_downloads_the_xlsx_export(organiser, tmp_path)

    the_city_reads_its_decision(city)


# --- the city -------------------------------------------------------------------------------


def a_city_applies_over_two_sittings(page, server: Server, folder: Path) -> None:
    register_and_log_in(page, server, name="Lúcia Santos", email=CITY_EMAIL)
    page.goto(f"{server.url}/")
    page.get_by_role("link", name=CALL_TITLE).first.click()
    page.get_by_role("link", name="Apply for your city").first.click()
    for answer in page.get_by_label("Yes").all():
        answer.check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/sections/city$"))

    # First sitting: the city section, then away.
    page.fill("#city", CITY)
    page.select_option("#country_code", "PT")
    page.fill("#region", "Área Metropolitana do Porto")
    page.fill("#population", "232000")
    wait_until_autosaved(page)
    page.get_by_role("link", name=re.compile("Applying organisation")).click()
    page.fill("#organisation", "Câmara Municipal do Porto")
    page.fill("#contact_role", "Head of culture")
    page.fill("#contact_phone", "+351 22 000 0000")
    wait_until_autosaved(page)
    log_out(page)

    # Second sitting: back to the draft from "My proposals", everything still there.
    log_in_at(page, server, CITY_EMAIL)
    page.goto(f"{server.url}/proposals")
    card = (
        page.locator("section, article, li")
        .filter(has_text=CALL_TITLE)
        .filter(has_text=re.compile("Draft|draft"))
    )
    card.get_by_role("link").first.click()
    page.get_by_role("link", name=re.compile("Your city")).click()
    expect(page.locator("#city")).to_have_value(CITY)
    page.get_by_role("link", name=re.compile("Applying organisation")).click()
    expect(page.locator("#organisation")).to_have_value("Câmara Municipal do Porto")
    fill_from_partners_to_submission(page, folder, letter_name="Carta de apoio do Porto.pdf")


def the_city_reads_its_decision(page) -> None:
    """Porto is the one proposal of the call with reviews: it is shortlisted."""
    page.reload()
    page.get_by_role("link", name="My proposals").first.click()
    card = page.locator("main").filter(has_text=CALL_TITLE)
    expect(card).to_contain_text(f"{CITY} · Shortlisted")


# --- the organiser --------------------------------------------------------------------------


def open_the_call(page, server: Server, tab: str | None = None) -> None:
    page.goto(f"{server.url}/admin/calls")
    page.get_by_role("link", name=CALL_TITLE, exact=True).first.click()
    if tab:
        page.get_by_role("link", name=tab, exact=True).first.click()


def the_organiser_closes_the_call_and_starts_the_review(page, server: Server) -> None:
    open_the_call(page, server)
    page.get_by_role("link", name="Close the call now").click()
    expect(page.locator("main")).to_contain_text("What will happen")
    page.get_by_role("button", name="Close the call").click()
    expect(page.locator("#state-title")).to_contain_text("Closed")
    page.get_by_role("button", name=re.compile("Start the review")).click()
    expect(page.locator("#state-title")).to_contain_text(re.compile("review", re.I))


def the_organiser_assigns_reviewers_automatically(page) -> list[str]:
    """Preview (nothing changes), then apply; returns the emails of the city's reviewers."""
    page.get_by_role("link", name="Reviews", exact=True).first.click()
    # The words on the page, not their layout (which depends on when the stylesheet applied).
    before = page.locator("main").inner_text().split()
    page.get_by_role("link", name="Assign automatically").click()
    page.get_by_role("button", name=re.compile("Preview")).click()
    expect(page.locator("main")).to_contain_text(re.compile("nothing (is|has) changed", re.I))
    page.get_by_role("link", name="Reviews", exact=True).first.click()
    after = page.locator("main").inner_text().split()
    assert after == before, "the preview changed the reviews page"

    page.get_by_role("link", name="Assign automatically").click()
    page.get_by_role("button", name=re.compile("Preview")).click()
    page.get_by_role("button", name=re.compile("Apply")).click()
    page.get_by_role("link", name="Reviews", exact=True).first.click()
    page.get_by_role("link", name=CITY, exact=True).first.click()
    names = page.locator("table[aria-labelledby=assigned-title] tbody tr td:first-child")
    assigned = names.all_inner_texts()
    assert len(assigned) == 2, assigned
    # The demo's reviewers log in as first.last@ their domain.
    return [f"{name.lower().replace(' ', '.')}@demo.dialoguecafe.org" for name in assigned]


def the_organiser_compiles_a_shortlist(page) -> None:
    page.get_by_role("link", name="Shortlists", exact=True).first.click()
    page.get_by_role("button", name=re.compile("Compile")).first.click()
    progress = page.locator("progress, [role=progressbar]").first
    expect(progress).to_have_attribute("value", "100", timeout=60_000)
    expect(page.locator("main")).not_to_contain_text(re.compile("failed", re.I))
    page.get_by_role("link", name=re.compile("shortlist", re.I)).first.click()
    expect(page.locator("main")).to_contain_text(CITY)


def the_organiser_publishes_the_decisions(page) -> None:
    """The preview names what is missing (the demo's Kyoto has no review) before publishing."""
    page.get_by_role("link", name="Preview and publish the decisions").click()
    expect(page.locator("main")).to_contain_text("Proposals with missing reviews")
    expect(page.locator("main")).to_contain_text(f"{CITY} is shortlisted")
    page.get_by_label("I have read the preview: publish the decisions and email every city").check()
    page.get_by_role("button", name="Publish and send the emails").click()
    expect(page.locator("main")).to_contain_text(re.compile("published", re.I))


def the_organiser_downloads_the_xlsx_export(page, folder: Path) -> None:
    from openpyxl import load_workbook

    page.get_by_role("link", name="Exports", exact=True).first.click()
    page.get_by_label("Format").select_option(
        label="Excel workbook: ranking, scores, reviews and comments"
    )
    page.get_by_role("button", name="Prepare the file").click()
    expect(page.locator("#job-progress")).to_have_attribute("value", "100", timeout=60_000)
    with page.expect_download(timeout=60_000) as downloading:
        page.get_by_role("link", name="Download the result").click()
    path = folder / downloading.value.suggested_filename
    downloading.value.save_as(path)
    workbook = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    cells = [
        str(cell) for sheet in workbook.worksheets for row in sheet.values for cell in row if cell
    ]
    assert CITY in cells
    # Straight away, back on the exports page: the CSV streamed to the browser.
    page.go_back()
    with page.expect_download(timeout=60_000) as downloading:
        page.get_by_role("link", name="CSV: every review with its scores (UTF-8)").click()
    csv_path = folder / downloading.value.suggested_filename
    downloading.value.save_as(csv_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.startswith("Rank,") and CITY in text


# --- the reviewers --------------------------------------------------------------------------


def a_reviewer_scores(page, server: Server, email: str, *, sees_others: bool) -> None:
    """Score every criterion and submit; with `sees_others`, another review is already in:
    its scores show only once this reviewer's own review is submitted."""
    log_in_at(page, server, email, DEMO_PASSWORD)
    page.goto(f"{server.url}/reviews")
    page.get_by_role("link", name=re.compile(CITY)).first.click()
    expect(page.locator("main")).to_contain_text("Câmara Municipal do Porto")
    expect(page.locator("main")).not_to_contain_text("The other reviewers' recommendations")
    scores = page.get_by_label(re.compile(r"^Score for "))
    assert scores.count() >= 3
    for index in range(scores.count()):
        field = scores.nth(index)
        high = float(field.get_attribute("max") or 5)
        field.fill("%g" % (high - (index % 3 if sees_others else (index + 1) % 2)))
    page.get_by_label("Comment for the organisers").fill("A strong, well-partnered plan.")
    page.get_by_label("Recommendation").select_option(label="Support")
    page.get_by_label("How confident are you in this review?").select_option(index=4)
    page.get_by_role("button", name="Submit the review").click()
    expect(page.locator("main")).to_contain_text("Your review is submitted")
    others = page.get_by_text("The other reviewers' recommendations")
    if sees_others:
        expect(others).to_be_visible()
        expect(page.locator("main")).to_contain_text(re.compile(r"Reviewer \w+: \d"))
    else:
        expect(others).to_have_count(0)
