"""The city's form runs a small, fixed number of SQL statements per request.

A city official on a slow connection pays for every statement twice: in the page's time
and in the server's capacity during the last days before a deadline. These tests keep each
page of the form at its statement count however many partners, criteria or files a
proposal has, and keep a save from reading back what it has just written.
"""

from __future__ import annotations

import pytest

from app.calls.models import Criterion
from app.db import utcnow
from app.extensions import db
from app.proposals.models import Partner, PartnerKind
from app.proposals.sections import SECTIONS, SectionKind
from tests.client import log_in
from tests.factories import make_proposal, make_user
from tests.proposals.helpers import attach, complete_proposal
from tests.querycount import count_queries


def _add_partners(proposal, how_many: int) -> None:
    for position in range(how_many):
        proposal.partners.append(
            Partner(
                position=position,
                organisation=f"Partner {position}",
                kind=PartnerKind.NGO,
                offers_people=True,
                description="People to run the café.",
            )
        )


def _add_criteria(call, how_many: int) -> None:
    for number in range(how_many):
        call.criteria.append(
            Criterion(key=f"extra_{number}", name=f"Extra {number}", position=100 + number)
        )
    call.updated_at = utcnow()  # a new version of the call, as calls.services makes


@pytest.fixture(autouse=True)
def criteria_cache(app, monkeypatch):
    """As deployed: each call's criteria kept as form fields per call version."""
    monkeypatch.setitem(app.config, "CRITERIA_FIELDS_CACHE_SIZE", 64)
    app.extensions.pop("proposal_narrative_fields", None)
    yield
    app.extensions.pop("proposal_narrative_fields", None)


def _statements(client, method: str, path: str, data: dict | None = None):
    # The page first, as a person sees it before saving (and its CSRF token); templates are
    # then compiled and caches warm, as on a running server.
    client.get(path)
    with count_queries() as counted:
        response = client.open(path, method=method, data=data)
    assert response.status_code in (200, 302), (path, response.status_code)
    return counted


@pytest.fixture
def draft_with_a_partner(client, call, city):
    """A city's draft with one partner, and the city logged in."""
    small = make_proposal(call=call, owner=city, city="Lisbon")
    _add_partners(small, 1)
    db.session.commit()
    log_in(client, city)
    return client, small


@pytest.mark.parametrize(
    "section", [section.key for section in SECTIONS if section.kind != SectionKind.ATTACHMENTS]
)
def test_each_page_of_the_form_takes_two_statements_whatever_the_proposal_holds(
    draft_with_a_partner, call, city, section
):
    client, small = draft_with_a_partner
    few = _statements(client, "GET", f"/proposals/{small.id}/sections/{section}")
    _add_partners(small, 12)
    _add_criteria(call, 8)
    db.session.commit()
    many = _statements(client, "GET", f"/proposals/{small.id}/sections/{section}")
    # The user with their roles; the proposal with its call and partners.
    assert few.count == many.count == 2, str(many)


def test_save_and_continue_writes_once_and_reads_nothing_back(draft_with_a_partner):
    client, draft = draft_with_a_partner
    counted = _statements(
        client,
        "POST",
        f"/proposals/{draft.id}/sections/city",
        {"version": draft.version, "city": "Lisboa", "action": "next"},
    )
    # The user; the proposal, locked, with its call and partners; the UPDATE.
    assert counted.count == 3, str(counted)
    assert [s.split()[0] for s in counted.statements].count("UPDATE") == 1


def test_submitting_takes_the_same_statements_with_one_file_or_many(client, call):
    counts = []
    for files in (1, 6):
        owner = make_user()  # one draft per account and call
        proposal = complete_proposal(call=call, owner=owner)
        for number in range(files):
            attach(proposal, name=f"letter-{number}.pdf")
        db.session.commit()
        log_in(client, owner)
        client.get(f"/proposals/{proposal.id}/submit")  # the page the city submits from
        counted = _statements(
            client, "POST", f"/proposals/{proposal.id}/submit", {"version": proposal.version}
        )
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


def test_a_criterion_added_to_the_call_is_on_the_form_at_once(draft_with_a_partner, call):
    from app.calls import services as call_services
    from tests.factories import make_admin

    client, draft = draft_with_a_partner
    page = f"/proposals/{draft.id}/sections/narratives"
    assert "Urban gardens" not in client.get(page).get_data(as_text=True)  # cached now
    call_services.add_criterion(actor=make_admin(), call=call, name="Urban gardens")
    db.session.commit()
    assert "Urban gardens" in client.get(page).get_data(as_text=True)
