"""A city completes the whole application form and submits it with the keyboard alone.

From the call page on, nothing is clicked: Tab and Shift+Tab move, letters are typed,
Space and Enter press, arrow keys choose among radio buttons, and the letter of support
goes through the file chooser opened from the keyboard. A mistake is announced (the error
summary takes focus) and its link puts focus on the field; after every save focus is on
what the page says happened (the flash message or the error summary), never on the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.people import expect, register_and_log_in
from tests.e2e.server import CALL_SLUG
from tests.proposals.helpers import minimal_pdf
from tests.servers import Server, embedded

pytestmark = pytest.mark.browser

MAX_PRESSES = 80  # a page of the form has about forty stops; more means a trap or a miss
FOCUSED_MATCHES = "(selector) => Boolean(document.activeElement?.matches(selector))"
WHAT_HAS_FOCUS = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "body";
  return element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (element.className ? "." + String(element.className).trim().replace(/\\s+/g, ".") : "");
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser_available) -> Iterator[Server]:
    yield from embedded(tmp_path_factory.mktemp("e2e-keyboard"))


# --- what a person does with the keyboard ------------------------------------------------------


def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Tab (Shift+Tab backwards) until the element the selector names has focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_PRESSES):
        page.keyboard.press(key)
        if page.evaluate(FOCUSED_MATCHES, selector):
            return
    pytest.fail(f"{selector} never had focus after {MAX_PRESSES} x {key} on {page.url}")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def type_into(page, field_id: str, text: str, *, backwards: bool = False) -> None:
    tab_to(page, f"#{field_id}", backwards=backwards)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    expect(page.locator(f"#{field_id}")).to_have_value(text)


def choose_option(page, field_id: str, label_start: str, value: str) -> None:
    """A closed select chooses the option whose label starts with the letters typed."""
    tab_to(page, f"#{field_id}")
    page.keyboard.type(label_start)
    expect(page.locator(f"#{field_id}")).to_have_value(value)


def tick(page, field_id: str) -> None:
    tab_to(page, f"#{field_id}")
    page.keyboard.press("Space")
    expect(page.locator(f"#{field_id}")).to_be_checked()


def choose_radio(page, radio_id: str) -> None:
    """Tab into the group (it stops once, on its first or chosen button), then the arrows."""
    name = page.locator(f"#{radio_id}").get_attribute("name")
    tab_to(page, f"input[type=radio][name='{name}']")
    for _ in range(10):
        if page.evaluate(FOCUSED_MATCHES, f"#{radio_id}"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator(f"#{radio_id}")).to_be_checked()


def focus_is_on(page) -> str:
    return page.evaluate(WHAT_HAS_FOCUS)


def assert_focus_tells_what_happened(page) -> None:
    """After a save: the flash message or the error summary has focus, never the body."""
    focused = focus_is_on(page)
    assert re.match(r"^div(#[\w-]+)?\.(flashes|error-summary)", focused), (
        f"after the save on {page.url} focus is on {focused}"
    )


def save_and_continue(page, next_section: str) -> None:
    tab_to(page, "button[name=action][value=next]")
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(rf"/sections/{next_section}$"))
    assert_focus_tells_what_happened(page)


# --- the scenario ----------------------------------------------------------------------------


def test_a_city_applies_with_the_keyboard_alone(context, server, tmp_path):
    page = context.new_page()
    register_and_log_in(page, server, name="Inês Braga", email="ines@braga.example")

    # The call page, the eligibility question and the first section.
    page.goto(f"{server.url}/calls/{CALL_SLUG}")
    tab_to(page, "main a[href$='/apply']")
    press_and_wait(page, "Enter")
    yes = page.get_by_label("Yes").get_attribute("id")
    choose_radio(page, yes)
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(r"/sections/city$"))

    type_into(page, "city", "Braga")
    choose_option(page, "country_code", "Portug", "PT")
    type_into(page, "region", "Norte")
    type_into(page, "population", "193000")
    save_and_continue(page, "organisation")

    # A mistake: announced, linked to its field, corrected there.
    type_into(page, "organisation", "Câmara Municipal de Braga")
    type_into(page, "contact_role", "Head of culture")
    type_into(page, "contact_phone", "+351 253 000 000")
    type_into(page, "contact_email", "ines at braga", backwards=True)
    tab_to(page, "button[name=action][value=next]")
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(r"/sections/organisation$"))
    assert_focus_tells_what_happened(page)
    summary = page.locator(".error-summary[role=alert]").first
    expect(summary).to_be_visible()
    tab_to(page, ".error-summary a[href='#contact_email']")
    page.keyboard.press("Enter")
    assert focus_is_on(page) == "input#contact_email"
    field = page.locator("#contact_email")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#contact_email-error")).to_be_visible()
    page.keyboard.press("Control+A")
    page.keyboard.type("ines@braga.example")
    save_and_continue(page, "partners")

    type_into(page, "partners-0-organisation", "Theatro Circo")
    choose_option(page, "partners-0-kind", "Cultural", "cultural")
    tick(page, "partners-0-offers_people")
    tick(page, "partners-0-offers_space")
    tick(page, "partners-0-offers_networks")
    save_and_continue(page, "venue")

    type_into(page, "address", "Avenida da Liberdade 697, 4710-251 Braga")
    type_into(page, "accessibility", "Step-free entrance and a lift.")
    type_into(page, "opening_hours", "Tuesday to Sunday, 10:00-22:00")
    type_into(page, "floor_area", "80")
    save_and_continue(page, "technical")

    choose_radio(page, "broadband-0")
    choose_radio(page, "video_wall_room-0")
    choose_radio(page, "staff-1")
    save_and_continue(page, "narratives")

    narratives = page.locator("textarea[data-max-length]").evaluate_all(
        "(areas) => areas.map((area) => area.id)"
    )
    for number, narrative in enumerate(narratives, start=1):
        type_into(page, narrative, f"Our answer number {number}, typed.")
    save_and_continue(page, "programme")

    type_into(page, "programme_ideas", "Students of Braga and Maputo talk about home.")
    type_into(page, "linked_cities", "Maputo, Salvador.")
    save_and_continue(page, "funding")

    type_into(page, "funding", "The city gives the room; a foundation the screens.")
    type_into(page, "sustainability", "A five-year agreement with the university.")
    save_and_continue(page, "attachments")

    # The letter of support, through the file chooser opened from the keyboard.
    letter = tmp_path / "Carta de apoio.pdf"
    letter.write_bytes(minimal_pdf())
    choose_option(page, "kind", "Letter", "letter_of_support")
    tab_to(page, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(letter))
    tab_to(page, "#upload-form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator("table.attachments")).to_contain_text("Carta de apoio.pdf")
    assert_focus_tells_what_happened(page)

    tab_to(page, ".section-nav a[href$='/submit']")
    press_and_wait(page, "Enter")
    expect(page.locator("main")).to_contain_text("Every required answer is there")
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator("h1")).to_contain_text("your proposal is submitted")
    assert focus_is_on(page).startswith(("h1", "div.flashes")), focus_is_on(page)

    [(state,)] = server.rows(
        "SELECT state FROM proposals JOIN users ON users.id = proposals.owner_id "
        "WHERE users.email = :email",
        email="ines@braga.example",
    )
    assert state == "submitted"


def test_a_problem_on_the_check_page_leads_to_its_field(context, server):
    """The check page lists what is missing, focused; each link opens the section with
    focus on the field."""
    page = context.new_page()
    register_and_log_in(page, server, name="Rui Braga", email="rui@braga.example")
    page.goto(f"{server.url}/calls/{CALL_SLUG}")
    tab_to(page, "main a[href$='/apply']")
    press_and_wait(page, "Enter")
    choose_radio(page, page.get_by_label("Yes").get_attribute("id"))
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")

    tab_to(page, ".section-nav a[href$='/submit']")
    press_and_wait(page, "Enter")
    problems = page.locator("#problems")
    expect(problems).to_have_attribute("role", "alert")
    assert focus_is_on(page).startswith("div#problems")
    tab_to(page, "#problems a[href$='#population']")
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(r"/sections/city#population$"))
    assert focus_is_on(page) == "input#population"
