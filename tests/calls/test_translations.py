"""A call's texts in every language of the call: organisers write and check them, a call
opens only when none is missing, and each reader sees their language or the main one, said."""

from __future__ import annotations

import pytest
from markupsafe import escape

from app.calls import services
from app.calls.models import CallState
from app.calls.texts import missing_translations, text_in
from app.errors import DomainError
from app.extensions import db
from tests.calls.test_views import call_form
from tests.factories import make_call

FRENCH_CALL = {"title": "Appel à manifestation d'intérêt", "description": "Accueillez un café."}


def bilingual_call(**settings):
    """A draft call in English (main) and French with an eligibility question; the default
    criteria come translated, the call's own texts and the question do not."""
    call = make_call(state=CallState.DRAFT, languages=["en", "fr"], **settings)
    services.add_eligibility_question(
        actor=None,
        call=call,
        text="Are you a city government?",
        explanation="This call is for cities.",
    )
    return call


def translate_everything(admin, call) -> None:
    services.save_translations(actor=admin, obj=call, values={"fr": FRENCH_CALL})
    (question,) = call.eligibility_questions
    services.save_translations(
        actor=admin,
        obj=question,
        values={"fr": {"text": "Êtes-vous une municipalité ?", "explanation": "Pour les villes."}},
    )


# --- the texts and what is missing ------------------------------------------------------


def test_a_new_call_has_its_default_criteria_in_every_language(admin):
    call = make_call(state=CallState.DRAFT, languages=["en", "fr", "es", "pt", "ar"])

    criterion = call.criteria[0]
    assert [text_in(criterion, "name", code).value for code in call.languages] == [
        "Diversity",
        "Diversité",
        "Diversidad",
        "Diversidade",
        "التنوّع",
    ]
    assert {(m.label, m.field) for m in missing_translations(call)} == {
        ("The call", "title"),
        ("The call", "description"),
    }


def test_a_call_whose_main_language_is_french_starts_with_french_criteria(admin):
    call = make_call(state=CallState.DRAFT, languages=["fr", "en"])

    assert call.criteria[0].name == "Diversité"
    assert call.criteria[0].translations["en"]["name"] == "Diversity"


def test_an_empty_text_needs_no_translation(admin):
    call = bilingual_call()
    translate_everything(admin, call)
    services.add_criterion(actor=admin, call=call, name="Sustainability")

    missing = missing_translations(call)

    assert [(m.label, m.field, m.locale) for m in missing] == [
        ("Criterion “Sustainability”", "name", "fr")
    ]


def test_saving_translations_keeps_other_languages_and_removes_emptied_texts(admin):
    call = bilingual_call(description="Host a café.")
    call.languages = ["en", "fr", "es"]
    services.save_translations(
        actor=admin, obj=call, values={"fr": FRENCH_CALL, "es": {"title": "Convocatoria"}}
    )

    services.save_translations(actor=admin, obj=call, values={"fr": {"description": "  "}})

    assert call.translations == {
        "fr": {"title": FRENCH_CALL["title"]},
        "es": {"title": "Convocatoria"},
    }


def test_a_translation_in_a_language_the_call_does_not_offer_is_refused(admin):
    call = bilingual_call()

    with pytest.raises(DomainError) as refused:
        services.save_translations(actor=admin, obj=call, values={"pt": {"title": "Chamada"}})

    assert refused.value.code == "invalid_translation_language"


# --- opening ----------------------------------------------------------------------------


def test_opening_a_call_with_missing_translations_is_refused_naming_them(admin):
    call = bilingual_call()

    with pytest.raises(DomainError) as refused:
        services.open_call(actor=admin, call=call)

    assert refused.value.code == "translations_missing"
    message = refused.value.message
    assert "The call: Title (French)" in message
    assert "Eligibility question 1: Question (answered yes or no) (French)" in message
    assert call.state == CallState.DRAFT


def test_a_call_opens_once_every_text_is_in_every_language(admin):
    call = bilingual_call()
    translate_everything(admin, call)

    services.open_call(actor=admin, call=call)

    assert call.state == CallState.OPEN


# --- changing the languages -------------------------------------------------------------


def test_removing_a_language_and_adding_it_again_keeps_its_translations(admin):
    call = bilingual_call()
    translate_everything(admin, call)

    services.update_call(actor=admin, call=call, languages=["en"])
    services.update_call(actor=admin, call=call, languages=["en", "fr"])

    assert text_in(call, "title", "fr").value == FRENCH_CALL["title"]
    assert missing_translations(call) == []


def test_a_language_becomes_the_main_one_only_once_every_text_is_written_in_it(admin):
    call = bilingual_call()

    with pytest.raises(DomainError) as refused:
        services.update_call(actor=admin, call=call, languages=["fr", "en"])

    assert refused.value.code == "main_language_incomplete"
    assert refused.value.field == "languages"


