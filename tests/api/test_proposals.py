"""The API's proposals and reviews: a call's proposals filtered and paged for the
organisers, one proposal as its reader may see it (the city, an administrator, an assigned
reviewer without a conflict and without what the call hides), the city's own proposals with
their decision, and the reviews that count, each list in a constant number of statements."""

from __future__ import annotations

import pytest

from app.db import utcnow
from app.extensions import db
from app.proposals.models import Clarification, ProposalRevision, ProposalState
from app.proposals.services import proposal_snapshot
from app.reviews.models import ConflictOfInterest, ConflictSource, Recommendation
from tests.api.helpers import bearer, token_of
from tests.factories import (
    make_assignment,
    make_call,
    make_proposal,
    make_review,
    make_reviewer,
    make_user,
)
from tests.querycount import count_queries


@pytest.fixture
def admin_token(admin) -> dict[str, str]:
    db.session.commit()
    return bearer(token_of(admin))


def _get(client, path: str, headers: dict[str, str], **query):
    return client.get(path, headers=headers, query_string=query)


def _walk(client, path: str, headers: dict[str, str], **query) -> list[list[dict]]:
    """Every page of a list, following `next` until it is null."""
    pages, after = [], None
    while True:
        answer = _get(client, path, headers, **query, **({"after": after} if after else {}))
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        pages.append(body["items"])
        after = body["next"]
        if after is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


def _conflict(reviewer, proposal) -> None:
    db.session.add(
        ConflictOfInterest(
            reviewer_id=reviewer.id,
            proposal_id=proposal.id,
            source=ConflictSource.DECLARED,
            reason="Former employer",
        )
    )
    db.session.flush()


# --- a call's proposals ---------------------------------------------------------------------


def test_an_administrator_lists_a_calls_proposals_with_their_latest_submission(client, admin_token):
    call, elsewhere = make_call(), make_call()
    submitted = make_proposal(call=call, state=ProposalState.SUBMITTED, city="Lisbon")
    draft = make_proposal(call=call, city="Porto")
    make_proposal(call=elsewhere, state=ProposalState.SUBMITTED, city="Turin")
    db.session.commit()

    body = _get(client, f"/api/v1/calls/{call.id}/proposals", admin_token).get_json()

    assert body["next"] is None
    lisbon, porto = body["items"]
    assert (lisbon["id"], porto["id"]) == (submitted.id, draft.id)
    assert lisbon == {
        "id": submitted.id,
        "call_id": call.id,
        "city": "Lisbon",
        "country_code": "PT",
        "continent": "Europe",
        "region": "Europe",
        "state": "submitted",
        "language": "en",
        "submitted_at": submitted.submitted_at.isoformat(),
        "updated_at": submitted.updated_at.isoformat(),
        "latest_revision": {
            "number": 1,
            "submitted_at": submitted.revisions[0].submitted_at.isoformat(),
        },
    }
    assert porto["state"] == "draft" and porto["latest_revision"] is None


def test_the_latest_revision_is_the_newest_submission(client, admin_token):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    db.session.add(
        ProposalRevision(proposal_id=proposal.id, number=2, snapshot=proposal_snapshot(proposal))
    )
    db.session.commit()
    (item,) = _get(client, f"/api/v1/calls/{call.id}/proposals", admin_token).get_json()["items"]
    assert item["latest_revision"]["number"] == 2


def test_the_list_filters_by_states_country_continent_and_search(client, admin_token):
    call = make_call()
    lisbon = make_proposal(call=call, state=ProposalState.SUBMITTED, city="Lisbon")
    porto = make_proposal(call=call, state=ProposalState.UNDER_REVIEW, city="Porto")
    nairobi = make_proposal(
        call=call,
        state=ProposalState.SUBMITTED,
        city="Nairobi",
        country_code="KE",
        region="East Africa",
        continent="Africa",
        organisation="Kenya Cities Forum",
    )
    make_proposal(call=call, city="Braga")  # a draft
    db.session.commit()
    path = f"/api/v1/calls/{call.id}/proposals"

    def ids(**query) -> list[int]:
        answer = _get(client, path, admin_token, **query)
        assert answer.status_code == 200, answer.get_json()
        return [item["id"] for item in answer.get_json()["items"]]

    assert ids(state=["submitted", "under_review"]) == [lisbon.id, porto.id, nairobi.id]
    assert ids(state="under_review") == [porto.id]
    assert ids(country="ke") == [nairobi.id]
    assert ids(continent="Africa") == [nairobi.id]
    assert ids(q="forum") == [nairobi.id]  # the organisation
    assert ids(q=" PORT ") == [porto.id]  # the city, any case
    assert ids(country="PT", state="submitted") == [lisbon.id]


