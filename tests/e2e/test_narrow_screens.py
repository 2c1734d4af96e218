"""Every page on a phone (390 x 844 CSS pixels) and at 200 % zoom, in headless Chromium.

No page of any role is wider than the screen (no sideways scrolling, even with long file
names; a wide table scrolls inside itself), in English and in Arabic; each page of the
city's form shows its first field on the first screen: the list of sections is folded into
one line above it. The registration form proposes the browser's time zone,
also when the browser calls it by an older name than the list does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import browser_context
from tests.e2e.people import expect, register_and_log_in, start_proposal
from tests.e2e.server import CALL_SLUG
from tests.e2e.site import ROLES, World, enter_as, page_list, visit_every_page, world
from tests.proposals.helpers import minimal_pdf
from tests.servers import Server, embedded

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# A 1280 x 800 window zoomed to 200 %: half as many CSS pixels, each drawn twice as large.
ZOOMED = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}
SCREENS = {
    "phone-en": ("en", {"viewport": PHONE}),
    "phone-ar": ("ar", {"viewport": PHONE, "locale": "ar"}),
    "zoom-200-en": ("en", ZOOMED),
}
LONG_NAME = "Letter_of_support_from_the_Mayor_and_the_Regional_Council_of_Lisbon_2026.pdf"

FIRST_FIELD = """() => {
  const field = document.querySelector(
    'main form select, main form textarea, main form input:not([type=hidden]):not([tabindex="-1"])'
  );
  return field ? field.getBoundingClientRect().top : null;
}"""
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 3)
  .map((element) => element.tagName.toLowerCase() + '.' + element.className)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser_available) -> Iterator[Server]:
    yield from embedded(tmp_path_factory.mktemp("e2e-phone"))


@pytest.fixture
def phone(browser, request):
    yield from browser_context(browser, request, viewport=PHONE)


@pytest.fixture
def desktop(browser, request):
    yield from browser_context(browser, request, viewport={"width": 1280, "height": 800})


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_available) -> Iterator[World]:
    yield from world(tmp_path_factory.mktemp("e2e-every-page-narrow"))


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_any_role_is_wider_than_the_screen(person, site, role, screen):
    language, options = SCREENS[screen]
    page = person(**options)
    width = options["viewport"]["width"]
    enter_as(page, site, role, language)
    too_wide: list[str] = []

    def check(shown) -> None:
        scroll_width = shown.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide.append(
                f"{shown.url} is {scroll_width} px: {shown.evaluate(WIDER_THAN_SCREEN)}"
            )

    pages = visit_every_page(page, site, role, check)
    checked = page_list(pages)
    print(f"\n{len(pages.pages)} pages measured for {role} on {screen}:\n{checked}")
    assert len(pages.pages) > 3, checked
    assert not too_wide, "\n".join(too_wide) + f"\npages measured:\n{checked}"


def _measure(page) -> dict:
    return {
        "url": page.url,
        "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
        "first_field_top": page.evaluate(FIRST_FIELD),
        "too_wide": page.evaluate(WIDER_THAN_SCREEN),
    }


def test_every_page_of_the_form_fits_a_phone_with_its_first_field_on_screen(
    phone, server, tmp_path
):
    page = phone.new_page()
    register_and_log_in(page, server, name="Joana Lisboa", email="joana@lisboa.example")
    start_proposal(page, server)

    # Folded: one line says how far the city is; opened, it lists the sections.
    menu = page.locator("details.section-menu")
    expect(menu.locator("summary")).to_have_text(re.compile(r"^Sections \(\d of 9 done\)$"))
    expect(menu.locator(".section-nav")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name=re.compile("Venue"))).to_be_visible()
    section_urls = [
        server.url + href
        for href in menu.locator(".section-nav a").evaluate_all(
            "(links) => links.map((link) => link.getAttribute('href'))"
        )
        if "/sections/" in href
    ]
    assert len(section_urls) == 9

    # Two files with long names: the table of files used to make the page 670 px wide.
    attachments = next(url for url in section_urls if url.endswith("/attachments"))
    page.goto(attachments)
    letter = tmp_path / LONG_NAME
    letter.write_bytes(minimal_pdf())
    for _ in range(2):
        page.set_input_files("#file", str(letter))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("table.attachments")).to_contain_text(LONG_NAME)

    problems = []
    for url in section_urls:
        page.goto(url)
        measured = _measure(page)
        if measured["scroll_width"] > PHONE["width"]:
            problems.append(f"{url} is {measured['scroll_width']} px wide: {measured['too_wide']}")
        top = measured["first_field_top"]
        if top is None or top >= PHONE["height"]:
            problems.append(f"{url}: the first field starts at {top}, below the first screen")
    assert not problems, "\n".join(problems)


def test_on_a_wide_screen_the_sections_stay_listed_beside_the_form(desktop, server):
    page = desktop.new_page()
    register_and_log_in(page, server, name="Rita Faro", email="rita@faro.example")
    start_proposal(page, server)

    expect(page.locator("details.section-menu summary")).to_be_hidden()
    expect(page.get_by_role("link", name=re.compile("Venue"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


@pytest.mark.parametrize(
    ("browser_zone", "proposed"),
    [("Europe/Lisbon", "Europe/Lisbon"), ("Asia/Calcutta", "Asia/Kolkata")],
)
def test_registration_proposes_the_browsers_time_zone(browser, server, browser_zone, proposed):
    context = browser.new_context(locale="en-GB", timezone_id=browser_zone)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/register")
        expect(page.locator("#timezone")).to_have_value(proposed)
        label = page.locator("#timezone option:checked").text_content()
        assert label in ("Lisbon, Portugal", "Kolkata, India")
    finally:
        context.close()


def test_the_organisers_wide_tables_scroll_inside_themselves_on_a_phone(phone, server):
    from app.demo.seed import ADMIN_EMAIL, DEMO_PASSWORD
    from tests.e2e.people import log_in_at

    page = phone.new_page()
    log_in_at(page, server, ADMIN_EMAIL, DEMO_PASSWORD)
    page.goto(f"{server.url}/admin/calls")
    proposals = page.locator("a[href$='/proposals']").first.get_attribute("href")

    too_wide = {}
    for path in ("/admin/calls", proposals, "/admin/people", "/admin/outbox", "/reviews"):
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
    assert not too_wide


def test_settings_offer_the_browsers_zone_to_an_account_still_on_utc(browser, server):
    from app.demo.seed import DEMO_PASSWORD
    from tests.e2e.people import log_in_at

    context = browser.new_context(locale="en-GB", timezone_id="Asia/Calcutta")
    try:
        page = context.new_page()
        log_in_at(page, server, "kenji.sato@demo.dialoguecafe.org", DEMO_PASSWORD)
        page.goto(f"{server.url}/settings")
        expect(page.locator("#timezone")).to_have_value("UTC")  # nothing changes by itself

        page.get_by_role("button", name="Use this browser's time zone: Kolkata, India").click()
        expect(page.locator("#timezone")).to_have_value("Asia/Kolkata")
        page.get_by_role("button", name="Save settings").click()

        page.goto(f"{server.url}/settings")
        expect(page.locator("#timezone")).to_have_value("Asia/Kolkata")
        expect(page.get_by_role("button", name=re.compile("browser's time zone"))).to_have_count(0)
    finally:
        context.close()


def test_a_deadline_localised_by_the_browser_reads_like_the_servers_dates(browser, server):
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/calls/{CALL_SLUG}")
        deadline = page.locator("time[data-localise]").first
        # The server writes "Sat, January 2, 2027, 5:12 PM UTC"; the browser the same shape.
        expect(deadline).to_have_text(
            re.compile(r"^[A-Z][a-z]{2}, [A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M E[SD]T$")
        )
    finally:
        context.close()
