"""One reading of a proposal: the reviewer's, the city's and the organisers' pages show the
same labels (countries and languages by name, yes/no, partners as cards), never stored codes."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.calls.models import CallState
from app.extensions import db
from app.proposals import presenting, services
from app.proposals.models import Partner, PartnerKind
from tests.client import log_in
from tests.factories import make_admin, make_assignment, make_reviewer
from tests.proposals.helpers import attach, complete_proposal

ANSWER_PAIR = re.compile(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", re.S)


def visible_text(page: str) -> str:
    """The words on the screen: no markup, no scripts, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def answer_pairs(page: str) -> set[tuple[str, str]]:
    """(label, answer) of every answer the proposal macro rendered on a page."""
    start = page.index('<div class="proposal-answers">')
    block = page[start : page.index("</div>", start)]  # the block holds no other div
    return {
        (visible_text(label).strip(), visible_text(value).strip())
        for label, value in ANSWER_PAIR.findall(block)
    }


@pytest.fixture
def lisbon(call, city):
    """A complete draft with two partners, a file and the eligibility answers."""
    proposal = complete_proposal(
        call=call,
        owner=city,
        city="Lisbon",
        country_code="PT",
        contact_name="Ana Contact",
        contact_email="ana@lisboa.example",
    )
    proposal.answers = {
        **proposal.answers,
        "eligibility": {str(question.id): True for question in call.eligibility_questions},
    }
    proposal.partners.append(
        Partner(
            organisation="Associação Vizinhos",
            kind=PartnerKind.NGO,
            offers_people=True,
            email_domain="vizinhos.example",
            position=1,
        )
    )
    db.session.flush()
    attach(proposal, name="support-letter.pdf")
    db.session.commit()
    return proposal


@pytest.fixture
def submitted(lisbon, city):
    """The same proposal, submitted through the service: the snapshot reviewers read."""
    result = services.submit_proposal(actor=city, proposal=lisbon, expected_version=lisbon.version)
    assert result.created
    db.session.commit()
    return lisbon


@pytest.fixture
def in_review(submitted, call):
    call.state = CallState.IN_REVIEW
    reviewer = make_reviewer(name="Rita Reviewer")
    assignment = make_assignment(proposal=submitted, reviewer=reviewer)
    db.session.commit()
    return assignment, reviewer


