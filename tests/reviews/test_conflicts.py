"""Conflicts of interest: automatic rules, declared, set and lifted, and enforced everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.proposals.models import Partner
from app.reviews import assigning, conflicts, profiles, queries, reminders
from app.reviews.models import Assignment, AssignmentState, ConflictOfInterest, ConflictSource
from tests.client import log_in
from tests.factories import make_assignment, make_proposal, make_review, make_reviewer
from tests.reviews.helpers import make_reviewing


def active_pairs(call):
    return {
        (c.proposal_id, c.reviewer_id)
        for c in db.session.scalars(
            select(ConflictOfInterest).where(ConflictOfInterest.lifted_at.is_(None))
        )
    }


@pytest.mark.parametrize(
    ("profile", "proposal_fields", "partner"),
    [
        ({"countries": ["KE"]}, {}, None),
        ({"cities": ["  nairobi "]}, {}, None),
        ({"organisations": ["City of Nairobi."]}, {"organisation": "City of  Nairobi"}, None),
        ({"email_domains": ["@Nairobi.go.ke"]}, {"contact_email": "mayor@nairobi.go.ke"}, None),
        ({"organisations": ["Kenya Arts Trust"]}, {}, {"organisation": "kenya arts trust"}),
        ({"email_domains": ["arts.ke"]}, {}, {"organisation": "X", "email_domain": "arts.ke"}),
    ],
)
def test_automatic_conflicts_are_found(app_context, profile, proposal_fields, partner):
    setting = make_reviewing(proposals=0, reviewers=0)
    reviewer = make_reviewer(profile={"languages": ["en"], **profile})
    proposal = make_proposal(
        call=setting.call, state="submitted", city="Nairobi", country_code="KE", **proposal_fields
    )
    if partner:
        db.session.add(Partner(proposal_id=proposal.id, **partner))
        db.session.flush()
    assert conflicts.detect_conflicts(call=setting.call) == 1
    conflict = db.session.scalar(select(ConflictOfInterest))
    assert (conflict.proposal_id, conflict.reviewer_id) == (proposal.id, reviewer.id)
    assert conflict.source == ConflictSource.AUTOMATIC
    assert conflict.reason


def test_same_country_and_city_count_only_when_the_call_says_so(app_context):
    setting = make_reviewing(
        proposals=1, reviewers=0, conflict_same_country=False, conflict_same_city=False
    )
    make_reviewer(profile={"countries": ["KE"], "cities": ["Nairobi"]})
    assert conflicts.detect_conflicts(call=setting.call) == 0


def test_a_reviewer_never_reviews_their_own_proposal(app_context):
    setting = make_reviewing(proposals=0, reviewers=1)
    reviewer = setting.reviewers[0]
    own = make_proposal(call=setting.call, owner=reviewer, state="submitted", country_code="AR")
    conflicts.detect_conflicts(call=setting.call)
    assert (own.id, reviewer.id) in active_pairs(setting.call)


def test_a_lifted_conflict_stays_as_history_and_is_not_found_again(app_context):
    setting = make_reviewing(proposals=1, reviewers=0)
    reviewer = make_reviewer(profile={"countries": ["KE"]})
    conflicts.detect_conflicts(call=setting.call)
    conflict = db.session.scalar(select(ConflictOfInterest))
    conflicts.lift_conflict(actor=setting.admin, conflict=conflict)
    assert conflicts.detect_conflicts(call=setting.call) == 0
    rows = db.session.scalars(select(ConflictOfInterest)).all()
    assert len(rows) == 1 and rows[0].lifted_by_id == setting.admin.id
    assert active_pairs(setting.call) == set()
    # The administrator's decision holds: the reviewer can now be assigned.
    assigning.assign_pairs(
        actor=setting.admin, call=setting.call, pairs=[(setting.proposals[0].id, reviewer.id)]
    )


def test_a_resubmission_naming_a_reviewers_organisation_is_a_conflict(app_context):
    """The task queued when a city submits checks that proposal against every reviewer."""
    from workers.reviews import detect_proposal_conflicts

    setting = make_reviewing(proposals=2, reviewers=0)
    proposal, other = setting.proposals
    reviewer = make_reviewer(profile={"languages": ["en"], "email_domains": ["arts.ke"]})
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    assert detect_proposal_conflicts(proposal.id) == 0  # nothing in common yet
    db.session.add(Partner(proposal_id=proposal.id, organisation="Arts", email_domain="arts.ke"))
    db.session.add(Partner(proposal_id=other.id, organisation="Arts", email_domain="arts.ke"))
    db.session.flush()
    assert detect_proposal_conflicts(proposal.id) == 1
    assert active_pairs(setting.call) == {(proposal.id, reviewer.id)}  # only that proposal
    db.session.refresh(assignment)  # the task ran in its own app context and session
    assert assignment.state == AssignmentState.RECUSED


def test_a_draft_is_not_checked_for_conflicts(app_context):
    setting = make_reviewing(proposals=0, reviewers=0)
    make_reviewer(profile={"countries": ["KE"]})
    draft = make_proposal(call=setting.call, state="draft", country_code="KE")
    assert conflicts.detect_conflicts_of_proposal(draft.id) == 0
    assert active_pairs(setting.call) == set()


def test_declaring_a_conflict_needs_a_reason_and_ends_the_assignment(app_context):
    setting = make_reviewing(proposals=1, reviewers=1)
    reviewer, proposal = setting.reviewers[0], setting.proposals[0]
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    with pytest.raises(Exception, match="reason"):
        conflicts.declare_conflict(actor=reviewer, proposal=proposal, reason="  ")
    conflicts.declare_conflict(actor=reviewer, proposal=proposal, reason="My cousin is mayor")
    assert assignment.state == AssignmentState.RECUSED
    assert assignment.declined_reason == "My cousin is mayor"


def test_an_administrator_sets_a_conflict_and_a_second_one_is_refused(app_context):
    setting = make_reviewing(proposals=1, reviewers=1)
    reviewer, proposal = setting.reviewers[0], setting.proposals[0]
    conflict = conflicts.set_conflict(
        actor=setting.admin, proposal=proposal, reviewer=reviewer, reason="Worked together"
    )
    assert conflict.source == ConflictSource.ADMINISTRATOR
    with pytest.raises(Exception, match="already recorded"):
        conflicts.set_conflict(
            actor=setting.admin, proposal=proposal, reviewer=reviewer, reason="Again"
        )


def test_a_profile_change_that_reveals_a_conflict_ends_the_assignment(app_context):
    setting = make_reviewing(proposals=1, reviewers=1)
    reviewer, proposal = setting.reviewers[0], setting.proposals[0]
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    profiles.update_reviewer_profile(
        actor=reviewer,
        reviewer=reviewer,
        countries=["KE"],
        cities=[],
        organisations=[],
        email_domains=[],
        languages=["en"],
        region="Africa",
        expertise="",
        max_proposals=5,
    )
    assert assignment.state == AssignmentState.RECUSED
    assert not queries.reviewer_may_see_proposal(reviewer.id, proposal.id)


# --- enforced in every path -------------------------------------------------------------


@pytest.fixture
def conflicted(app_context):
    """A reviewer assigned to two proposals, then conflicted with the first one."""
    setting = make_reviewing(proposals=2, reviewers=2)
    reviewer, other = setting.reviewers
    first, second = setting.proposals
    kept = make_assignment(proposal=second, reviewer=reviewer)
    hidden = make_assignment(proposal=first, reviewer=reviewer)
    make_review(assignment=make_assignment(proposal=first, reviewer=other))
    conflicts.set_conflict(
        actor=setting.admin, proposal=first, reviewer=reviewer, reason="Former employer"
    )
    db.session.commit()
    return setting, reviewer, first, hidden, kept


def test_conflict_hides_the_proposal_from_the_queue(conflicted):
    _setting, reviewer, first, _hidden, kept = conflicted
    rows = queries.reviewer_queue(reviewer.id)
    assert [row.assignment_id for row in rows] == [kept.id]
    visible = set(db.session.scalars(queries.visible_proposal_ids_for_reviewer(reviewer.id)))
    assert first.id not in visible


def test_conflict_hides_the_reading_view(conflicted, client):
    _setting, reviewer, _first, hidden, kept = conflicted
    log_in(client, reviewer)
    assert client.get(f"/reviews/assignments/{hidden.id}").status_code == 404
    assert client.get(f"/reviews/assignments/{kept.id}").status_code == 200
    response = client.post(
        f"/reviews/assignments/{hidden.id}", data={"action": "save", "score_diversity": "3"}
    )
    assert response.status_code == 404
    queue_page = client.get("/reviews").get_data(as_text=True)
    assert "Nairobi" not in queue_page and "Lima" in queue_page


def test_conflict_hides_the_attachments(conflicted, client, app):
    _setting, reviewer, first, _hidden, _kept = conflicted
    from app.proposals.permissions import can_view_proposal

    assert not can_view_proposal(reviewer, first)


def test_conflict_hides_the_other_reviews_and_the_dashboard(conflicted, client):
    setting, reviewer, _first, hidden, _kept = conflicted
    setting.call.score_visibility = "always"
    assert queries.other_reviews_for(hidden, setting.call) == []
    log_in(client, reviewer)
    assert client.get(f"/admin/calls/{setting.call.id}/reviews").status_code == 403


def test_conflict_blocks_manual_assignment(conflicted):
    setting, reviewer, first, _hidden, _kept = conflicted
    with pytest.raises(Exception, match="conflict of interest"):
        assigning.assign_pairs(
            actor=setting.admin, call=setting.call, pairs=[(first.id, reviewer.id)]
        )


def test_conflict_blocks_automatic_assignment(conflicted):
    setting, reviewer, first, _hidden, _kept = conflicted
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert (first.id, reviewer.id) not in plan.new_pairs


def test_conflict_stops_reminders(conflicted):
    setting, _reviewer, _first, hidden, _kept = conflicted
    hidden.due_at = setting.call.review_deadline
    counts = reminders.send_review_reminders(now=setting.call.review_deadline)
    assert counts["overdue"] == 1  # the kept assignment only


def test_conflict_blocks_the_attachment_download_over_http(conflicted, client):
    from app.proposals import storage
    from app.proposals.models import Attachment

    _setting, reviewer, first, _hidden, _kept = conflicted
    stored = storage.store_file(b"%PDF-1.4 letter of support", "application/pdf")
    attachment = Attachment(
        proposal_id=first.id,
        original_name="letter.pdf",
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        checksum_sha256=stored.checksum_sha256,
    )
    db.session.add(attachment)
    db.session.commit()

    def url() -> str:
        assignment_id = db.session.scalar(
            select(Assignment.id)
            .where(Assignment.proposal_id == first.id, Assignment.reviewer_id == reviewer.id)
            .order_by(Assignment.id.desc())
        )
        return f"/reviews/assignments/{assignment_id}/attachments/{attachment.id}"

    log_in(client, reviewer)
    assert client.get(url()).status_code == 404
    # Lifting the conflict does not bring the ended assignment back; assigning again does.
    conflict = db.session.scalar(select(ConflictOfInterest))
    conflicts.lift_conflict(actor=_setting.admin, conflict=conflict)
    assigning.assign_pairs(
        actor=_setting.admin, call=_setting.call, pairs=[(first.id, reviewer.id)]
    )
    db.session.commit()
    log_in(client, reviewer)
    assert client.get(url()).status_code == 200
