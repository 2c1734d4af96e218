"""The interface languages: only those with a catalogue are offered, and a stored language
that is no longer offered falls back to English, on the pages and in the emails."""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import Notification
from app.outbox.rendering import render_notification
from app.proposals.closing import close_call
from app.proposals.models import ProposalState
from tests.factories import make_admin, make_call, make_proposal, make_user

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


def test_every_offered_language_has_a_catalogue_and_every_catalogue_is_offered(app_context):
    catalogues = {path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po")}
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    assert set(current_app.config["LANGUAGES"]) == {default} | catalogues


def test_the_language_menu_offers_only_english_and_french(client):
    page = client.get("/").get_data(as_text=True)
    menu = re.search(r'<select[^>]*name="locale".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', menu) == ["en", "fr"]
    assert "Español" not in page and "Português" not in page


def test_a_stored_language_no_longer_offered_shows_english_pages(app_context, client):
    city = make_user(locale="pt")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = city.session_token
        session["_fresh"] = True
    for browser in ("pt-BR,pt;q=0.9", "fr-FR,fr;q=0.9"):
        page = client.get("/", headers={"Accept-Language": browser})
        assert '<html lang="en">' in page.get_data(as_text=True), browser


def test_a_stored_language_no_longer_offered_gets_english_emails(app_context):
    city = make_user(locale="pt")
    call = make_call()
    make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    close_call(actor=make_admin(), call=call)
    message = db.session.scalar(select(Notification).where(Notification.recipient_id == city.id))
    assert message.locale == "en"
    text = render_notification(message).get_body(("plain",)).get_content()
    assert "Thank you for submitting your proposal" in text
