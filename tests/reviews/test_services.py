"""Reviewing services: scoring rules, review life cycle, visibility of scores, assignment,
reminders and profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.services import invite_reviewer
from app.calls.models import ScoreVisibility
from app.db import utcnow
from app.errors import Conflict, DeadlinePassed, DomainError, NotAllowed
from app.extensions import db
from app.outbox.models import Notification
from app.reviews import assigning, conflicts, profiles, queries, reminders, reviewing
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    ConflictSource,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)
from tests.factories import make_assignment, make_review, make_reviewer
from tests.reviews.helpers import make_reviewing


@pytest.fixture
def setting(app_context):
    return make_reviewing(proposals=3, reviewers=4)


@pytest.fixture
def assignment(setting):
    return make_assignment(proposal=setting.proposals[0], reviewer=setting.reviewers[0])


def full_input(call, value="3", **overrides) -> reviewing.ReviewInput:
    values = {
        "scores": {c.key: value for c in call.criteria},
        "comments": {c.key: f"On {c.name}" for c in call.criteria},
        "overall_comment": "Promising.",
        "comment_for_applicant": "Well argued.",
        "comment_shareable": True,
        "recommendation": "support",
        "confidence": 4,
    }
    values.update(overrides)
    return reviewing.ReviewInput(**values)


# --- scores -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("nan", "score_not_finite"),
        ("NaN", "score_not_finite"),
        ("inf", "score_not_finite"),
        ("-Infinity", "score_not_finite"),
        (float("nan"), "score_not_finite"),
        (float("inf"), "score_not_finite"),
        ("6", "score_out_of_range"),
        ("0", "score_out_of_range"),
        ("-1", "score_out_of_range"),
        ("2.5", "score_off_step"),
        ("three", "score_not_a_number"),
    ],
)
def test_bad_scores_are_refused_with_a_clear_error(setting, assignment, raw, code):
    criterion = setting.call.criteria[0]
    data = full_input(setting.call)
    data.scores[criterion.key] = raw
    with pytest.raises(DomainError) as refused:
        reviewing.save_review(
            actor=setting.reviewers[0], assignment=assignment, data=data, submit=False
        )
    assert refused.value.code == code
    assert refused.value.field == f"score_{criterion.key}"
    assert criterion.name in refused.value.message
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_half_points_are_accepted_when_the_scale_says_so(setting, assignment):
    criterion = setting.call.criteria[0]
    criterion.scale_step = 0.5
    data = full_input(setting.call)
    data.scores[criterion.key] = "3,5"
    review = reviewing.save_review(
        actor=setting.reviewers[0], assignment=assignment, data=data, submit=True
    )
    assert {s.criterion_id: s.value for s in review.scores}[criterion.id] == 3.5


@pytest.mark.parametrize("value", [6.0, 0.0, float("nan"), float("inf"), float("-inf")])
def test_the_database_refuses_a_score_outside_its_scale(setting, assignment, value):
    review = make_review(assignment=assignment, submitted=False)
    criterion = setting.call.criteria[0]
    score = next(s for s in review.scores if s.criterion_id == criterion.id)
    score.value = value
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_the_database_refuses_a_score_with_a_scale_other_than_its_criterion(setting, assignment):
    review = make_review(assignment=assignment, submitted=False)
    criterion = setting.call.criteria[0]
    db.session.add(
        Score(review_id=review.id, criterion_id=criterion.id, scale_min=0, scale_max=100, value=50)
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.flush()


# --- the review life cycle --------------------------------------------------------------


def test_save_draft_then_submit(setting, assignment):
    reviewer = setting.reviewers[0]
    partial = full_input(setting.call, recommendation=None, confidence=None)
    partial.scores = {setting.call.criteria[0].key: "4"}
    review = reviewing.save_review(
        actor=reviewer, assignment=assignment, data=partial, submit=False
    )
    assert review.state == ReviewState.DRAFT
    assert assignment.state == AssignmentState.IN_PROGRESS
    assert len(review.scores) == 1
    review = reviewing.save_review(
        actor=reviewer,
        assignment=assignment,
        data=full_input(setting.call, version=review.version),
        submit=True,
    )
    assert review.state == ReviewState.SUBMITTED and review.submitted_at is not None
    assert assignment.state == AssignmentState.SUBMITTED
    assert len(review.scores) == len(setting.call.criteria)
    assert review.comment_shareable is True
    assert review.scores[0].comment.startswith("On ")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"scores": {}}, "scores_missing"),
        ({"recommendation": None}, "recommendation_missing"),
        ({"confidence": None}, "confidence_missing"),
        ({"confidence": 6}, "bad_confidence"),
        ({"recommendation": "maybe"}, "bad_recommendation"),
    ],
)
def test_submitting_needs_every_score_a_recommendation_and_a_confidence(
    setting, assignment, change, code
):
    with pytest.raises(DomainError) as refused:
        reviewing.save_review(
            actor=setting.reviewers[0],
            assignment=assignment,
            data=full_input(setting.call, **change),
            submit=True,
        )
    assert refused.value.code == code


def test_a_submitted_review_can_be_edited_until_the_deadline(setting, assignment):
    reviewer = setting.reviewers[0]
    review = reviewing.save_review(
        actor=reviewer, assignment=assignment, data=full_input(setting.call), submit=True
    )
    first_submitted = review.submitted_at
    review = reviewing.save_review(
        actor=reviewer,
        assignment=assignment,
        data=full_input(setting.call, value="5", version=review.version),
        submit=False,
    )
    assert review.state == ReviewState.SUBMITTED  # editing keeps it submitted
    assert {s.value for s in review.scores} == {5.0}
    assert review.submitted_at == first_submitted
    after_deadline = setting.call.review_deadline + timedelta(seconds=1)
    with time_machine.travel(after_deadline, tick=False), pytest.raises(DeadlinePassed):
        reviewing.save_review(
            actor=reviewer,
            assignment=assignment,
            data=full_input(setting.call, version=review.version),
            submit=True,
        )


def test_a_stale_version_is_refused(setting, assignment):
    reviewer = setting.reviewers[0]
    review = reviewing.save_review(
        actor=reviewer, assignment=assignment, data=full_input(setting.call), submit=False
    )
    stale = review.version
    reviewing.save_review(
        actor=reviewer,
        assignment=assignment,
        data=full_input(setting.call, value="4", version=stale),
        submit=False,
    )
    with pytest.raises(Conflict):
        reviewing.save_review(
            actor=reviewer,
            assignment=assignment,
            data=full_input(setting.call, value="2", version=stale),
            submit=False,
        )


def test_only_the_assigned_reviewer_may_save(setting, assignment):
    with pytest.raises(NotAllowed):
        reviewing.save_review(
            actor=setting.reviewers[1],
            assignment=assignment,
            data=full_input(setting.call),
            submit=False,
        )


def test_abstaining_frees_the_proposal_for_reassignment(setting, assignment):
    reviewer = setting.reviewers[0]
    with pytest.raises(DomainError):
        reviewing.decline_assignment(actor=reviewer, assignment=assignment, reason=" ")
    reviewing.decline_assignment(actor=reviewer, assignment=assignment, reason="No time")
    assert assignment.state == AssignmentState.DECLINED
    assert not queries.reviewer_may_see_proposal(reviewer.id, assignment.proposal_id)
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    planned = [r for p, r in plan.new_pairs if p == assignment.proposal_id]
    assert len(planned) == 3 and reviewer.id not in planned


def test_recusing_records_a_declared_conflict(setting, assignment):
    reviewer = setting.reviewers[0]
    reviewing.recuse_from_assignment(
        actor=reviewer, assignment=assignment, reason="I advised this city"
    )
    assert assignment.state == AssignmentState.RECUSED
    conflict = db.session.scalar(select(ConflictOfInterest))
    assert conflict.source == ConflictSource.DECLARED
    assert conflict.reason == "I advised this city"


# --- others' scores ---------------------------------------------------------------------


@pytest.fixture
def two_reviews(setting):
    proposal = setting.proposals[0]
    mine = make_assignment(proposal=proposal, reviewer=setting.reviewers[0])
    theirs = make_assignment(proposal=proposal, reviewer=setting.reviewers[1])
    make_review(assignment=theirs, scores={c.key: 5 for c in setting.call.criteria})
    return mine


def test_others_scores_are_hidden_until_the_reviewer_submits_their_own(setting, two_reviews):
    setting.call.score_visibility = ScoreVisibility.AFTER_OWN
    assert queries.other_reviews_for(two_reviews, setting.call) == []
    reviewing.save_review(
        actor=setting.reviewers[0],
        assignment=two_reviews,
        data=full_input(setting.call),
        submit=False,
    )
    assert queries.other_reviews_for(two_reviews, setting.call) == []
    reviewing.save_review(
        actor=setting.reviewers[0],
        assignment=two_reviews,
        data=full_input(setting.call),
        submit=True,
    )
    others = queries.other_reviews_for(two_reviews, setting.call)
    assert len(others) == 1 and set(others[0].scores.values()) == {5.0}


def test_others_scores_are_never_shown_when_the_call_says_never(setting, two_reviews):
    setting.call.score_visibility = ScoreVisibility.NEVER
    reviewing.save_review(
        actor=setting.reviewers[0],
        assignment=two_reviews,
        data=full_input(setting.call),
        submit=True,
    )
    assert queries.other_reviews_for(two_reviews, setting.call) == []


def test_others_scores_are_always_shown_when_the_call_says_always(setting, two_reviews):
    setting.call.score_visibility = ScoreVisibility.ALWAYS
    assert len(queries.other_reviews_for(two_reviews, setting.call)) == 1


# --- assignment -------------------------------------------------------------------------


def test_manual_assignment_respects_the_reviewer_limit(setting):
    reviewer = make_reviewer(profile={"max_proposals": 1})
    pairs = [(setting.proposals[0].id, reviewer.id), (setting.proposals[1].id, reviewer.id)]
    with pytest.raises(DomainError, match="limit"):
        assigning.assign_pairs(actor=setting.admin, call=setting.call, pairs=pairs)
    made = assigning.assign_pairs(actor=setting.admin, call=setting.call, pairs=pairs[:1])
    assert made[0].due_at == setting.call.review_deadline


def test_manual_assignment_in_bulk_emails_each_reviewer_once(setting):
    pairs = [(p.id, r.id) for p in setting.proposals for r in setting.reviewers[:2]]
    assigning.assign_pairs(actor=setting.admin, call=setting.call, pairs=pairs)
    notifications = db.session.scalars(
        select(Notification).where(Notification.template == "review_assigned")
    ).all()
    assert sorted(n.recipient_id for n in notifications) == sorted(
        r.id for r in setting.reviewers[:2]
    )
    assert all(n.context["count"] == 3 for n in notifications)
    assert notifications[0].context["queue_url"].startswith("http")


def test_a_declined_pair_can_be_assigned_again_by_hand(setting, assignment):
    reviewing.decline_assignment(actor=setting.reviewers[0], assignment=assignment, reason="Busy")
    assigning.assign_pairs(
        actor=setting.admin,
        call=setting.call,
        pairs=[(assignment.proposal_id, assignment.reviewer_id)],
    )
    assert assignment.state == AssignmentState.ASSIGNED and assignment.declined_reason is None


def test_removing_an_unstarted_assignment_deletes_it_and_a_started_one_ends(setting):
    unstarted = make_assignment(proposal=setting.proposals[0], reviewer=setting.reviewers[0])
    started = make_assignment(proposal=setting.proposals[1], reviewer=setting.reviewers[0])
    make_review(assignment=started, submitted=False)
    assigning.remove_assignment(actor=setting.admin, assignment=unstarted)
    assigning.remove_assignment(actor=setting.admin, assignment=started)
    assert db.session.get(Assignment, unstarted.id) is None
    assert started.state == AssignmentState.DECLINED


def test_automatic_assignment_plans_then_applies_k_per_proposal(setting):
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert plan.feasible and len(plan.new_pairs) == 9
    assert db.session.scalar(select(func.count(Assignment.id))) == 0  # a preview changes nothing
    assigning.apply_automatic_assignment(
        actor=setting.admin, call=setting.call, new_pairs=plan.new_pairs, removals=plan.removals
    )
    loads = dict(
        db.session.execute(
            select(Assignment.reviewer_id, func.count()).group_by(Assignment.reviewer_id)
        ).all()
    )
    assert sorted(loads.values()) == [2, 2, 2, 3]
    # Running it again finds nothing to do.
    again = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert again.new_pairs == [] and again.kept == 9


def test_rerunning_keeps_assignments_with_reviews_and_their_load(setting):
    proposal = setting.proposals[0]
    reviewed = make_assignment(proposal=proposal, reviewer=setting.reviewers[0])
    make_review(assignment=reviewed, submitted=False)
    unstarted = make_assignment(proposal=proposal, reviewer=setting.reviewers[1])
    plan = assigning.plan_automatic_assignment(
        actor=setting.admin, call=setting.call, replan_unstarted=True
    )
    assert (proposal.id, setting.reviewers[0].id) not in plan.new_pairs
    assert reviewed.id not in plan.removals
    assert sum(1 for p, _r in plan.new_pairs if p == proposal.id) in (1, 2)
    assert plan.loads[setting.reviewers[0].id][0] >= 1
    if unstarted.id in plan.removals:
        assert (proposal.id, setting.reviewers[1].id) not in plan.new_pairs


def test_automatic_assignment_says_which_proposals_are_short_and_why(setting):
    for reviewer in setting.reviewers[1:]:
        for proposal in setting.proposals[:1]:
            db.session.add(
                ConflictOfInterest(
                    reviewer_id=reviewer.id,
                    proposal_id=proposal.id,
                    source=ConflictSource.ADMINISTRATOR,
                    reason="test",
                    created_by_id=setting.admin.id,
                )
            )
    db.session.flush()
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert [(s.proposal_id, s.missing) for s in plan.shortfalls] == [(setting.proposals[0].id, 2)]
    message = assigning.shortfall_message(plan.shortfalls[0], plan.k)
    assert "1" in message and "3" in message


def test_applying_a_plan_rechecks_it(setting):
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    proposal_id, reviewer_id = plan.new_pairs[0]
    db.session.add(
        ConflictOfInterest(
            reviewer_id=reviewer_id,
            proposal_id=proposal_id,
            source=ConflictSource.DECLARED,
            reason="Found out",
            created_by_id=reviewer_id,
        )
    )
    db.session.flush()
    with pytest.raises(DomainError, match="conflict of interest"):
        assigning.apply_automatic_assignment(
            actor=setting.admin, call=setting.call, new_pairs=plan.new_pairs, removals=[]
        )


# --- reminders --------------------------------------------------------------------------


def test_reminders_and_overdue_notices_are_sent_once_per_assignment(app, setting, assignment):
    app.config["REVIEW_REMINDER_DAYS"] = 3
    deadline = setting.call.review_deadline
    assert reminders.send_review_reminders(now=deadline - timedelta(days=4)) == {
        "reminder": 0,
        "overdue": 0,
    }
    assert reminders.send_review_reminders(now=deadline - timedelta(days=2))["reminder"] == 1
    assert reminders.send_review_reminders(now=deadline - timedelta(days=1))["reminder"] == 0
    assert reminders.send_review_reminders(now=deadline + timedelta(hours=1))["overdue"] == 1
    assert reminders.send_review_reminders(now=deadline + timedelta(days=2)) == {
        "reminder": 0,
        "overdue": 0,
    }
    templates = sorted(
        db.session.scalars(
            select(Notification.template).where(Notification.recipient_id == assignment.reviewer_id)
        )
    )
    assert templates == ["review_overdue", "review_reminder"]


def test_a_submitted_review_gets_no_reminder(setting, assignment):
    make_review(assignment=assignment)
    assert reminders.send_review_reminders(now=setting.call.review_deadline) == {
        "reminder": 0,
        "overdue": 0,
    }


def test_the_remind_button_sends_once_a_day(setting, assignment):
    reviewer = setting.reviewers[0]
    assert reminders.remind_reviewer(actor=setting.admin, call=setting.call, reviewer=reviewer)
    assert not reminders.remind_reviewer(actor=setting.admin, call=setting.call, reviewer=reviewer)
    with time_machine.travel(utcnow() + timedelta(days=1)):
        assert reminders.remind_reviewer(actor=setting.admin, call=setting.call, reviewer=reviewer)
    with pytest.raises(DomainError):
        reminders.remind_reviewer(
            actor=setting.admin, call=setting.call, reviewer=setting.reviewers[3]
        )


def test_the_periodic_task_runs_the_reminders(setting, assignment):
    from workers.reviews import send_review_reminders

    with time_machine.travel(setting.call.review_deadline - timedelta(days=1)):
        assert send_review_reminders.run() == {"reminder": 1, "overdue": 0}
        assert send_review_reminders.run() == {"reminder": 0, "overdue": 0}


# --- profiles ---------------------------------------------------------------------------


def profile_values(**overrides):
    values = {
        "countries": ["pt", "KE"],
        "cities": ["Lisbon", "lisbon"],
        "organisations": ["UNESCO"],
        "email_domains": ["unesco.org"],
        "languages": ["EN", "fr"],
        "region": "Europe",
        "expertise": "Intercultural dialogue",
        "max_proposals": 12,
    }
    values.update(overrides)
    return values


def test_a_reviewer_edits_their_own_profile_and_not_anothers(setting):
    reviewer, other = setting.reviewers[:2]
    profile = profiles.update_reviewer_profile(
        actor=reviewer, reviewer=reviewer, **profile_values()
    )
    assert profile.countries == ["PT", "KE"]
    assert profile.cities == ["Lisbon"]
    assert profile.languages == ["en", "fr"]
    with pytest.raises(NotAllowed):
        profiles.update_reviewer_profile(actor=reviewer, reviewer=other, **profile_values())
    profiles.update_reviewer_profile(actor=setting.admin, reviewer=other, **profile_values())


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"countries": ["XX"]}, "countries"),
        ({"languages": ["zz"]}, "languages"),
        ({"email_domains": ["not a domain"]}, "email_domains"),
        ({"max_proposals": -1}, "max_proposals"),
    ],
)
def test_profile_input_is_checked(setting, override, field):
    reviewer = setting.reviewers[0]
    with pytest.raises(DomainError) as refused:
        profiles.update_reviewer_profile(
            actor=reviewer, reviewer=reviewer, **profile_values(**override)
        )
    assert refused.value.field == field


def test_an_invited_reviewer_works_with_the_defaults_until_saving_a_profile(setting):
    reviewer = invite_reviewer(actor=setting.admin, name="New Expert", email="new@example.org").user
    nairobi = setting.proposals[0]
    assert db.session.get(ReviewerProfile, reviewer.id) is None
    profile = profiles.get_profile(reviewer)
    assert profile.max_proposals == queries.default_reviewer_limit() == 15
    assert (profile.languages, profile.countries) == (["en"], [])
    assert conflicts.find_new_conflicts(call=setting.call, reviewer_ids=[reviewer.id]) == {}

    [made] = assigning.assign_pairs(
        actor=setting.admin, call=setting.call, pairs=[(nairobi.id, reviewer.id)]
    )
    [row] = [
        row
        for row in queries.reviewer_progress(setting.call, now=utcnow())
        if row.reviewer_id == reviewer.id
    ]
    assert (row.max_proposals, row.assigned) == (15, 1)

    profiles.update_reviewer_profile(
        actor=reviewer, reviewer=reviewer, **profile_values(countries=["KE"])
    )
    assert db.session.get(ReviewerProfile, reviewer.id).countries == ["KE"]
    assert made.state == AssignmentState.RECUSED


# --- emails and the command line -------------------------------------------------------


def test_every_review_email_renders_with_its_subject_and_link(setting, assignment):
    from app.outbox.services import render_notification

    assigning.assign_pairs(
        actor=setting.admin,
        call=setting.call,
        pairs=[(setting.proposals[1].id, setting.reviewers[0].id)],
    )
    deadline = setting.call.review_deadline
    reminders.send_review_reminders(now=deadline - timedelta(days=1))
    reminders.send_review_reminders(now=deadline + timedelta(days=1))
    reminders.remind_reviewer(actor=setting.admin, call=setting.call, reviewer=setting.reviewers[0])
    notifications = db.session.scalars(select(Notification)).all()
    templates = {n.template for n in notifications}
    assert templates == {"review_assigned", "review_reminder", "review_overdue"}
    for notification in notifications:
        message = render_notification(notification)
        assert setting.call.title in message["Subject"] or "review" in message["Subject"].lower()
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "http://call.test/reviews" in body


def test_the_command_line_plans_and_applies(app, setting):
    db.session.commit()
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["assign-reviewers", setting.call.slug])
    assert shown.exit_code == 0, shown.output
    assert "9 new assignments" in shown.output and "Nothing changed" in shown.output
    assert db.session.scalar(select(func.count(Assignment.id))) == 0
    applied = runner.invoke(args=["assign-reviewers", setting.call.slug, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert db.session.scalar(select(func.count(Assignment.id))) == 9
    missing = runner.invoke(args=["assign-reviewers", "no-such-call"])
    assert missing.exit_code != 0
