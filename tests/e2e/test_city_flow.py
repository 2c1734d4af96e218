"""A city's whole flow in headless Chromium, against the app running as a real server.

Register, confirm the address, log in, pass eligibility, fill two sections by typing
(autosave), reload and find everything, complete the form, upload a letter, submit and
see the confirmation. A second test cuts the connection and ends the session mid-typing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.e2e.people import (
    expect,
    fill_from_partners_to_submission,
    log_in,
    register_and_log_in,
    start_proposal,
    wait_until_autosaved,
)
from tests.servers import Server, embedded

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser_available) -> Iterator[Server]:
    """The city's own tests run on the embedded default; the whole call runs on both."""
    yield from embedded(tmp_path_factory.mktemp("e2e-city"))


def test_a_city_goes_from_the_call_page_to_a_submitted_proposal(context, server, tmp_path):
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
    fill_from_partners_to_submission(page, tmp_path, letter_name="Carta de apoio.pdf")
    expect(page.locator("main")).to_contain_text("submission 1")

    [(state,)] = server.rows(
        "SELECT state FROM proposals JOIN users ON users.id = proposals.owner_id "
        "WHERE users.email = :email",
        email=email,
    )
    assert state == "submitted"
    confirmation = server.context_of("proposal_submitted", email)
    assert confirmation["revision"] == 1
    assert confirmation["attachments"] == ["Carta de apoio.pdf"]
    assert "Câmara Municipal de Lisboa" in json.dumps(confirmation, ensure_ascii=False)


def test_typed_text_survives_a_lost_connection_a_reload_and_an_ended_session(context, server):
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
