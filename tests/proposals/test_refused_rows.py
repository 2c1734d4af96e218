"""Partner rows the page could not have sent, and text that cannot be stored, are refused
clearly: the page is shown again with the rows as typed, the autosave answers its JSON error,
and nothing is saved."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.proposals.models import Proposal
from tests.client import log_in
from tests.factories import make_proposal

UNSTORABLE = "This text contains a character that can't be stored: remove it and try again."


@pytest.fixture
def draft(call, city):
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    db.session.commit()
    return proposal


@pytest.fixture
def city_client(client, city):
    log_in(client, city)
    return client


def _partners_page(client, proposal) -> str:
    url = f"/proposals/{proposal.id}/sections/partners"
    page = client.get(url)
    assert page.status_code == 200
    return url


def _row(proposal, **changed) -> dict[str, str]:
    return {
        "version": str(proposal.version),
        "partners-0-organisation": "Casa da Cultura",
        "partners-0-kind": "cultural",
        "partners-0-offers_space": "y",
        "partners-0-description": "Runs the room on the ground floor.",
        **changed,
    }


def _partners_of(proposal) -> list[str]:
    db.session.expire_all()
    return [partner.organisation for partner in db.session.get(Proposal, proposal.id).partners]


def test_an_unknown_partner_kind_shows_the_rows_again_with_the_choice_marked(city_client, draft):
    url = _partners_page(city_client, draft)
    response = city_client.post(url, data=_row(draft, **{"partners-0-kind": "bogus"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved. Please correct the answers marked below." in page
    assert "Please choose one of the options." in page
    assert 'value="Casa da Cultura"' in page
    assert "Runs the room on the ground floor." in page
    assert _partners_of(draft) == []


def test_an_unknown_partner_kind_in_an_autosave_answers_json_422(city_client, draft):
    url = _partners_page(city_client, draft)
    response = city_client.post(
        f"{url}/autosave",
        data=_row(draft, **{"partners-0-kind": "bogus"}),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"] == {"partners-0-kind": "Please choose one of the options."}
    assert _partners_of(draft) == []


def test_a_valid_partner_row_is_still_saved(city_client, draft):
    url = _partners_page(city_client, draft)
    response = city_client.post(url, data=_row(draft))
    assert response.status_code == 302
    assert _partners_of(draft) == ["Casa da Cultura"]


def test_a_nul_in_a_partner_row_is_refused_with_the_row_kept(city_client, draft):
    url = _partners_page(city_client, draft)
    response = city_client.post(
        url, data=_row(draft, **{"partners-0-description": "Runs the room\x00 downstairs."})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert UNSTORABLE.replace("'", "&#39;") in page
    assert 'value="Casa da Cultura"' in page
    assert _partners_of(draft) == []


def test_a_nul_in_a_section_field_is_marked_and_the_other_answers_are_saved(city_client, draft):
    url = f"/proposals/{draft.id}/sections/city"
    city_client.get(url)
    response = city_client.post(
        url,
        data={"version": str(draft.version), "city": "Lis\x00bon", "region": "Lisboa e Vale"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert UNSTORABLE.replace("'", "&#39;") in page
    assert "Lisboa e Vale" in page
    db.session.expire_all()
    saved = db.session.get(Proposal, draft.id)
    assert (saved.city, saved.region) == ("Lisbon", "Lisboa e Vale")


def test_a_control_character_in_an_autosave_answers_its_json_error(city_client, draft):
    url = f"/proposals/{draft.id}/sections/city"
    city_client.get(url)
    response = city_client.post(
        f"{url}/autosave",
        data={"version": str(draft.version), "city": "Lis\x1bbon"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error == {"code": "unstorable_character", "message": UNSTORABLE, "fields": ["city"]}
    db.session.expire_all()
    assert db.session.get(Proposal, draft.id).city == "Lisbon"