def test_a_new_main_language_swaps_the_texts_with_the_old_one(admin):
    call = bilingual_call(description="Host a café.")
    translate_everything(admin, call)
    english_title = call.title

    services.update_call(actor=admin, call=call, languages=["fr", "en"], title="New title")

    assert call.languages == ["fr", "en"]
    assert call.title == FRENCH_CALL["title"]
    # The title typed with the change was in the main language until then: English.
    assert call.translations["en"]["title"] == "New title" != english_title
    assert call.criteria[0].name == "Diversité"
    assert call.criteria[0].translations["en"]["name"] == "Diversity"
    assert "fr" not in call.criteria[0].translations
    assert call.eligibility_questions[0].text == "Êtes-vous une municipalité ?"
    assert missing_translations(call) == []


# --- the organisers' pages --------------------------------------------------------------


def test_the_translations_page_marks_each_missing_text(admin_client, admin):
    call = bilingual_call()
    db.session.commit()

    page = admin_client.get(f"/admin/calls/{call.id}/translations").get_data(as_text=True)

    assert "Missing in Français" in page
    assert "Diversité" in page
    assert f'href="/admin/calls/{call.id}/translations/call"' in page
    assert "4 translations are missing." in page


def test_the_settings_page_counts_missing_translations_with_a_link(admin_client, admin):
    call = bilingual_call()
    db.session.commit()

    page = admin_client.get(f"/admin/calls/{call.id}").get_data(as_text=True)

    assert "4 texts are not yet written in every language of the call" in page
    assert f'href="/admin/calls/{call.id}/translations"' in page


def test_an_organiser_writes_translations_side_by_side_right_to_left_for_arabic(
    admin_client, admin
):
    call = bilingual_call()
    call.languages = ["en", "fr", "ar"]
    db.session.commit()
    path = f"/admin/calls/{call.id}/translations/call"

    page = admin_client.get(path).get_data(as_text=True)
    assert "Dialogue Café — Call for Interest to Cities" in page  # the main language's text
    assert 'name="title__ar"' in page and 'lang="ar"' in page and 'dir="rtl"' in page
    assert 'name="description__fr"' in page

    response = admin_client.post(
        path,
        data={
            "title__fr": FRENCH_CALL["title"],
            "description__fr": "",
            "title__ar": "دعوة لإبداء الاهتمام",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/translations")
    db.session.refresh(call)
    assert call.translations == {
        "fr": {"title": FRENCH_CALL["title"]},
        "ar": {"title": "دعوة لإبداء الاهتمام"},
    }


def test_the_open_button_shows_what_is_missing(admin_client, admin):
    call = bilingual_call()
    db.session.commit()

    response = admin_client.post(f"/admin/calls/{call.id}/state/open", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Before the call opens, write each of its texts in every language it offers." in page
    db.session.refresh(call)
    assert call.state == CallState.DRAFT


def test_the_settings_form_chooses_the_main_language(admin_client, admin):
    call = bilingual_call()
    translate_everything(admin, call)
    db.session.commit()
    page = admin_client.get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert 'name="main_language"' in page

    response = admin_client.post(
        f"/admin/calls/{call.id}",
        data=call_form(
            slug=call.slug, title=call.title, languages=["en", "fr"], main_language="fr"
        ),
    )

    assert response.status_code == 302
    db.session.refresh(call)
    assert call.languages == ["fr", "en"]
    assert call.title == FRENCH_CALL["title"]


def test_a_main_language_not_ticked_is_a_form_error(admin_client, admin):
    call = bilingual_call()
    db.session.commit()

    response = admin_client.post(
        f"/admin/calls/{call.id}",
        data=call_form(slug=call.slug, languages=["en"], main_language="fr"),
    )

    assert response.status_code == 400
    assert "Tick the main language among the languages of the call." in response.get_data(
        as_text=True
    )


# --- what visitors read -----------------------------------------------------------------


def _open_bilingual_call(admin):
    call = bilingual_call()
    translate_everything(admin, call)
    services.open_call(actor=admin, call=call)
    db.session.commit()
    return call


def _page(client, path: str, language: str) -> str:
    return client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)


def test_a_visitor_reads_the_call_and_its_criteria_in_their_language(admin, client):
    call = _open_bilingual_call(admin)
    criterion = call.criteria[0]
    french_name = criterion.translations["fr"]["name"]
    for path in ("/", f"/calls/{call.slug}"):
        page = _page(client, path, "fr")
        assert str(escape(FRENCH_CALL["title"])) in page, path
        assert call.title not in page, path
        assert "language-note" not in page, path
    public = _page(client, f"/calls/{call.slug}", "fr")
    assert str(escape(french_name)) in public and str(escape(FRENCH_CALL["description"])) in public


def test_a_language_the_call_lacks_shows_the_main_one_marked_and_said(admin, client):
    call = _open_bilingual_call(admin)
    note = "No disponible en su idioma; se muestra en inglés."  # English named in Spanish
    for path in ("/", f"/calls/{call.slug}"):
        page = _page(client, path, "es")
        assert f'lang="en" dir="ltr">{escape(call.title)}<' in page, path
        assert str(escape(note)) in page, path
    assert 'lang="es"' in _page(client, "/", "es")  # the page itself stays in Spanish
