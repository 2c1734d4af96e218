"""The interface languages: five are written, each offered once its catalogue is complete,
and nothing new ships untranslated (every string of the code is in every catalogue)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import current_app
from sqlalchemy import select

from app.core.i18n import LOCALE_COOKIE, text_direction
from app.core.translations import TRANSLATIONS_DIR, extract_messages, is_complete, is_translated
from app.extensions import db
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.proposals.closing import close_call
from app.proposals.models import ProposalState
from tests.client import log_in
from tests.factories import make_admin, make_call, make_proposal, make_user

WRITTEN = ("en", "fr", "es", "pt", "ar")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%")


def _catalogue(locale: str):
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=locale)


def _menu(page: str) -> list[str]:
    menu = re.search(r'<select[^>]*name="locale".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="(\w+)"', menu)


@pytest.fixture(scope="module")
def source_strings(tmp_path_factory) -> dict[str, tuple[str, ...]]:
    """Every translatable string of app/ and templates/, extracted afresh from the code."""
    template = tmp_path_factory.mktemp("pot") / "messages.pot"
    extract_messages(template)
    with template.open("rb") as pot_file:
        return {
            (message.id if isinstance(message.id, str) else message.id[0]): (
                message.id if isinstance(message.id, tuple) else (message.id,)
            )
            for message in read_po(pot_file)
            if message.id
        }


def test_the_five_languages_are_configured_each_with_its_catalogue(app_context):
    assert tuple(current_app.config["LANGUAGES"]) == WRITTEN
    catalogues = {path.parent.parent.name for path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po")}
    assert catalogues == set(WRITTEN) - {current_app.config["BABEL_DEFAULT_LOCALE"]}


@pytest.mark.parametrize("locale", [code for code in WRITTEN if code != "en"])
def test_every_string_of_the_code_is_translated(locale, source_strings):
    """Fails on a string added to the code without its translation (run `flask translations
    update`, then translate what is new): no page, email or export goes out half English."""
    catalog = _catalogue(locale)
    missing = []
    for key in source_strings:
        message = catalog.get(key)
        if message is None or not is_translated(message):
            missing.append(key)
    assert not missing, f"{len(missing)} strings untranslated in {locale}, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", [code for code in WRITTEN if code != "en"])
def test_translations_keep_every_placeholder(locale):
    """A translation that drops or renames %(name)s would break the page it is on. Arabic
    may write the words for zero, one and two instead of the number in those forms."""
    wrong = []
    for message in _catalogue(locale):
        if not message.id or not is_translated(message):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for index, form in enumerate(forms):
            found = set(PLACEHOLDER.findall(form))
            exact = len(ids) == 1 or locale != "ar" or index > 2
            if (found != wanted) if exact else not found <= wanted:
                wrong.append((ids[0][:60], index))
    assert not wrong, wrong[:10]


def test_a_half_translated_catalogue_is_not_complete(tmp_path):
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Proposals"\nmsgstr "Propostas"\n\nmsgid "Reviews"\nmsgstr ""\n',
        encoding="utf-8",
    )
    assert not is_complete("xx", tmp_path)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Proposals"\nmsgstr "Propostas"\n',
        encoding="utf-8",
    )
    assert is_complete("xx", tmp_path)


def test_the_menu_offers_exactly_the_complete_languages_on_every_page(client):
    complete = ["en"] + [code for code in WRITTEN[1:] if is_complete(code)]
    for path in ("/", "/login", "/register"):
        page = client.get(path).get_data(as_text=True)
        assert _menu(page) == complete, path


def test_arabic_pages_run_right_to_left_and_the_others_left_to_right(client):
    assert text_direction("ar") == "rtl"
    for locale in [code for code in WRITTEN if is_complete(code) or code == "en"]:
        page = client.get("/", headers={"Accept-Language": locale}).get_data(as_text=True)
        direction = "rtl" if locale == "ar" else "ltr"
        assert f'<html lang="{locale}" dir="{direction}">' in page, locale


def test_a_visitors_choice_is_remembered_after_the_session_ends(app, client):
    home = client.get("/")
    assert home.status_code == 200
    response = client.post("/locale", data={"locale": "fr", "next": "/"})
    assert response.status_code == 302
    # The browser is closed: the session cookie goes, the language cookie stays.
    domain = app.config["SERVER_NAME"]
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"], domain=domain)
    assert client.get_cookie(LOCALE_COOKIE, domain=domain).value == "fr"
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr"' in page


def test_a_language_not_offered_cannot_be_chosen(client):
    client.get("/")
    client.post("/locale", data={"locale": "xx", "next": "/"})
    assert client.get_cookie(LOCALE_COOKIE, domain="call.test") is None
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_a_stored_language_no_longer_offered_shows_english_pages(app_context, client):
    city = make_user(locale="de")
    db.session.commit()
    log_in(client, city)
    for browser in ("de-DE,de;q=0.9", "fr-FR,fr;q=0.9"):
        page = client.get("/", headers={"Accept-Language": browser})
        assert '<html lang="en"' in page.get_data(as_text=True), browser


def test_a_stored_language_no_longer_offered_gets_english_emails(app_context):
    city = make_user(locale="de")
    call = make_call()
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    close_call(actor=make_admin(), call=call)
    message = db.session.scalar(select(Notification).where(Notification.recipient_id == city.id))
    assert message.locale == "en"
    text = render_notification(message).get_body(("plain",)).get_content()
    assert "Thank you for submitting your proposal" in text


def test_emails_go_in_the_recipients_language(app_context):
    city = make_user(locale="fr")
    call = make_call()
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    close_call(actor=make_admin(), call=call)
    message = db.session.scalar(select(Notification).where(Notification.recipient_id == city.id))
    assert message.locale == "fr"
    html = render_notification(message).get_body(("html",)).get_content()
    assert '<html lang="fr" dir="ltr">' in html


def test_the_source_strings_are_found_where_babel_cfg_says(source_strings):
    # The extractor named in babel.cfg moved once and extraction silently found nothing.
    assert len(source_strings) > 1000
    assert "Dialogue Café Call" in source_strings
    assert Path(TRANSLATIONS_DIR / "babel.cfg").is_file()