def test_the_pages_hold_every_proposal_exactly_once(client, admin_token):
    call = make_call()
    made = [make_proposal(call=call, city=f"City {n}").id for n in range(7)]
    db.session.commit()

    pages = _walk(client, f"/api/v1/calls/{call.id}/proposals", admin_token, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [item["id"] for page in pages for item in page] == sorted(made)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "not-a-cursor"}, "after"),
        ({"after": "r1"}, "after"),  # a cursor of the reviews' list
        ({"after": "p1"}, None),  # this list's own
        ({"after": "p1!"}, "after"),  # the same with a stray character
        ({"after": "p" + "z" * 12}, None),  # beyond every id: an empty page
        ({"after": "p" + "z" * 13}, "after"),  # no id of ours
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"state": "approved"}, "state"),
        ({"country": "Portugal"}, "country"),
        ({"continent": "Atlantis"}, "continent"),
    ],
)
def test_refused_filters_and_cursors_say_which_field(client, admin_token, query, field):
    call = make_call()
    db.session.commit()
    answer = _get(client, f"/api/v1/calls/{call.id}/proposals", admin_token, **query)
    if field is None:
        assert answer.status_code == 200 and answer.get_json()["items"] == []
        return
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field)
    assert field in error["fields"]


def test_only_administrators_list_a_calls_proposals(client, admin_token):
    call = make_call()
    city, reviewer = make_user(), make_reviewer()
    proposal = make_proposal(call=call, owner=city, state=ProposalState.SUBMITTED)
    make_assignment(proposal=proposal, reviewer=reviewer)
    db.session.commit()
    for person in (city, reviewer):
        answer = _get(client, f"/api/v1/calls/{call.id}/proposals", bearer(token_of(person)))
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
    assert _get(client, "/api/v1/calls/999999/proposals", admin_token).status_code == 404


# --- one proposal -----------------------------------------------------------------------------


@pytest.fixture
def hidden_contact(app_context):
    """A submitted proposal of a call that hides the contact person from reviewers, its
    reviewer, and the city's later edit that is not submitted."""
    call = make_call(hide_applicant_contact=True)
    city = make_user(name="City of Lisbon")
    proposal = make_proposal(
        call=call,
        owner=city,
        state=ProposalState.SUBMITTED,
        organisation="Lisbon City Council",
        contact_name="Ana Contact",
        contact_email="ana@lisboa.example",
        contact_phone="+351 21 000 0000",
        population=545000,
        answers={
            "organisation": {"contact_role": "Deputy mayor", "website": "lisboa.example"},
            "narratives": {"diversity": "Many languages."},
        },
    )
    proposal.revisions[0].snapshot = proposal_snapshot(proposal)
    reviewer = make_reviewer()
    make_assignment(proposal=proposal, reviewer=reviewer)
    proposal.organisation = "Lisbon Municipality (not submitted)"
    db.session.commit()
    return proposal, city, reviewer


def test_the_city_reads_its_proposal_in_full_and_its_submitted_answers(client, hidden_contact):
    proposal, city, _reviewer = hidden_contact
    body = client.get(f"/api/v1/proposals/{proposal.id}", headers=bearer(token_of(city)))
    assert body.status_code == 200
    seen = body.get_json()
    assert seen["organisation"] == "Lisbon Municipality (not submitted)"
    assert (seen["contact_name"], seen["contact_email"]) == ("Ana Contact", "ana@lisboa.example")
    assert seen["population"] == 545000 and seen["contact_hidden"] is False
    submitted = seen["latest_submitted_revision"]
    assert submitted["number"] == 1
    assert submitted["answers"]["organisation"]["contact_role"] == "Deputy mayor"
    assert submitted["answers"]["narratives"] == {"diversity": "Many languages."}


def test_a_reviewer_reads_the_submitted_version_without_the_hidden_contact(client, hidden_contact):
    proposal, _city, reviewer = hidden_contact
    seen = client.get(f"/api/v1/proposals/{proposal.id}", headers=bearer(token_of(reviewer)))
    assert seen.status_code == 200
    body = seen.get_json()
    assert body["contact_hidden"] is True
    assert (body["contact_name"], body["contact_email"], body["contact_phone"]) == (None,) * 3
    assert body["organisation"] == "Lisbon City Council"  # as submitted, not the later edit
    answers = body["latest_submitted_revision"]["answers"]
    assert answers["organisation"] == {"website": "lisboa.example"}
    assert answers["narratives"] == {"diversity": "Many languages."}
    assert "Ana Contact" not in seen.get_data(as_text=True)
    assert "Deputy mayor" not in seen.get_data(as_text=True)


