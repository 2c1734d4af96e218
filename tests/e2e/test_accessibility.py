"""Every page of every role, in English and in Arabic, passes axe-core in headless Chromium
with no serious or critical violation; and an Arabic page is the English one mirrored.

The pages are found by links from the home page (tests/e2e/site.py), after logging in and
choosing the language in the menu (a visitor's browser asks for it), so a new page is
checked by itself. axe-core is the copy bundled in the axe-playwright-python package. Until
a language's catalogue is complete the menu does not offer it, and its tests say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.people import expect
from tests.e2e.site import (
    REACHED,
    ROLES,
    World,
    enter_as,
    page_list,
    reached,
    visit_every_page,
    world,
)

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "ar")
BROWSER_LOCALES = {"en": "en-GB", "ar": "ar"}
BLOCKING = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_available) -> Iterator[World]:
    yield from world(tmp_path_factory.mktemp("e2e-accessibility"))


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def violations(axe, page) -> list[str]:
    """Each serious or critical violation on the page as it is shown: page, rule, element."""
    found = axe.run(page).response["violations"]
    path = re.sub(r"^https?://[^/]+", "", page.url)
    return [
        f"{path}: {violation['id']} ({violation['impact']}) at {' '.join(node['target'])}"
        f" - {violation['help']}"
        for violation in found
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe(person, site, axe, role, language):
    page = person(locale=BROWSER_LOCALES[language])
    enter_as(page, site, role, language)
    problems: list[str] = []

    def check(shown) -> None:
        assert shown.locator("html").get_attribute("lang") == language, shown.url
        problems.extend(violations(axe, shown))

    pages = visit_every_page(page, site, role, check, per_shape=2)
    checked = page_list(pages)
    print(f"\n{len(pages.pages)} pages checked for {role} in {language}:\n{checked}")
    missing = REACHED[role] - reached(pages)
    assert not missing, f"not reached by links: {missing}; pages checked:\n{checked}"
    failed = [f"{shown.status} {shown.url}" for shown in pages.pages if shown.status >= 500]
    assert not failed, f"server errors: {failed}"
    assert not problems, (
        f"{len(problems)} serious or critical axe violations for {role} in {language}:\n"
        + "\n".join(problems)
        + f"\npages checked:\n{checked}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_showing_errors_pass_axe(person, site, axe, language):
    """What only a sent form shows: an error summary, fields marked invalid, a flash."""
    problems: list[str] = []
    visitor = person(locale=BROWSER_LOCALES[language])
    enter_as(visitor, site, "anonymous", language)
    visitor.goto(f"{site.server.url}/register")
    visitor.locator("form:has(#confirm_password) [type=submit]").click()
    expect(visitor.locator(".error-summary").first).to_be_visible()
    problems += violations(axe, visitor)
    visitor.goto(f"{site.server.url}/login")
    visitor.fill("#email", "nobody@example.org")
    visitor.fill("#password", "not the password")
    visitor.locator("form:has(#password) [type=submit]").click()
    expect(visitor.locator("#password")).to_be_visible()
    problems += violations(axe, visitor)

    city = person(locale=BROWSER_LOCALES[language])
    enter_as(city, site, "city", language)
    open_the_draft(city, site, "organisation")
    city.fill("#contact_email", "not an address")
    city.locator(".actions button[value=save]").click()
    expect(city.locator(".error-summary").first).to_be_visible()
    problems += violations(axe, city)
    assert not problems, "\n".join(problems)


def open_the_draft(page, site: World, section: str) -> None:
    """The city's proposal it can still change, at one section, from "My proposals"."""
    page.goto(f"{site.server.url}/proposals")
    page.locator(".proposal-card:has(a[href$='/submit']) a.button").click()
    page.locator(f".section-nav a[href$='/sections/{section}']").click()


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box, f"{selector} is not shown on {page.url}"
    return box


def test_an_arabic_page_is_the_english_one_mirrored(person, site):
    """Navigation, the section list, tables and fields start on the right in Arabic; an
    address and a phone number still read left to right."""
    boxes = {}
    for language in LANGUAGES:
        page = person(locale=BROWSER_LOCALES[language], viewport=DESKTOP)
        enter_as(page, site, "city", language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        open_the_draft(page, site, "organisation")
        boxes[language] = {
            name: _box(page, selector)
            for name, selector in (
                ("brand", ".brand"),
                ("nav", "header nav"),
                ("sections", ".section-nav"),
                ("form", "#section-form"),
                ("label", "label[for=contact_role]"),
                ("field", "#contact_role"),
            )
        }
        directions = page.evaluate(
            """() => ['#contact_email', '#contact_phone'].map(
                 (id) => getComputedStyle(document.querySelector(id)).direction)"""
        )
        assert directions == ["ltr", "ltr"]
        page.goto(f"{site.server.url}/settings")
        expect(page.locator("main bdi").first).to_contain_text("@")
    english, arabic = boxes["en"], boxes["ar"]
    # English: the brand left of the navigation, the sections left of the form.
    assert english["brand"]["x"] < english["nav"]["x"]
    assert english["sections"]["x"] < english["form"]["x"]
    # Arabic: both on the right, and a label ends where its field ends, on the right.
    assert arabic["brand"]["x"] > arabic["nav"]["x"]
    assert arabic["sections"]["x"] > arabic["form"]["x"]
    field_right = arabic["field"]["x"] + arabic["field"]["width"]
    label_right = arabic["label"]["x"] + arabic["label"]["width"]
    assert abs(field_right - label_right) < 2


def test_a_tables_first_column_and_progress_bars_start_on_the_right_in_arabic(person, site):
    page = person(locale=BROWSER_LOCALES["ar"], viewport=DESKTOP)
    enter_as(page, site, "reviewer", "ar")
    page.goto(f"{site.server.url}/reviews")
    first, second = (_box(page, f"main table thead th:nth-child({n})") for n in (1, 2))
    assert first["x"] > second["x"]
    bar = page.locator("main table progress").first
    expect(bar).to_be_visible()
    assert bar.evaluate("(element) => getComputedStyle(element).direction") == "rtl"