def reviewer_page(client, assignment, reviewer) -> str:
    log_in(client, reviewer)
    response = client.get(f"/reviews/assignments/{assignment.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_reviewer_reads_labels_not_stored_codes(client, in_review):
    assignment, reviewer = in_review
    page = reviewer_page(client, assignment, reviewer)
    text = visible_text(page)
    assert "Lisbon, Portugal" in text
    assert ("Country", "Portugal") in answer_pairs(page)
    assert ("Language of your answers", "English") in answer_pairs(page)
    assert ("Broadband connection", "Yes, in place") in answer_pairs(page)
    assert ("Population", "545,000") in answer_pairs(page)
    for raw in ("Country code", "True", "False", "Offers people", "Eligibility 1"):
        assert raw not in text
    assert not re.search(r"\b(PT|en)\b", text)


def test_the_reviewer_sees_partners_as_cards_and_eligibility_as_yes_or_no(client, in_review):
    assignment, reviewer = in_review
    page = reviewer_page(client, assignment, reviewer)
    cards = re.findall(
        r'<li class="card partner-card">(.*?)</li>\s*(?=<li class="card|</ul>)', page, re.S
    )
    assert len(cards) == 2
    first, second = (visible_text(card) for card in cards)
    assert "Casa da Cultura" in first and "Cultural organisation" in first
    assert "People to run the café" in first and "Links to the networks" in first
    assert "Associação Vizinhos" in second and "Non-governmental organisation" in second
    assert "vizinhos.example" in second and "A space of about" not in second
    pairs = answer_pairs(page)
    assert ("Do you apply for, or with the support of, a city government?", "Yes") in pairs
    assert ("Is your organisation a for-profit company?", "No") in pairs  # what was answered
    assert "support-letter.pdf" in page and "Letter of support" in page


def test_the_reviewer_does_not_see_the_contact_when_the_call_hides_it(client, call, in_review):
    assignment, reviewer = in_review
    shown = reviewer_page(client, assignment, reviewer)
    assert ("Contact person", "Ana Contact") in answer_pairs(shown)
    assert ("Contact email", "ana@lisboa.example") in answer_pairs(shown)
    call.hide_applicant_contact = True
    db.session.commit()
    page = reviewer_page(client, assignment, reviewer)
    for secret in ("Ana Contact", "ana@lisboa.example", "+351 21 000 0000", "Head of culture"):
        assert secret not in page
    assert "The call hides the contact person from reviewers." in page
    assert ("Applying organisation", "City of Lisbon") in answer_pairs(page)  # the city stays


def test_hidden_partner_names_leave_numbered_cards_with_their_kind(client, call, in_review):
    assignment, reviewer = in_review
    call.hide_partner_names = True
    db.session.commit()
    page = reviewer_page(client, assignment, reviewer)
    for secret in ("Casa da Cultura", "Associação Vizinhos", "vizinhos.example"):
        assert secret not in page
    text = visible_text(page)
    assert "Partner 1" in text and "Partner 2" in text
    assert "Cultural organisation" in text and "Non-governmental organisation" in text


def test_the_check_page_the_organisers_page_and_the_reviewers_page_agree(
    client, app, submitted, in_review, city
):
    assignment, reviewer = in_review
    log_in(client, city)
    check = client.get(f"/proposals/{submitted.id}/submit").get_data(as_text=True)
    admin = make_admin()
    db.session.commit()
    log_in(client, admin)
    organisers = client.get(f"/admin/proposals/{submitted.id}").get_data(as_text=True)
    reviewers = reviewer_page(app.test_client(), assignment, reviewer)
    on_check, on_admin, on_review = map(answer_pairs, (check, organisers, reviewers))
    assert on_check == on_admin
    assert on_review <= on_check  # the reviewer reads the narratives beside the criteria
    assert ("Country", "Portugal") in on_check and ("Continent", "Europe") in on_check
    criterion = submitted.call.criteria[0]
    assert (criterion.name, f"Our answer on {criterion.name}.") in on_check
    for page in (check, organisers):
        text = visible_text(page)
        assert "Cultural organisation" in text and "support-letter.pdf" in text
        assert "True" not in text and "False" not in text


def test_the_files_are_links_only_for_a_reader_who_may_download_them(app, lisbon, call):
    def presented(**link):
        return presenting.present_proposal(
            lisbon, call, attachments=lisbon.attachments, **link
        ).section("attachments")

    shown = presented()
    assert [(row.name, row.kind, row.url) for row in shown.files] == [
        ("support-letter.pdf", "Letter of support", None)
    ]
    assert shown.files[0].size.endswith("KB")
    linked = presented(download_url=lambda attachment_id: f"/files/{attachment_id}")
    assert [row.url for row in linked.files] == [f"/files/{lisbon.attachments[0].id}"]


def test_a_submitted_snapshot_reads_exactly_like_the_live_proposal(app, submitted, call):
    revision = submitted.revisions[-1]
    live = presenting.present_proposal(submitted, call)
    snapshot = presenting.present_proposal(revision, call)
    assert live.title == snapshot.title == "Lisbon, Portugal"
    assert [part.answers for part in live.sections] == [part.answers for part in snapshot.sections]
    assert [part.partners for part in live.sections] == [
        part.partners for part in snapshot.sections
    ]


def test_countries_and_languages_are_named_in_the_readers_language(app, submitted, call):
    with force_locale("fr"):
        presented = presenting.present_proposal(submitted, call)
        answers = {answer.label: answer.value for answer in presented.section("city").answers}
        assert answers[str(_l("Country"))] == "Portugal"
        assert answers[str(_l("Language of your answers"))] == "anglais"
        assert presented.section("eligibility").answers[1].value == "Non"