def test_an_administrator_reads_every_proposal_in_full(client, hidden_contact, admin_token):
    proposal, _city, _reviewer = hidden_contact
    body = client.get(f"/api/v1/proposals/{proposal.id}", headers=admin_token).get_json()
    assert body["contact_name"] == "Ana Contact" and body["contact_hidden"] is False
    answers = body["latest_submitted_revision"]["answers"]
    assert answers["organisation"]["contact_role"] == "Deputy mayor"


def test_nobody_else_meets_a_proposal(client, hidden_contact):
    proposal, _city, reviewer = hidden_contact
    path = f"/api/v1/proposals/{proposal.id}"
    for stranger in (make_user(), make_reviewer()):
        db.session.commit()
        answer = client.get(path, headers=bearer(token_of(stranger)))
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
    _conflict(reviewer, proposal)
    db.session.commit()
    assert client.get(path, headers=bearer(token_of(reviewer))).status_code == 404
    assert (
        client.get("/api/v1/proposals/999999", headers=bearer(token_of(reviewer))).status_code
        == 404
    )


def test_a_reviewer_does_not_meet_an_assigned_draft(client):
    draft = make_proposal(call=make_call())
    reviewer = make_reviewer()
    make_assignment(proposal=draft, reviewer=reviewer)
    db.session.commit()
    answer = client.get(f"/api/v1/proposals/{draft.id}", headers=bearer(token_of(reviewer)))
    assert answer.status_code == 404


