"""A city applies in each of the five languages, through the pages as rendered: the call
page, the eligibility questions, every section of the form (filled from the fields each
page shows, so a new field is filled by itself), the check page and the submission, with
every page and the confirmation email in the city's language."""

from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.calls.models import Call
from app.demo.seed import DEMO_SLUG, seed_demo
from app.extensions import db
from app.outbox.models import Notification
from app.proposals.models import Proposal, ProposalState
from tests.client import log_in
from tests.crawler import CrawledForm, FormInput, parse_forms
from tests.factories import make_user

LANGUAGES = ("en", "fr", "es", "pt", "ar")
TYPED = {"email": "ana@porto.example", "tel": "+351 22 000 0000", "number": "1000"}
# Text fields whose hint asks for a shape of their own, by the field's name.
TYPED_BY_NAME = {"email_domain": "cm-porto.pt"}


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([\w-]+)"', page)
    return found.group(1) if found else ""


def _form(url: str, page: str) -> CrawledForm:
    """The page's own form: the one posted to its address (not the header's logout)."""
    forms = parse_forms(current_app, url, page)
    return next(form for form in forms if form.method == "POST" and form.action == url)


def _typed(control: FormInput, language: str) -> str | None:
    """What a city would enter in an empty field (None: leave it as rendered)."""
    if control.value or control.tag == "button" or control.type in {"hidden", "submit"}:
        return None
    if control.type == "select":
        choices = [option for option in control.options if option]
        if language in choices:
            return language  # the language of the answers: the city's own
        return "PT" if "PT" in choices else (choices[0] if choices else None)
    by_name = TYPED_BY_NAME.get(control.name.rsplit("-", 1)[-1])
    return by_name or TYPED.get(control.type, "Porto")


def _filled(form: CrawledForm, language: str) -> MultiDict:
    """The form as a city sends it once every field is answered: empty fields typed in,
    the first choice of each unanswered radio group, every offer ticked."""
    data = form.data()
    answered = {control.name for control in form.inputs if control.checked}
    for control in form.inputs:
        if control.type == "radio" and control.name not in answered:
            data[control.name] = control.value
            answered.add(control.name)
        elif control.type == "checkbox" and not control.checked:
            data.add(control.name, control.value or "on")
        else:
            value = _typed(control, language)
            if value is not None:
                data[control.name] = value
    data["action"] = "save"
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_city_applies_in_its_language(client, language):
    seed_demo()
    call = db.session.scalar(select(Call).where(Call.slug == DEMO_SLUG))
    city = make_user(locale=language, name="Ana Porto")
    db.session.commit()
    log_in(client, city)

    call_page = _page(client, f"/calls/{call.slug}")
    assert _lang(call_page) == language and "language-note" not in call_page
    apply_url = f"/calls/{call.slug}/apply"
    eligibility = _form(apply_url, _page(client, apply_url))
    answers = {c.name: "yes" for c in eligibility.inputs if c.name.startswith("question_")}
    started = client.post(apply_url, data=eligibility.data(**answers))
    assert started.status_code == 302, started.get_data(as_text=True)[:2000]
    proposal = db.session.scalar(select(Proposal).where(Proposal.owner_id == city.id))

    for section_url in re.findall(
        rf'href="(/proposals/{proposal.id}/sections/\w+)"', _page(client, started.location)
    ):
        page = _page(client, section_url)
        assert _lang(page) == language, section_url
        if "/attachments" in section_url:
            continue
        saved = client.post(section_url, data=_filled(_form(section_url, page), language))
        assert saved.status_code in (302, 303), (section_url, saved.get_data(as_text=True)[:3000])

    submit_url = f"/proposals/{proposal.id}/submit"
    check = _page(client, submit_url)
    assert _lang(check) == language
    assert 'id="submit-form"' in check, re.findall(r'<a href="[^"]*#[\w-]+">[^<]*', check)
    submitted = client.post(submit_url, data=_form(submit_url, check).data())
    assert submitted.status_code in (302, 303), submitted.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == ProposalState.SUBMITTED
    assert db.session.get(Proposal, proposal.id).language == language
    (confirmation,) = db.session.scalars(
        select(Notification).where(Notification.recipient_email == city.email)
    )
    assert confirmation.locale == language
