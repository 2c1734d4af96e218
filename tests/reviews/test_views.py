"""The reviews pages over HTTP: happy paths, refusals, and constant query counts."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.outbox.models import Notification
from app.proposals.models import Partner
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    ReviewState,
)
from tests.client import log_in
from tests.factories import make_assignment, make_review, make_user
from tests.querycount import count_queries
from tests.reviews.helpers import make_reviewing


@pytest.fixture
def setting(app_context):
    setting = make_reviewing(proposals=3, reviewers=4)
    db.session.commit()
    return setting


@pytest.fixture
def assignment(setting):
    assignment = make_assignment(proposal=setting.proposals[0], reviewer=setting.reviewers[0])
    db.session.commit()
    return assignment


def score_form(call, value="4", action="submit", **extra):
    data = {f"score_{c.key}": value for c in call.criteria}
    data.update(
        {
            "action": action,
            "overall_comment": "Convincing venue.",
            "comment_for_applicant": "Keep going.",
            "recommendation": "support",
            "confidence": "4",
        }
    )
    data.update(extra)
    return data


def test_the_queue_lists_assigned_proposals_with_progress(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    page = client.get("/reviews").get_data(as_text=True)
    assert "Nairobi" in page and "Lima" not in page
    assert f"/reviews/assignments/{assignment.id}" in page
    assert "0 of 7 criteria" in page


def test_the_reading_view_shows_answers_beside_criteria_and_rubrics(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    criterion = setting.call.criteria[0]
    assert f"Our answer on {criterion.name}." in page
    assert str(escape(criterion.rubric_high)) in page
    assert f'name="score_{criterion.key}"' in page and f'name="comment_{criterion.key}"' in page
    assert 'step="1"' in page and 'max="5"' in page


def test_the_reading_view_hides_contact_and_partner_names_when_the_call_says_so(
    client, setting, assignment
):
    proposal = setting.proposals[0]
    revision = proposal.revisions[-1]
    revision.snapshot = {
        **revision.snapshot,
        "contact_name": "Wanjiku Secret",
        "contact_email": "wanjiku@nairobi.go.ke",
        "partners": [{"organisation": "Hidden Partner Trust", "kind": "ngo"}],
    }
    setting.call.hide_applicant_contact = True
    setting.call.hide_partner_names = True
    db.session.commit()
    log_in(client, setting.reviewers[0])
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert "Wanjiku" not in page and "Hidden Partner Trust" not in page
    assert "Non-governmental organisation" in page  # the partner's kind stays, by its label
    setting.call.hide_applicant_contact = False
    setting.call.hide_partner_names = False
    db.session.commit()
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert "Wanjiku Secret" in page and "Hidden Partner Trust" in page


def test_submitting_the_form_saves_every_score(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    response = client.post(f"/reviews/assignments/{assignment.id}", data=score_form(setting.call))
    assert response.status_code == 302
    review = db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
    assert review.state == ReviewState.SUBMITTED
    assert {s.value for s in review.scores} == {4.0}


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "9", "abc"])
def test_a_bad_score_is_shown_beside_its_field_and_nothing_typed_is_lost(
    client, setting, assignment, bad
):
    log_in(client, setting.reviewers[0])
    criterion = setting.call.criteria[1]
    form = score_form(setting.call, **{f"score_{criterion.key}": bad})
    response = client.post(f"/reviews/assignments/{assignment.id}", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="score_{criterion.key}-error"' in page
    assert "Convincing venue." in page  # the rest of the form is kept
    assert f'value="{bad}"' in page
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_service_refusal_is_shown_in_the_form(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    form = score_form(setting.call, recommendation="")
    response = client.post(f"/reviews/assignments/{assignment.id}", data=form)
    assert response.status_code == 422
    assert "Choose a recommendation before submitting." in response.get_data(as_text=True)


def test_withdrawing_with_a_conflict_hides_the_proposal(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    response = client.post(
        f"/reviews/assignments/{assignment.id}/withdraw",
        data={"kind": "conflict", "reason": "My sister works there"},
    )
    assert response.status_code == 302
    assert db.session.get(Assignment, assignment.id).state == AssignmentState.RECUSED
    assert client.get(f"/reviews/assignments/{assignment.id}").status_code == 404
    missing_reason = client.post(
        f"/reviews/assignments/{assignment.id}/withdraw", data={"kind": "abstain"}
    )
    assert missing_reason.status_code == 404


def test_withdrawing_without_a_reason_is_refused(client, setting, assignment):
    log_in(client, setting.reviewers[0])
    response = client.post(
        f"/reviews/assignments/{assignment.id}/withdraw", data={"kind": "abstain", "reason": ""}
    )
    assert response.status_code == 422
    assert db.session.get(Assignment, assignment.id).state == AssignmentState.ASSIGNED


def test_a_reviewer_cannot_open_a_proposal_not_assigned_to_them(client, setting, assignment):
    log_in(client, setting.reviewers[1])
    assert client.get(f"/reviews/assignments/{assignment.id}").status_code == 404
    assert client.get(f"/admin/proposals/{setting.proposals[0].id}").status_code == 403
    log_in(client, setting.reviewers[0])
    assert client.get(f"/reviews/assignments/{assignment.id}").status_code == 200


def test_others_scores_appear_on_the_page_only_after_submitting(client, setting, assignment):
    other = make_assignment(proposal=setting.proposals[0], reviewer=setting.reviewers[1])
    make_review(assignment=other, scores={c.key: 2 for c in setting.call.criteria})
    db.session.commit()
    log_in(client, setting.reviewers[0])
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert "Reviewer 1: 2" not in page
    client.post(f"/reviews/assignments/{assignment.id}", data=score_form(setting.call))
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert "Reviewer 1: 2" in page


def test_automatic_assignment_preview_then_apply(client, setting):
    log_in(client, setting.admin)
    client.get(f"/admin/calls/{setting.call.id}/reviews/auto-assign")
    preview = client.post(f"/admin/calls/{setting.call.id}/reviews/auto-assign/preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "9 new assignments" in page
    assert db.session.scalar(select(func.count(Assignment.id))) == 0
    pairs = re.search(r'name="pairs" type="hidden" value="([^"]*)"', page) or re.search(
        r'name="pairs"[^>]*value="([^"]*)"', page
    )
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply",
        data={"pairs": pairs.group(1), "removals": ""},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Assignment.id))) == 9
    emails = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.template == "review_assigned")
    )
    assert emails == 4
    # The same plan applied twice is refused rather than doubled, beside the plan as it is now.
    again = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply",
        data={"pairs": pairs.group(1), "removals": ""},
    )
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert "These reviewers are already assigned." in page and "Nothing to change." in page
    assert db.session.scalar(select(func.count(Assignment.id))) == 9


def test_a_damaged_plan_is_refused(client, setting):
    log_in(client, setting.admin)
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply",
        data={"pairs": "1:x", "removals": ""},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_the_preview_says_which_proposals_are_short(client, setting):
    for reviewer in setting.reviewers[2:]:
        reviewer_profile = db.session.get(type(setting.reviewers[0]), reviewer.id)
        assert reviewer_profile is not None
    db.session.add(Partner(proposal_id=setting.proposals[0].id, organisation="Shared Org"))
    for reviewer in setting.reviewers[:2]:
        db.session.get(ReviewerProfile, reviewer.id).organisations = ["Shared Org"]
    db.session.commit()
    log_in(client, setting.admin)
    page = client.post(f"/admin/calls/{setting.call.id}/reviews/auto-assign/preview").get_data(
        as_text=True
    )
    assert "1 proposals cannot get 3 reviewers" in page
    assert "Nairobi" in page and "only 2 reviewers without a conflict have room" in page


def test_assigning_by_hand_per_proposal_and_per_reviewer(client, setting):
    log_in(client, setting.admin)
    proposal, reviewer = setting.proposals[0], setting.reviewers[0]
    response = client.post(
        f"/admin/proposals/{proposal.id}/reviewers",
        data={"reviewer_ids": [str(reviewer.id), str(setting.reviewers[1].id)]},
    )
    assert response.status_code == 302
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviewers/{reviewer.id}",
        data={"proposal_ids": [str(p.id) for p in setting.proposals[1:]]},
    )
    assert response.status_code == 302
    loads = dict(
        db.session.execute(
            select(Assignment.reviewer_id, func.count()).group_by(Assignment.reviewer_id)
        ).all()
    )
    assert loads == {reviewer.id: 3, setting.reviewers[1].id: 1}
    page = client.get(f"/admin/proposals/{proposal.id}/reviewers").get_data(as_text=True)
    assert "Reviewer 0" in page and "Take off" in page
    assert "<td>Not started" in page and "<td>assigned" not in page  # a state in words


def test_the_remind_button_queues_one_message(client, setting, assignment):
    log_in(client, setting.admin)
    url = f"/admin/calls/{setting.call.id}/reviews/remind/{setting.reviewers[0].id}"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    count = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.template == "review_reminder")
    )
    assert count == 1


@pytest.mark.parametrize(
    ("sent", "back"),
    [
        ("/admin/calls", "/admin/calls"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
    ],
)
def test_removing_an_assignment_goes_back_only_within_the_site(client, setting, sent, back):
    assignment = make_assignment(proposal=setting.proposals[1], reviewer=setting.reviewers[1])
    db.session.commit()
    log_in(client, setting.admin)
    response = client.post(f"/admin/assignments/{assignment.id}/remove", data={"next": sent})
    reviewers_page = f"/admin/proposals/{assignment.proposal_id}/reviewers"
    assert response.status_code == 302
    assert response.location == (back or reviewers_page)


def test_the_dashboard_shows_means_spread_and_disagreements(client, setting):
    proposal = setting.proposals[0]
    low = make_assignment(proposal=proposal, reviewer=setting.reviewers[0])
    high = make_assignment(proposal=proposal, reviewer=setting.reviewers[1])
    make_review(assignment=low, scores={c.key: 1 for c in setting.call.criteria})
    make_review(assignment=high, scores={c.key: 5 for c in setting.call.criteria})
    make_assignment(proposal=proposal, reviewer=setting.reviewers[2])
    db.session.commit()
    log_in(client, setting.admin)
    page = client.get(f"/admin/calls/{setting.call.id}/reviews").get_data(as_text=True)
    assert "2/3" in page  # two of three reviews in
    # The means on their scale, the weighted score on 0-100, the spread of totals 0 and 100.
    assert "3.00" in page and "50.00" in page and "50.0" in page
    assert "disagree" in page
    calm = client.get(f"/admin/calls/{setting.call.id}/reviews?spread=60&disagreements=1")
    assert "Nairobi" not in calm.get_data(as_text=True)
    bad = client.get(f"/admin/calls/{setting.call.id}/reviews?spread=nan&sort=evil")
    assert bad.status_code == 200


def fill_call(setting, count: int) -> None:
    from tests.factories import make_proposal

    for i in range(count):
        proposal = make_proposal(
            call=setting.call, state="submitted", city=f"City {i}", country_code="BR"
        )
        for j, reviewer in enumerate(setting.reviewers[:3]):
            assignment = make_assignment(proposal=proposal, reviewer=reviewer)
            if j < 2:
                make_review(
                    assignment=assignment,
                    scores={c.key: 1 + (i + j) % 5 for c in setting.call.criteria},
                )
    db.session.commit()


def dashboard_queries(client, setting) -> int:
    with count_queries() as counted:
        response = client.get(f"/admin/calls/{setting.call.id}/reviews?sort=spread")
    assert response.status_code == 200
    return counted.count


def test_the_dashboard_runs_the_same_queries_for_10_and_200_proposals(client, app_context):
    small = make_reviewing(proposals=0, reviewers=3)
    fill_call(small, 10)
    large = make_reviewing(proposals=0, reviewers=3)
    fill_call(large, 200)
    log_in(client, small.admin)
    few = dashboard_queries(client, small)
    log_in(client, large.admin)
    many = dashboard_queries(client, large)
    assert few == many
    assert many <= 10


def test_the_queue_runs_the_same_queries_for_few_and_many_assignments(client, app_context):
    small = make_reviewing(proposals=0, reviewers=3)
    fill_call(small, 3)
    large = make_reviewing(proposals=0, reviewers=3)
    fill_call(large, 40)
    counts = []
    for setting in (small, large):
        log_in(client, setting.reviewers[2])
        with count_queries() as counted:
            assert client.get("/reviews").status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_a_reviewer_edits_their_profile_over_http(client, setting):
    log_in(client, setting.reviewers[0])
    response = client.post(
        "/reviews/profile",
        data={"countries": "XX", "languages": "en", "max_proposals": "4"},
    )
    assert response.status_code == 200
    assert "Unknown country code: XX" in response.get_data(as_text=True)
    response = client.post(
        "/reviews/profile",
        data={
            "countries": "PT, ke",
            "cities": "Lisbon\nPorto",
            "languages": "en",
            "max_proposals": "4",
        },
    )
    assert response.status_code == 302
    profile = db.session.get(ReviewerProfile, setting.reviewers[0].id)
    assert profile.countries == ["PT", "KE"] and profile.cities == ["Lisbon", "Porto"]


def test_a_reviewer_without_a_profile_sees_the_defaults_and_saving_makes_it(client, setting):
    reviewer = make_user(name="New Expert", roles=(Role.REVIEWER,))
    db.session.commit()
    log_in(client, setting.admin)
    dashboard = client.get(f"/admin/calls/{setting.call.id}/reviews").get_data(as_text=True)
    limit = r'New Expert</a></td>\s*<td class="num">0/0</td>\s*<td class="num">15</td>'
    assert re.search(limit, dashboard)
    page = f"/admin/calls/{setting.call.id}/reviewers/{reviewer.id}"
    assert client.get(page).status_code == 200
    log_in(client, reviewer)
    form = client.get("/reviews/profile").get_data(as_text=True)
    assert 'value="15"' in form
    response = client.post(
        "/reviews/profile", data={"countries": "KE", "languages": "en", "max_proposals": "6"}
    )
    assert response.status_code == 302
    assert db.session.get(ReviewerProfile, reviewer.id).max_proposals == 6


@pytest.mark.parametrize("score", ["9", ""])
def test_a_score_problem_names_the_criterion_once(client, setting, assignment, score):
    log_in(client, setting.reviewers[0])
    criterion = setting.call.criteria[0]
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert f'<label for="score_{criterion.key}">Score for {criterion.name}</label>' in page

    form = score_form(setting.call, **{f"score_{criterion.key}": score})
    page = client.post(f"/reviews/assignments/{assignment.id}", data=form).get_data(as_text=True)

    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    item = re.search(rf'<a href="#score_{criterion.key}">([^<]+)</a>', summary).group(1)
    assert item.count(criterion.name) == 1, item
    assert f"{criterion.name}: {criterion.name}" not in page


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "This field is required."), ("Same\x00employer", "can't be stored")],
)
def test_a_refused_conflict_is_shown_again_with_what_was_typed(client, setting, reason, message):
    proposal, reviewer = setting.proposals[0], setting.reviewers[1]
    log_in(client, setting.admin)
    client.get(f"/admin/proposals/{proposal.id}/reviewers")

    response = client.post(
        f"/admin/proposals/{proposal.id}/conflicts",
        data={"reviewer_id": str(reviewer.id), "reason": reason or ""},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert re.search(rf'<option(?=[^>]*value="{reviewer.id}")(?=[^>]*selected)', page)
    assert db.session.scalar(select(func.count(ConflictOfInterest.id))) == 0