def test_a_proposal_answers_304_while_it_has_not_changed(client, hidden_contact):
    proposal, city, _reviewer = hidden_contact
    headers = bearer(token_of(city))
    path = f"/api/v1/proposals/{proposal.id}"
    first = client.get(path, headers=headers)
    again = client.get(path, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    proposal.city = "Lisboa"
    db.session.commit()
    changed = client.get(path, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["city"] == "Lisboa"


# --- the city's own proposals -----------------------------------------------------------------


def test_a_city_lists_its_own_proposals_with_their_decision(client):
    city, other_city = make_user(), make_user()
    first_call, second_call = make_call(title="First call"), make_call(title="Second call")
    decided_at = utcnow()
    shortlisted = make_proposal(
        call=first_call, owner=city, state=ProposalState.SHORTLISTED, decided_at=decided_at
    )
    draft = make_proposal(call=second_call, owner=city, city="Porto")
    make_proposal(call=first_call, owner=other_city, state=ProposalState.SUBMITTED)
    db.session.commit()

    answer = client.get("/api/v1/my/proposals", headers=bearer(token_of(city)))

    assert answer.status_code == 200
    by_id = {item["id"]: item for item in answer.get_json()}
    assert set(by_id) == {shortlisted.id, draft.id}
    assert by_id[shortlisted.id]["call_title"] == "First call"
    assert by_id[shortlisted.id]["decision"] == {
        "outcome": "shortlisted",
        "decided_at": decided_at.isoformat(),
    }
    assert by_id[shortlisted.id]["latest_revision"]["number"] == 1
    assert by_id[draft.id] | {"created_at": None} == {
        "id": draft.id,
        "call_id": second_call.id,
        "call_title": "Second call",
        "city": "Porto",
        "country_code": "PT",
        "state": "draft",
        "created_at": None,
        "submitted_at": None,
        "withdrawn_at": None,
        "latest_revision": None,
        "open_clarifications": [],
        "decision": None,
    }


def test_a_proposal_under_review_has_no_decision_and_shows_the_open_questions(client):
    city = make_user()
    proposal = make_proposal(call=make_call(), owner=city, state=ProposalState.UNDER_REVIEW)
    answered = Clarification(
        proposal_id=proposal.id,
        question="Which venue?",
        answer="The library.",
        answered_at=utcnow(),
    )
    waiting = Clarification(proposal_id=proposal.id, question="How many seats?")
    db.session.add_all([answered, waiting])
    db.session.commit()
    (item,) = client.get("/api/v1/my/proposals", headers=bearer(token_of(city))).get_json()
    assert item["state"] == "under_review" and item["decision"] is None
    assert item["open_clarifications"] == [
        {"id": waiting.id, "question": "How many seats?", "asked_at": waiting.asked_at.isoformat()}
    ]


def test_only_a_citys_account_has_proposals(client, admin_token):
    reviewer = make_reviewer()
    db.session.commit()
    for headers in (bearer(token_of(reviewer)), admin_token):
        answer = client.get("/api/v1/my/proposals", headers=headers)
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "forbidden"


# --- a call's reviews -------------------------------------------------------------------------


def test_an_administrator_reads_the_reviews_that_count(client, admin_token):
    call = make_call()
    lisbon = make_proposal(call=call, state=ProposalState.SUBMITTED)
    counted_by, drafting, conflicted = (
        make_reviewer(name="Rita Reviewer"),
        make_reviewer(),
        make_reviewer(),
    )
    criteria = list(call.criteria)
    counted = make_review(
        assignment=make_assignment(proposal=lisbon, reviewer=counted_by),
        scores={criteria[0].key: 5.0},
        recommendation=Recommendation.STRONGLY_SUPPORT,
        confidence=4,
    )
    counted.scores[0].comment = "Vivid."
    make_review(assignment=make_assignment(proposal=lisbon, reviewer=drafting), submitted=False)
    make_review(assignment=make_assignment(proposal=lisbon, reviewer=conflicted))
    _conflict(conflicted, lisbon)
    db.session.commit()

    body = _get(client, f"/api/v1/calls/{call.id}/reviews", admin_token).get_json()

    (review,) = body["items"]
    assert body["next"] is None
    assert review["id"] == counted.id and review["proposal_id"] == lisbon.id
    assert review["reviewer"] == {"id": counted_by.id, "name": "Rita Reviewer"}
    assert (review["recommendation"], review["confidence"]) == ("strongly_support", 4)
    assert review["submitted_at"] == counted.submitted_at.isoformat()
    assert set(review["scores"]) == {c.key for c in criteria}
    assert review["scores"][criteria[0].key] == 5.0
    assert review["comments"][criteria[0].key] == "Vivid."
    assert review["overall_comment"] == "A solid proposal."
    assert 0 <= review["total"] <= 100


def test_the_review_pages_hold_every_review_exactly_once(client, admin_token):
    call = make_call()
    reviews = []
    for n in range(5):
        proposal = make_proposal(call=call, state=ProposalState.SUBMITTED, city=f"City {n}")
        for _ in range(2):
            assignment = make_assignment(proposal=proposal, reviewer=make_reviewer())
            reviews.append(make_review(assignment=assignment).id)
    db.session.commit()

    pages = _walk(client, f"/api/v1/calls/{call.id}/reviews", admin_token, limit=4)

    assert [len(page) for page in pages] == [4, 4, 2]
    assert [item["id"] for page in pages for item in page] == sorted(reviews)
    garbled = _get(client, f"/api/v1/calls/{call.id}/reviews", admin_token, after="xyz")
    assert garbled.status_code == 422 and garbled.get_json()["error"]["field"] == "after"


def test_only_administrators_read_a_calls_reviews(client):
    call = make_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED)
    reviewer = make_reviewer()
    make_review(assignment=make_assignment(proposal=proposal, reviewer=reviewer))
    db.session.commit()
    for person in (reviewer, db.session.get(type(reviewer), proposal.owner_id)):
        answer = _get(client, f"/api/v1/calls/{call.id}/reviews", bearer(token_of(person)))
        assert answer.status_code == 404


# --- statements per request -------------------------------------------------------------------


def _statements(client, path: str, headers: dict[str, str]) -> int:
    client.get(path, headers=headers)  # the token's first use records when it was used
    db.session.expire_all()
    with count_queries() as counted:
        answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return counted.count


def _filled_call(size: int):
    """A call with `size` submitted proposals of one city, each with a review that counts."""
    call, city, reviewer = make_call(), make_user(), make_reviewer()
    for n in range(size):
        proposal = make_proposal(
            call=call, owner=city, state=ProposalState.SUBMITTED, city=f"City {n}"
        )
        make_review(assignment=make_assignment(proposal=proposal, reviewer=reviewer))
    db.session.commit()
    return call, city


def test_each_list_takes_the_same_statements_for_2_and_20_items(client, admin):
    db.session.commit()
    admin_headers = bearer(token_of(admin))
    counts = []
    for size in (2, 20):
        call, city = _filled_call(size)
        city_headers = bearer(token_of(city))
        counts.append(
            (
                _statements(client, f"/api/v1/calls/{call.id}/proposals", admin_headers),
                _statements(client, f"/api/v1/calls/{call.id}/reviews", admin_headers),
                _statements(client, "/api/v1/my/proposals", city_headers),
            )
        )
    assert counts[0] == counts[1]
