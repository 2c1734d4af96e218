"""The organisers' pages of proposals: every call with its proposals counted, a call's
proposal list, and closing a call after a page that says who will be emailed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.calls.models import CallState
from app.extensions import db
from app.outbox.models import Notification
from app.proposals.models import ProposalState
from tests.client import log_in
from tests.factories import make_call, make_proposal, make_user

# --- closing a call ----------------------------------------------------------------------


def _call_closed_messages(call_id: int) -> list:
    return list(db.session.scalars(select(Notification).where(Notification.call_id == call_id)))


def test_closing_by_hand_first_says_who_will_be_emailed_and_changes_nothing(admin_client):
    call = make_call(state=CallState.OPEN)
    for city in ("Lisbon", "Porto"):
        make_proposal(call=call, owner=make_user(), state=ProposalState.SUBMITTED, city=city)
    make_proposal(call=call, owner=make_user(), city="Braga")
    db.session.commit()

    edit = admin_client.get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert f"/admin/calls/{call.id}/state/close" not in edit  # no one-click close
    page = admin_client.get(f"/admin/calls/{call.id}/close").get_data(as_text=True)

    assert "Cities emailed that the call has closed: 2" in page
    assert "Administrators emailed: 1." in page
    assert "Drafts that can no longer be submitted: 1." in page
    assert ">Close the call</button>" in page
    assert f'href="/admin/calls/{call.id}">Cancel</a>' in page
    db.session.refresh(call)
    assert call.state == CallState.OPEN and _call_closed_messages(call.id) == []


def test_confirming_closes_the_call_and_emails_the_cities(admin_client):
    call = make_call(state=CallState.OPEN)
    make_proposal(call=call, owner=make_user(), state=ProposalState.SUBMITTED)
    db.session.commit()

    admin_client.get(f"/admin/calls/{call.id}/close")
    response = admin_client.post(f"/admin/calls/{call.id}/close")

    assert response.status_code == 302 and response.location.endswith(f"/admin/calls/{call.id}")
    db.session.refresh(call)
    assert call.state == CallState.CLOSED
    assert len(_call_closed_messages(call.id)) == 2  # the city and the administrator


def test_the_confirmation_of_a_call_not_open_says_so(admin_client):
    call = make_call(state=CallState.CLOSED)
    db.session.commit()
    page = admin_client.get(f"/admin/calls/{call.id}/close", follow_redirects=True)
    assert "This call is not open, so there is nothing to close." in page.get_data(as_text=True)


def test_after_an_early_close_the_public_page_says_the_day_it_closed(admin_client, admin):
    closes = datetime(2031, 6, 30, 17, 0, tzinfo=UTC)
    call = make_call(state=CallState.OPEN, opens_at=closes - timedelta(days=90), closes_at=closes)
    db.session.commit()
    with time_machine.travel(datetime(2031, 5, 4, 9, 30, tzinfo=UTC), tick=False):
        log_in(admin_client, admin)  # the signed session cookie is dated: sign it then too
        page = admin_client.get(f"/admin/calls/{call.id}/close").get_data(as_text=True)
        assert "was due to close on" in page and "2031" in page
        admin_client.post(f"/admin/calls/{call.id}/close")
        public = admin_client.get(f"/calls/{call.slug}").get_data(as_text=True)
    closed_on = public.split("This call closed on", 1)[1].split("</p>", 1)[0]
    assert 'datetime="2031-05-04T09:30:00Z"' in closed_on
    assert "2031-06-30" not in public


# --- the list of calls and of proposals --------------------------------------------------


def test_the_call_list_shows_each_call_with_proposals_counted_by_state(admin_client):
    call = make_call()
    make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_proposal(call=call, state=ProposalState.SUBMITTED, city="Porto")
    make_proposal(call=call)
    db.session.commit()

    page = admin_client.get("/admin/calls").get_data(as_text=True)

    assert call.title in page
    assert "Submitted: 2" in page
    assert "Draft: 1" in page


def test_the_proposal_list_filters_searches_and_links_each_proposal(admin_client):
    call = make_call()
    lisbon = make_proposal(call=call, state=ProposalState.SUBMITTED, contact_email="ana@lx.pt")
    make_proposal(
        call=call, state=ProposalState.SUBMITTED, city="Nairobi", country_code="KE", region="Africa"
    )
    db.session.commit()

    page = admin_client.get(f"/admin/calls/{call.id}/proposals?q=ANA@LX&state=submitted").get_data(
        as_text=True
    )

    assert f'href="/admin/proposals/{lisbon.id}"' in page
    assert "Nairobi" not in page.split("<table")[1]
    assert "Submitted: 1" in page


def test_the_proposal_list_pages_and_can_show_everything(admin_client, app):
    call = make_call()
    owner = make_user()
    for number in range(103):
        make_proposal(call=call, owner=owner, city=f"City {number:03}")
    db.session.commit()

    first = admin_client.get(f"/admin/calls/{call.id}/proposals").get_data(as_text=True)
    after = re.search(r'href="[^"]*after=(\d+)[^"]*"', first)
    second = admin_client.get(f"/admin/calls/{call.id}/proposals?after={after.group(1)}").get_data(
        as_text=True
    )
    everything = admin_client.get(f"/admin/calls/{call.id}/proposals?all=1").get_data(as_text=True)

    assert first.count("/admin/proposals/") == 100
    assert second.count("/admin/proposals/") == 3
    assert "City 102" in second and "City 102" not in first
    assert everything.count("/admin/proposals/") == 103


def test_a_bad_filter_value_is_ignored_with_a_message_not_a_500(admin_client):
    call = make_call()
    make_proposal(call=call)
    db.session.commit()
    response = admin_client.get(f"/admin/calls/{call.id}/proposals?state=nonsense&after=x")
    assert response.status_code == 200
    assert "Lisbon" in response.get_data(as_text=True)
