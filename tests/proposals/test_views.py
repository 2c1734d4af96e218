"""The city's pages: eligibility, the form in sections, saving, submitting, files, status."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.outbox.models import Notification
from app.proposals import services
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    Clarification,
    Proposal,
    ProposalRevision,
    ProposalState,
)
from app.proposals.sections import SECTIONS
from tests.client import log_in
from tests.factories import (
    make_admin,
    make_assignment,
    make_call,
    make_proposal,
    make_reviewer,
    make_user,
)
from tests.proposals.helpers import attach, complete_proposal, count, minimal_pdf, save


@pytest.fixture
def city_client(client, city):
    log_in(client, city)
    return client


@pytest.fixture
def draft(call, city):
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    db.session.commit()
    return proposal


def section_url(proposal, section="city") -> str:
    return f"/proposals/{proposal.id}/sections/{section}"


def fresh(proposal) -> Proposal:
    db.session.expire_all()
    return db.session.get(Proposal, proposal.id)


# -- starting -------------------------------------------------------------------------------------


def test_the_apply_page_asks_the_eligibility_questions(city_client, call):
    response = city_client.get(f"/calls/{call.slug}/apply")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Do you apply for, or with the support of, a city government?" in page
    assert 'type="radio"' in page


def test_an_ineligible_city_is_told_why_and_nothing_is_created(city_client, call):
    first, second = call.eligibility_questions
    response = city_client.post(
        f"/calls/{call.slug}/apply",
        data={f"question_{first.id}": "no", f"question_{second.id}": "no"},
    )
    assert response.status_code == 200
    assert "The call is for cities: a city government must take part." in response.get_data(
        as_text=True
    )
    assert count(Proposal) == 0


def test_an_eligible_city_lands_on_the_first_section_of_its_new_draft(city_client, call, city):
    first, second = call.eligibility_questions
    response = city_client.post(
        f"/calls/{call.slug}/apply",
        data={f"question_{first.id}": "yes", f"question_{second.id}": "no"},
    )
    proposal = db.session.scalar(select(Proposal).where(Proposal.owner_id == city.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(section_url(proposal, "city"))
    # Asking again, or answering again (another tab), leads to the same draft.
    again = city_client.get(f"/calls/{call.slug}/apply")
    assert again.headers["Location"].endswith(section_url(proposal, "city"))
    answered_again = city_client.post(
        f"/calls/{call.slug}/apply",
        data={f"question_{first.id}": "yes", f"question_{second.id}": "no"},
        follow_redirects=True,
    )
    assert "You already have a proposal for this call" in answered_again.get_data(as_text=True)
    assert count(Proposal) == 1


def test_an_unanswered_eligibility_question_is_a_form_error(city_client, call):
    response = city_client.post(f"/calls/{call.slug}/apply", data={})
    assert response.status_code == 200
    assert "Please answer this question." in response.get_data(as_text=True)
    assert count(Proposal) == 0


def test_people_without_the_applicant_role_cannot_apply(client, call):
    reviewer = make_reviewer()
    db.session.commit()
    log_in(client, reviewer)
    assert client.get(f"/calls/{call.slug}/apply").status_code == 403


def test_applying_to_a_closed_call_says_it_is_closed(city_client):
    call = make_call(closes_at=None)
    call.closes_at = call.opens_at + timedelta(days=1)
    db.session.commit()
    response = city_client.get(f"/calls/{call.slug}/apply")
    assert response.status_code == 403
    assert "not accepting" in response.get_data(as_text=True)


# -- the form -------------------------------------------------------------------------------------


def test_a_section_page_has_its_fields_the_section_nav_and_a_saved_mark(city_client, draft):
    page = city_client.get(section_url(draft, "city")).get_data(as_text=True)
    assert 'id="city"' in page and 'value="Lisbon"' in page
    assert 'id="country_code"' in page
    assert re.search(r'<option selected value="PT">|<option value="PT" selected', page)
    for section in SECTIONS:
        assert section_url(draft, section.key) in page
    assert "Last saved at" in page
    assert 'data-autosave-url="' in page
    assert "js/proposals.js" in page


def test_the_narratives_page_shows_each_criterion_guidance_and_counter(city_client, draft, call):
    criterion = call.criteria[0]
    page = city_client.get(section_url(draft, "narratives")).get_data(as_text=True)
    assert criterion.guidance in page
    assert f'data-max-length="{criterion.max_length}"' in page
    assert f"of {criterion.max_length} characters" in page


def test_the_plain_save_button_saves_and_says_when(city_client, draft):
    response = city_client.post(
        section_url(draft),
        data={
            "version": draft.version,
            "city": "Lisboa",
            "country_code": "PT",
            "population": "545000",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Saved at" in response.get_data(as_text=True)
    saved = fresh(draft)
    assert (saved.city, saved.population, saved.continent) == ("Lisboa", 545000, "Europe")


def test_an_empty_number_is_no_error_and_spaces_in_a_number_are_fine(city_client, draft):
    empty = autosave(city_client, draft, version=draft.version, population="", city="Lisboa")
    assert empty.get_json()["errors"] == {}
    spaced = autosave(city_client, draft, version=empty.get_json()["version"], population="545 000")
    assert spaced.get_json()["errors"] == {}
    assert fresh(draft).population == 545_000
    wrong = autosave(city_client, draft, version=spaced.get_json()["version"], population="many")
    assert list(wrong.get_json()["errors"]) == ["population"]
    assert fresh(draft).population == 545_000


def test_save_and_continue_goes_to_the_next_section(city_client, draft):
    response = city_client.post(
        section_url(draft), data={"version": draft.version, "city": "Lisboa", "action": "next"}
    )
    assert response.headers["Location"].endswith(section_url(draft, "organisation"))


def test_fields_the_form_does_not_offer_are_ignored(city_client, draft, call):
    other_call = make_call()
    other_city = make_user()
    db.session.commit()
    city_client.post(
        section_url(draft),
        data={
            "version": draft.version,
            "city": "Lisboa",
            "state": "shortlisted",
            "owner_id": other_city.id,
            "call_id": other_call.id,
            "score": "5",
            "version_id": "99",
            "submitted_at": "2020-01-01",
        },
    )
    saved = fresh(draft)
    assert saved.city == "Lisboa"
    assert saved.state == ProposalState.DRAFT
    assert saved.owner_id == draft.owner_id
    assert saved.call_id == call.id
    assert saved.submitted_at is None


def test_a_stale_plain_save_shows_both_versions_and_overwrites_nothing(city_client, draft):
    loaded = draft.version
    city_client.post(section_url(draft), data={"version": loaded, "city": "Lisboa"})
    response = city_client.post(section_url(draft), data={"version": loaded, "city": "Lisbon 2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Lisboa" in page and "Lisbon 2" in page
    assert f'name="version" value="{fresh(draft).version}"' in page
    assert fresh(draft).city == "Lisboa"
    # Keeping one's own version is a deliberate second save with the new version.
    kept = city_client.post(
        section_url(draft), data={"version": fresh(draft).version, "city": "Lisbon 2"}
    )
    assert kept.status_code == 302
    assert fresh(draft).city == "Lisbon 2"


def test_a_narrative_over_the_limit_comes_back_with_the_text_and_an_error(city_client, draft, call):
    criterion = call.criteria[0]
    criterion.max_length = 50
    db.session.commit()
    too_long = "Word " * 20
    response = city_client.post(
        section_url(draft, "narratives"),
        data={"version": draft.version, f"narrative_{criterion.key}": too_long},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert too_long in page
    assert "Please shorten this to 50 characters" in page


def test_windows_line_breaks_count_once(city_client, draft, call):
    criterion = call.criteria[0]
    criterion.max_length = 10
    db.session.commit()
    city_client.post(
        section_url(draft, "narratives"),
        data={"version": draft.version, f"narrative_{criterion.key}": "ab\r\ncd\r\nef"},
    )
    assert fresh(draft).answers["narratives"][criterion.key] == "ab\ncd\nef"


def test_partners_are_added_and_removed_without_javascript(city_client, draft):
    added = city_client.post(
        section_url(draft, "partners"),
        data={
            "version": draft.version,
            "partners-0-organisation": "Casa da Cultura",
            "partners-0-kind": "cultural",
            "partners-0-offers_space": "y",
            "partner_action": "add",
        },
    )
    assert added.status_code == 302
    assert "add_partner=1" in added.headers["Location"]
    page = city_client.get(added.headers["Location"]).get_data(as_text=True)
    assert 'id="partners-1-organisation"' in page
    assert 'value="Casa da Cultura"' in page

    version = fresh(draft).version
    city_client.post(
        section_url(draft, "partners"),
        data={
            "version": version,
            "partners-0-organisation": "Casa da Cultura",
            "partners-0-kind": "cultural",
            "partners-1-organisation": "Universidade",
            "partners-1-kind": "university",
            "partners-1-offers_people": "y",
        },
    )
    assert [p.organisation for p in fresh(draft).partners] == ["Casa da Cultura", "Universidade"]
    city_client.post(
        section_url(draft, "partners"),
        data={
            "version": fresh(draft).version,
            "partners-0-organisation": "Casa da Cultura",
            "partners-0-kind": "cultural",
            "partners-1-organisation": "Universidade",
            "partners-1-kind": "university",
            "partner_action": "remove-0",
        },
    )
    assert [p.organisation for p in fresh(draft).partners] == ["Universidade"]


# -- autosave -------------------------------------------------------------------------------------


def autosave(client, proposal, section="city", **data):
    return client.post(
        f"{section_url(proposal, section)}/autosave",
        data=data,
        headers={"Accept": "application/json"},
    )


def test_autosave_answers_the_new_version_and_when_it_saved(city_client, draft):
    loaded = draft.version
    response = autosave(city_client, draft, version=loaded, region="Lisboa")
    body = response.get_json()
    assert response.status_code == 200
    assert body["version"] == loaded + 1
    assert body["changed"] is True
    assert re.match(r"\d{1,2}:\d{2}", body["saved_label"])
    assert body["complete"]["attachments"] is True
    assert fresh(draft).region == "Lisboa"


def test_autosave_from_a_stale_tab_is_a_409_with_both_versions(city_client, draft):
    loaded = draft.version
    autosave(city_client, draft, version=loaded, region="Tab one")
    response = autosave(city_client, draft, version=loaded, region="Tab two")
    body = response.get_json()
    assert response.status_code == 409
    assert body["error"]["code"] == "version_conflict"
    assert body["error"]["version"] == loaded + 1
    assert body["error"]["fields"] == [
        {
            "name": "region",
            "label": "Region, state or province",
            "yours": "Tab two",
            "saved": "Tab one",
        }
    ]
    assert fresh(draft).region == "Tab one"


def test_autosave_after_the_session_ended_is_a_401_the_page_can_act_on(client, draft):
    response = autosave(client, draft, version=draft.version, region="Kept in the browser")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"
    assert response.get_json()["error"]["login_url"].endswith("/login")


def test_autosave_without_a_session_is_still_a_401(client, draft):
    response = autosave(client, draft, version=draft.version, region="x")
    assert response.status_code == 401


def test_after_logging_in_again_the_next_autosave_succeeds(client, city, draft):
    assert autosave(client, draft, version=draft.version, region="x").status_code == 401
    log_in(client, city)
    token = client.get("/proposals/session").get_json()["csrf_token"]
    response = client.post(
        f"{section_url(draft)}/autosave",
        data={"version": draft.version, "region": "After logging in", "csrf_token": token},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert fresh(draft).region == "After logging in"


@pytest.fixture
def closing_draft(city):
    """A draft in a call that closes in an hour (the login cookie outlives the clock jump)."""
    call = make_call()
    call.closes_at = utcnow().replace(microsecond=0) + timedelta(hours=1)
    proposal = make_proposal(call=call, owner=city, city="Lisbon")
    db.session.commit()
    return proposal


def test_autosave_after_the_deadline_is_refused_with_a_stable_code(
    city_client, closing_draft, time_machine
):
    draft = closing_draft
    time_machine.move_to(draft.call.closes_at, tick=False)
    response = autosave(city_client, draft, version=draft.version, region="Too late")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "call_not_accepting"
    assert fresh(draft).region != "Too late"


def test_a_plain_save_after_the_deadline_keeps_the_typed_text_on_the_page(
    city_client, closing_draft, time_machine
):
    draft = closing_draft
    time_machine.move_to(draft.call.closes_at + timedelta(seconds=1), tick=False)
    response = city_client.post(
        section_url(draft), data={"version": draft.version, "region": "Typed too late"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Typed too late" in page
    assert "not accepting changes" in page


# -- submitting -----------------------------------------------------------------------------------


def test_the_submit_page_links_every_problem_to_its_field(city_client, call, city):
    proposal = make_proposal(call=call, owner=city, city="")
    proposal.answers = {}
    db.session.commit()
    page = city_client.get(f"/proposals/{proposal.id}/submit").get_data(as_text=True)
    links = re.findall(r'href="(/proposals/\d+/sections/(\w+))#([\w-]+)"', page)
    assert len(links) >= 20
    for url, _section, field_id in {(u, s, f) for u, s, f in links}:
        section_page = city_client.get(url).get_data(as_text=True)
        assert f'id="{field_id}"' in section_page, (url, field_id)


def test_submitting_shows_a_confirmation_and_queues_the_email(city_client, call, city):
    proposal = complete_proposal(call=call, owner=city)
    db.session.commit()
    response = city_client.post(
        f"/proposals/{proposal.id}/submit", data={"version": proposal.version}
    )
    assert response.status_code == 302
    confirmation = city_client.get(response.headers["Location"])
    page = confirmation.get_data(as_text=True)
    assert "your proposal is submitted" in page
    assert "submission 1" in page
    assert fresh(proposal).state == ProposalState.SUBMITTED
    assert count(Notification, Notification.template == "proposal_submitted") == 1


def test_a_double_clicked_submit_gives_one_revision_and_one_email(city_client, call, city):
    proposal = complete_proposal(call=call, owner=city)
    db.session.commit()
    version = proposal.version
    first = city_client.post(f"/proposals/{proposal.id}/submit", data={"version": version})
    second = city_client.post(f"/proposals/{proposal.id}/submit", data={"version": version})
    assert first.status_code == second.status_code == 302
    assert count(ProposalRevision, ProposalRevision.proposal_id == proposal.id) == 1
    assert count(Notification, Notification.template == "proposal_submitted") == 1


def test_submitting_an_incomplete_proposal_lists_the_problems(city_client, draft):
    response = city_client.post(f"/proposals/{draft.id}/submit", data={"version": draft.version})
    assert response.status_code == 422
    assert "need your attention" in response.get_data(as_text=True)
    assert fresh(draft).state == ProposalState.DRAFT


def test_withdrawing_asks_for_a_reason_and_deletes_nothing(city_client, call, city):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    db.session.commit()
    missing = city_client.post(f"/proposals/{proposal.id}/withdraw", data={"reason": ""})
    assert missing.status_code == 422
    done = city_client.post(
        f"/proposals/{proposal.id}/withdraw", data={"reason": "The council changed its mind."}
    )
    assert done.status_code == 302
    saved = fresh(proposal)
    assert saved.state == ProposalState.WITHDRAWN
    assert saved.withdrawal_reason == "The council changed its mind."
    status = city_client.get("/proposals").get_data(as_text=True)
    assert "The council changed its mind." in status


# -- attachments ----------------------------------------------------------------------------------


def upload(client, proposal, data: bytes, name="letter.pdf", kind="letter_of_support"):
    return client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(data), name), "kind": kind},
        content_type="multipart/form-data",
    )


def test_a_letter_is_uploaded_and_downloaded_as_an_attachment(city_client, draft):
    response = upload(city_client, draft, minimal_pdf(), name="Carta de apoio – Câmara.pdf")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment).where(Attachment.proposal_id == draft.id))
    download = city_client.get(f"/proposals/{draft.id}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == minimal_pdf()
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Carta%20de%20apoio%20%E2%80%93%20C%C3%A2mara.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"


def test_a_file_that_is_not_what_its_name_says_is_refused_with_a_clear_message(city_client, draft):
    response = upload(city_client, draft, b"<script>alert(1)</script>", name="letter.pdf")
    assert response.status_code == 422
    assert "Only PDF, PNG and JPEG files are accepted" in response.get_data(as_text=True)
    assert count(Attachment) == 0


def test_a_request_too_large_for_the_server_explains_that_nothing_typed_is_lost(
    app, city_client, draft
):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = upload(city_client, draft, minimal_pdf() + b"\n" * 2000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Your answers saved before are all still there" in page
    assert section_url(draft, "attachments") in page


def test_removing_a_file_hides_it_from_the_city(city_client, draft):
    upload(city_client, draft, minimal_pdf())
    attachment = db.session.scalar(select(Attachment).where(Attachment.proposal_id == draft.id))
    response = city_client.post(f"/proposals/{draft.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 302
    assert city_client.get(f"/proposals/{draft.id}/attachments/{attachment.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Attachment, attachment.id).deleted_at is not None


@pytest.fixture
def submitted_with_file(call, city):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    attachment = attach(proposal, name="plan.pdf", kind=AttachmentKind.VENUE_PLAN, actor=city)
    db.session.commit()
    return proposal, attachment


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("administrator", 200),
        ("assigned", 200),
        ("other_city", 404),
        ("unassigned", 404),
        ("declined", 404),
        ("conflicted", 404),
    ],
)
def test_only_those_who_may_see_the_proposal_download_its_files(
    client, submitted_with_file, city, who, status
):
    from app.reviews.models import AssignmentState, ConflictOfInterest, ConflictSource

    """The city and the organisers through the proposal; a reviewer through the assignment."""
    proposal, attachment = submitted_with_file
    url = f"/proposals/{proposal.id}/attachments/{attachment.id}"
    users = {
        "owner": city,
        "administrator": make_admin(),
        "other_city": make_user(),
        "unassigned": make_reviewer(),
    }
    if who in ("assigned", "declined", "conflicted"):
        reviewer = make_reviewer()
        assignment = make_assignment(proposal=proposal, reviewer=reviewer)
        if who == "declined":
            assignment.state = AssignmentState.DECLINED
            assignment.declined_reason = "Too busy"
        if who == "conflicted":
            db.session.add(
                ConflictOfInterest(
                    reviewer_id=reviewer.id,
                    proposal_id=proposal.id,
                    source=ConflictSource.DECLARED,
                    reason="I advised this city",
                )
            )
        users[who] = reviewer
        db.session.commit()
        log_in(client, reviewer)
        assert client.get(url).status_code == 404
        url = f"/reviews/assignments/{assignment.id}/attachments/{attachment.id}"
    db.session.commit()
    log_in(client, users[who])
    response = client.get(url)
    assert response.status_code == status


# -- another city's ids, everywhere ---------------------------------------------------------------


def other_city_routes(proposal, attachment, clarification):
    base = f"/proposals/{proposal.id}"
    return [
        ("GET", f"{base}/sections/city", None),
        ("POST", f"{base}/sections/city", {"version": proposal.version, "city": "Taken"}),
        ("POST", f"{base}/sections/city/autosave", {"version": proposal.version, "city": "X"}),
        ("GET", f"{base}/submit", None),
        ("POST", f"{base}/submit", {"version": proposal.version}),
        ("GET", f"{base}/submitted", None),
        ("GET", f"{base}/withdraw", None),
        ("POST", f"{base}/withdraw", {"reason": "Not mine"}),
        ("POST", f"{base}/attachments", {"file": (io.BytesIO(minimal_pdf()), "x.pdf")}),
        ("GET", f"{base}/attachments/{attachment.id}", None),
        ("POST", f"{base}/attachments/{attachment.id}/delete", None),
        ("GET", f"{base}/clarifications/{clarification.id}", None),
        ("POST", f"{base}/clarifications/{clarification.id}", {"answer": "Not mine"}),
    ]


def test_another_citys_ids_are_not_found_on_every_route(client, submitted_with_file):
    proposal, attachment = submitted_with_file
    clarification = Clarification(proposal_id=proposal.id, question="Rent?")
    db.session.add(clarification)
    intruder = make_user()
    db.session.commit()
    log_in(client, intruder)
    for method, path, data in other_city_routes(proposal, attachment, clarification):
        response = client.open(path, method=method, data=data)
        assert response.status_code == 404, (method, path, response.status_code)
    saved = fresh(proposal)
    assert saved.city == "Lisbon"
    assert saved.state == ProposalState.SUBMITTED
    assert count(Attachment, Attachment.deleted_at.is_(None)) == 1
    assert db.session.get(Clarification, clarification.id).answer is None


def test_an_attachment_id_of_another_proposal_is_not_found(city_client, draft, call):
    other = complete_proposal(call=call)
    attachment = attach(other, name="theirs.pdf")
    db.session.commit()
    assert city_client.get(f"/proposals/{draft.id}/attachments/{attachment.id}").status_code == 404


# -- status page and clarifications ---------------------------------------------------------------


def test_the_status_page_shows_state_and_history(city_client, call, city):
    proposal = complete_proposal(call=call, owner=city)
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    services.request_clarification(
        actor=make_admin(), proposal=proposal, question="Is the venue step-free?"
    )
    db.session.commit()
    page = city_client.get("/proposals").get_data(as_text=True)
    assert call.title in page
    assert "Question from the organisers" in page
    assert "Submission 1" in page
    assert "Is the venue step-free?" in page
    assert "/clarifications/" in page


def test_the_city_answers_a_question_from_its_page(city_client, call, city):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    clarification = services.request_clarification(
        actor=make_admin(), proposal=proposal, question="Opening hours?"
    )
    db.session.commit()
    url = f"/proposals/{proposal.id}/clarifications/{clarification.id}"
    assert "Opening hours?" in city_client.get(url).get_data(as_text=True)
    response = city_client.post(url, data={"answer": "Every day."})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Clarification, clarification.id).answer == "Every day."
    assert fresh(proposal).state == ProposalState.SUBMITTED


# -- administrators -------------------------------------------------------------------------------


def test_an_administrator_asks_a_question_from_the_proposal_page(client, call, city):
    proposal = complete_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    admin = make_admin()
    db.session.commit()
    log_in(client, admin)
    page = client.get(f"/admin/proposals/{proposal.id}").get_data(as_text=True)
    assert "Casa da Cultura" in page and "Rua Augusta 1" in page
    response = client.post(
        f"/admin/proposals/{proposal.id}/clarifications", data={"question": "Who pays?"}
    )
    assert response.status_code == 302
    assert fresh(proposal).state == ProposalState.CLARIFICATION_REQUESTED
    empty = client.post(f"/admin/proposals/{proposal.id}/clarifications", data={"question": ""})
    assert empty.status_code == 422


def _fill_history(proposal, city, admin, times: int) -> None:
    for number in range(times):
        attach(proposal, minimal_pdf(f"Letter {number}"), name=f"letter-{number}.pdf", actor=city)
        save(proposal, "programme", linked_cities=f"City {number}")
        services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
        clarification = services.request_clarification(
            actor=admin, proposal=proposal, question=f"Question {number}?"
        )
        services.answer_clarification(
            actor=city, proposal=proposal, clarification=clarification, answer=f"Answer {number}"
        )


def test_the_administrators_page_loads_in_a_constant_number_of_queries(client, call):
    from tests.querycount import count_queries

    admin = make_admin()
    counts = []
    for times in (1, 6):
        city = make_user()
        proposal = complete_proposal(call=call, owner=city)
        _fill_history(proposal, city, admin, times)
        db.session.commit()
        log_in(client, admin)
        client.get(f"/admin/proposals/{proposal.id}")  # the same warm start for each count
        with count_queries() as counted:
            response = client.get(f"/admin/proposals/{proposal.id}")
        assert response.status_code == 200
        assert f"Question {times - 1}?" in response.get_data(as_text=True)
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


def test_the_status_page_loads_in_a_constant_number_of_queries(client):
    from tests.querycount import count_queries

    admin = make_admin()
    counts = []
    for calls in (1, 5):
        city = make_user()
        for _ in range(calls):
            proposal = complete_proposal(call=make_call(), owner=city)
            _fill_history(proposal, city, admin, 2)
        db.session.commit()
        log_in(client, city)
        client.get("/proposals")  # the same warm start for each count
        with count_queries() as counted:
            response = client.get("/proposals")
        assert response.status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


def test_after_the_deadline_the_form_can_be_read_but_not_changed(
    city_client, closing_draft, time_machine
):
    time_machine.move_to(closing_draft.call.closes_at, tick=False)
    page = city_client.get(section_url(closing_draft)).get_data(as_text=True)
    assert "can only be read" in page
    assert 'value="Lisbon"' in page
    assert re.search(r'<input[^>]*disabled[^>]*id="city"|<input[^>]*id="city"[^>]*disabled', page)
    assert "data-autosave-url" not in page
    assert ">Save</button>" not in page.replace("\n", "").replace("  ", "")


@pytest.mark.parametrize("state", [ProposalState.UNDER_REVIEW, ProposalState.SHORTLISTED])
def test_my_proposals_offers_check_and_submit_only_where_the_city_can_still_submit(
    client, call, city, state
):
    make_proposal(call=call, owner=city, state=ProposalState.DRAFT, city="Lisbon")
    make_proposal(call=call, owner=city, state=state, city="Porto")
    log_in(client, city)

    page = client.get("/proposals").get_data(as_text=True)

    assert page.count("Check and submit") == 1


def test_the_check_page_writes_the_deadline_as_every_page_does(client, call, city):
    draft = complete_proposal(call=call, owner=city)
    attach(draft)
    db.session.commit()
    log_in(client, city)

    page = client.get(f"/proposals/{draft.id}/submit").get_data(as_text=True)

    with client.application.test_request_context():
        from flask import render_template_string

        written = render_template_string("{{ value|when }}", value=call.closes_at)
    assert f"until the call closes on {written}." in page
