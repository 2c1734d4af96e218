"""Calls pages: administrators set up a call; anyone reads the public call page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.calls.models import Call, CallState, Criterion
from app.db import utcnow
from app.extensions import db
from app.proposals.models import ProposalState
from tests.client import log_in
from tests.factories import (
    make_assignment,
    make_call,
    make_proposal,
    make_review,
    make_reviewer,
    make_user,
)


def call_form(**overrides) -> dict:
    return {
        "title": "Dialogue Café 2026",
        "slug": "dialogue-cafe-2026",
        "description": "Host a **café**.",
        "opens_at": "2026-03-01T09:00",
        "closes_at": "2026-07-31T17:00",
        "grace_minutes": "10",
        "review_deadline": "",
        "languages": ["en", "pt"],
        "max_attachment_mb": "4",
        "max_attachments_total_mb": "12.5",
        "max_attachments": "6",
        "score_visibility": "never",
        "reviews_per_proposal": "2",
        "hide_applicant_contact": "y",
        "conflict_same_country": "y",
    } | overrides


def criterion_form(**overrides) -> dict:
    return {
        "name": "Sustainability",
        "guidance": "How will the café last?",
        "rubric_low": "No plan.",
        "rubric_middle": "A plan.",
        "rubric_high": "A funded plan.",
        "weight": "2",
        "scale_min": "0",
        "scale_max": "10",
        "scale_step": "0.5",
        "max_length": "2000",
    } | overrides


def call_by_slug(slug: str) -> Call | None:
    return db.session.scalar(select(Call).where(Call.slug == slug))


# --- creating and editing a call ---------------------------------------------------------


def test_creating_a_call_stores_the_administrators_local_times_in_utc(admin_client):
    response = admin_client.post("/admin/calls/new", data=call_form())

    call = call_by_slug("dialogue-cafe-2026")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}")
    # Lisbon is UTC+0 on 1 March and UTC+1 (summer time) on 31 July.
    assert call.opens_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    assert call.state == CallState.DRAFT
    assert (call.grace_minutes, call.languages, call.reviews_per_proposal) == (10, ["en", "pt"], 2)
    assert call.max_attachment_bytes == 4 * 1024 * 1024
    assert call.max_attachments_total_bytes == int(12.5 * 1024 * 1024)
    assert (call.hide_applicant_contact, call.hide_partner_names) == (True, False)
    assert (call.conflict_same_country, call.conflict_same_city) == (True, False)
    assert call.score_visibility.value == "never"
    assert len(call.criteria) == 7


def test_the_settings_page_shows_instants_in_the_administrators_zone(admin_client):
    call = make_call(
        opens_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        closes_at=datetime(2026, 7, 31, 16, 0, tzinfo=UTC),
    )
    db.session.commit()

    page = admin_client.get(f"/admin/calls/{call.id}").get_data(as_text=True)

    assert 'value="2026-03-01T09:00"' in page
    assert 'value="2026-07-31T17:00"' in page
    assert "Europe/Lisbon" in page


def test_closing_before_opening_is_refused_and_everything_typed_is_kept(admin_client):
    response = admin_client.post(
        "/admin/calls/new",
        data=call_form(title="My careful title", closes_at="2026-02-01T09:00"),
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The call must close after it opens." in page
    assert 'value="My careful title"' in page
    assert 'value="2026-02-01T09:00"' in page
    assert "Host a **café**." in page
    assert call_by_slug("dialogue-cafe-2026") is None


def test_a_taken_slug_is_shown_on_the_slug_field(admin_client):
    make_call(slug="dialogue-cafe-2026")
    db.session.commit()

    response = admin_client.post("/admin/calls/new", data=call_form(title="Second"))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="slug-error"' in page
    assert "Another call already uses this address." in page
    assert 'value="Second"' in page


def test_a_malformed_slug_and_missing_language_are_form_errors(admin_client):
    data = call_form(slug="Not A Slug")
    del data["languages"]
    response = admin_client.post("/admin/calls/new", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use lower-case letters, digits and single hyphens only." in page
    assert "Choose at least one language." in page


def test_a_local_time_the_clocks_skip_is_a_form_error(admin_client):
    response = admin_client.post("/admin/calls/new", data=call_form(opens_at="2026-03-29T01:30"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "does not exist in Europe/Lisbon" in page


def test_a_proposal_limit_below_the_file_limit_is_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/calls/new",
        data=call_form(max_attachment_mb="10", max_attachments_total_mb="5"),
    )
    assert response.status_code == 400
    assert "at least the limit per file" in response.get_data(as_text=True)


def test_editing_a_call_saves_its_settings(admin_client):
    call = make_call(slug="old-slug")
    db.session.commit()

    response = admin_client.post(
        f"/admin/calls/{call.id}", data=call_form(slug="new-slug", title="Renamed")
    )

    assert response.status_code == 302
    db.session.refresh(call)
    assert (call.slug, call.title) == ("new-slug", "Renamed")


def test_an_unknown_call_is_404(admin_client):
    assert admin_client.get("/admin/calls/999999").status_code == 404
    assert admin_client.get("/admin/calls/999999/proposals").status_code == 404


# --- states ------------------------------------------------------------------------------


def test_an_administrator_opens_and_closes_a_call_by_hand(admin_client):
    call = make_call(state=CallState.DRAFT)
    db.session.commit()

    opened = admin_client.post(f"/admin/calls/{call.id}/state/open", follow_redirects=True)
    assert "The call is now “Open”." in opened.get_data(as_text=True)
    assert f'href="/admin/calls/{call.id}/close"' in opened.get_data(as_text=True)
    admin_client.get(f"/admin/calls/{call.id}/close")
    closed = admin_client.post(f"/admin/calls/{call.id}/close", follow_redirects=True)
    assert "The call is now “Closed”." in closed.get_data(as_text=True)

    db.session.refresh(call)
    assert call.state == CallState.CLOSED


def test_the_old_close_button_leads_to_the_confirmation_and_closes_nothing(admin_client):
    call = make_call(state=CallState.OPEN)
    db.session.commit()
    admin_client.get(f"/admin/calls/{call.id}")

    response = admin_client.post(f"/admin/calls/{call.id}/state/close")

    assert response.location.endswith(f"/admin/calls/{call.id}/close")
    db.session.refresh(call)
    assert call.state == CallState.OPEN


def test_a_refused_state_change_says_why(admin_client):
    call = make_call(state=CallState.OPEN)
    db.session.commit()

    response = admin_client.post(f"/admin/calls/{call.id}/state/decide", follow_redirects=True)

    assert "cannot move to" in response.get_data(as_text=True)
    db.session.refresh(call)
    assert call.state == CallState.OPEN


def test_an_unknown_state_change_is_404(admin_client):
    call = make_call()
    db.session.commit()
    assert admin_client.post(f"/admin/calls/{call.id}/state/explode").status_code == 404


def test_the_settings_page_offers_only_the_possible_state_changes(admin_client):
    call = make_call(state=CallState.DRAFT)
    db.session.commit()
    page = admin_client.get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert f"/admin/calls/{call.id}/state/open" in page
    assert f"/admin/calls/{call.id}/state/archive" in page
    assert f"/admin/calls/{call.id}/state/close" not in page


# --- criteria ----------------------------------------------------------------------------


def test_adding_a_criterion_through_the_editor(admin_client):
    call = make_call()
    db.session.commit()

    response = admin_client.post(f"/admin/calls/{call.id}/criteria/new", data=criterion_form())

    assert response.status_code == 302
    added = db.session.scalar(
        select(Criterion).where(Criterion.call_id == call.id, Criterion.name == "Sustainability")
    )
    assert (added.weight, added.scale_min, added.scale_max, added.scale_step) == (
        2.0,
        0.0,
        10.0,
        0.5,
    )
    assert added.max_length == 2000


def test_an_invalid_scale_is_refused_next_to_its_field_keeping_the_input(admin_client):
    call = make_call()
    db.session.commit()

    response = admin_client.post(
        f"/admin/calls/{call.id}/criteria/new",
        data=criterion_form(scale_min="5", scale_max="5", guidance="Kept guidance"),
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="scale_max-error"' in page
    assert "Kept guidance" in page


def test_criteria_can_be_reordered_and_removed_without_javascript(admin_client):
    call = make_call()
    db.session.commit()
    vision = call.criteria[-1]

    admin_client.post(f"/admin/calls/{call.id}/criteria/{vision.id}/move", data={"direction": "up"})
    admin_client.post(f"/admin/calls/{call.id}/criteria/{call.criteria[0].id}/remove")

    db.session.expire_all()
    keys = db.session.scalars(
        select(Criterion.key).where(Criterion.call_id == call.id).order_by(Criterion.position)
    ).all()
    assert keys == [
        "creativity",
        "culture_of_peace",
        "intercultural_profile",
        "innovation",
        "vision",
        "collaboration",
    ]


def test_a_move_without_a_direction_is_a_bad_request(admin_client):
    call = make_call()
    db.session.commit()
    response = admin_client.post(
        f"/admin/calls/{call.id}/criteria/{call.criteria[0].id}/move", data={"direction": "left"}
    )
    assert response.status_code == 400


def test_a_criterion_of_another_call_is_404(admin_client):
    call, other = make_call(), make_call()
    db.session.commit()
    path = f"/admin/calls/{call.id}/criteria/{other.criteria[0].id}"
    assert admin_client.get(path).status_code == 404
    assert admin_client.post(path + "/remove").status_code == 404


def frozen_call() -> Call:
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    make_review(assignment=make_assignment(proposal=proposal, reviewer=make_reviewer()))
    db.session.commit()
    return call


def test_the_editor_says_why_frozen_criteria_cannot_change(admin_client):
    call = frozen_call()

    page = admin_client.get(f"/admin/calls/{call.id}/criteria").get_data(as_text=True)

    assert "The criteria are frozen." in page
    assert "a review of this call has been submitted" in page.lower()
    assert "/move" not in page
    assert "/remove" not in page
    assert f"/admin/calls/{call.id}/criteria/new" not in page


def test_the_server_refuses_changes_to_frozen_criteria(admin_client):
    call = frozen_call()
    diversity = call.criteria[0]

    edit = admin_client.post(
        f"/admin/calls/{call.id}/criteria/{diversity.id}",
        data=criterion_form(name="Changed"),
    )
    removed = admin_client.post(
        f"/admin/calls/{call.id}/criteria/{diversity.id}/remove", follow_redirects=True
    )

    assert edit.status_code == 400
    assert "The criteria are frozen" in edit.get_data(as_text=True)
    assert 'value="Changed"' in edit.get_data(as_text=True)
    assert "The criteria are frozen" in removed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Criterion, diversity.id).name == "Diversity"


# --- eligibility questions ---------------------------------------------------------------


def test_eligibility_questions_are_edited_through_the_editor(admin_client):
    call = make_call()
    db.session.commit()

    admin_client.post(
        f"/admin/calls/{call.id}/eligibility/new",
        data={
            "text": "Are you a commercial business?",
            "qualifying_answer": "no",
            "explanation": "The café is a public space.",
        },
    )
    db.session.expire_all()
    question = call.eligibility_questions[0]
    assert (question.qualifying_answer, question.explanation) == (
        False,
        "The café is a public space.",
    )

    page = admin_client.get(f"/admin/calls/{call.id}/eligibility").get_data(as_text=True)
    assert "Are you a commercial business?" in page
    assert "Qualifying answer: No" in page


def test_an_empty_eligibility_question_is_a_form_error(admin_client):
    call = make_call()
    db.session.commit()
    response = admin_client.post(
        f"/admin/calls/{call.id}/eligibility/new",
        data={"text": "", "qualifying_answer": "yes", "explanation": "Kept explanation"},
    )
    assert response.status_code == 400
    assert "Kept explanation" in response.get_data(as_text=True)


# --- the public page ---------------------------------------------------------------------


def test_the_public_page_shows_the_call_and_criteria_guidance_but_not_the_rubric(client):
    call = make_call()
    call.description = "We look for **cities**."
    db.session.commit()

    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)

    assert call.title in page
    assert "What is a Dialogue Café?" in page
    assert "<strong>cities</strong>" in page
    assert call.criteria[0].guidance in page
    assert call.criteria[0].rubric_high not in page
    assert f'href="/calls/{call.slug}/apply"' in page


def test_the_public_page_sanitises_the_description(client):
    call = make_call()
    call.description = (
        'Hi <script>alert(1)</script><img src=x onerror="alert(2)">[x](javascript:alert(3))'
    )
    db.session.commit()
    page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "alert(" not in page


def test_an_anonymous_visitor_gets_the_deadline_in_utc_for_the_browser_to_localise(client):
    closes = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    call = make_call(opens_at=closes - timedelta(days=60), closes_at=closes)
    db.session.commit()

    with time_machine.travel(closes - timedelta(days=3, hours=5, minutes=10), tick=False):
        page = client.get(f"/calls/{call.slug}").get_data(as_text=True)

    assert '<time datetime="2026-07-31T16:00:00Z" data-localise>' in page
    assert "4:00\u202fPM UTC</time>" in page  # the zone as people write it, never a zone code
    assert "Time left: 3 days, 5 hours." in page
    assert "js/calls.js" in page


def test_a_logged_in_visitor_gets_the_deadline_in_their_own_zone(client):
    closes = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    call = make_call(opens_at=closes - timedelta(days=60), closes_at=closes)
    user = make_user()
    user.timezone = "Asia/Tokyo"
    db.session.commit()

    with time_machine.travel(closes - timedelta(hours=2, minutes=30), tick=False):
        log_in(client, user)  # the signed session cookie is dated: sign it in the past too
        page = client.get(f"/calls/{call.slug}").get_data(as_text=True)

    assert "data-localise" not in page
    assert "August 1, 2026" in page  # 16:00 UTC is 01:00 the next day in Tokyo
    assert "1:00\u202fAM GMT+09:00</time>" in page and "Asia/Tokyo" not in page
    assert "Time left: 2 hours, 30 minutes." in page


def test_each_visitor_reads_the_public_page_in_their_own_language(app):
    closes = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    call = make_call(opens_at=closes - timedelta(days=60), closes_at=closes)
    db.session.commit()

    def page_for(language: str) -> str:
        response = app.test_client().get(
            f"/calls/{call.slug}", headers={"Accept-Language": language}
        )
        return response.get_data(as_text=True)

    with time_machine.travel(closes - timedelta(days=3), tick=False):
        french, english = page_for("fr-FR,fr;q=0.9"), page_for("en")

    assert '<html lang="fr"' in french and "31 juillet 2026" in french
    assert '<html lang="en"' in english and "July 31, 2026" in english


def test_the_apply_link_disappears_at_the_deadline(client):
    closes = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    call = make_call(opens_at=closes - timedelta(days=60), closes_at=closes)
    db.session.commit()

    with time_machine.travel(closes - timedelta(seconds=1), tick=False):
        before = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    with time_machine.travel(closes, tick=False):
        after = client.get(f"/calls/{call.slug}").get_data(as_text=True)

    assert f"/calls/{call.slug}/apply" in before
    assert f"/calls/{call.slug}/apply" not in after
    assert "This call closed on" in after


def test_a_draft_call_is_hidden_from_everyone_but_administrators(client, admin):
    call = make_call(state=CallState.DRAFT)
    db.session.commit()

    assert client.get(f"/calls/{call.slug}").status_code == 404
    log_in(client, make_user())
    db.session.commit()
    assert client.get(f"/calls/{call.slug}").status_code == 404
    log_in(client, admin)
    assert client.get(f"/calls/{call.slug}").status_code == 200


def test_an_unknown_slug_is_404(client):
    assert client.get("/calls/no-such-call").status_code == 404


def test_the_home_page_lists_open_calls_with_their_deadline(client):
    open_call = make_call(closes_at=utcnow() + timedelta(days=5))
    draft = make_call(state=CallState.DRAFT)
    db.session.commit()

    page = client.get("/").get_data(as_text=True)

    assert f'href="/calls/{open_call.slug}"' in page
    assert f'href="/calls/{draft.slug}"' not in page
    assert "Deadline:" in page
