"""Automatic assignment as the administrator meets it: the preview changes nothing, and
applying names (and asks to confirm) the submitted reviews a new conflict ends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.db import Base
from app.errors import Conflict, DomainError
from app.extensions import db
from app.reviews import assigning
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    ConflictSource,
    ReviewerProfile,
)
from tests.client import log_in
from tests.factories import make_assignment, make_review
from tests.reviews.helpers import make_reviewing


def database_contents() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: what "nothing changed" means."""
    contents = {}
    for table in Base.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        contents[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
    return contents


@pytest.fixture
def same_country(app_context):
    """Reviewer 0 holds a submitted review of Nairobi and Reviewer 1 an unstarted assignment
    to it; both are from Kenya, which the call counts as a conflict not recorded yet (their
    profiles were written before the rule applied)."""
    setting = make_reviewing(proposals=3, reviewers=5)
    nairobi = setting.proposals[0]
    submitted = make_assignment(proposal=nairobi, reviewer=setting.reviewers[0])
    make_review(assignment=submitted, submitted=True)
    unstarted = make_assignment(proposal=nairobi, reviewer=setting.reviewers[1])
    for reviewer in setting.reviewers[:2]:
        db.session.get(ReviewerProfile, reviewer.id).countries = ["KE"]
    db.session.commit()
    return setting, nairobi, submitted, unstarted


def preview_page(client, setting) -> str:
    log_in(client, setting.admin)
    assert client.get(f"/admin/calls/{setting.call.id}/reviews/auto-assign").status_code == 200
    response = client.post(f"/admin/calls/{setting.call.id}/reviews/auto-assign/preview")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or re.search(
        rf'name="{name}"[^>]*value="([^"]*)"', page
    )
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def plan_form(page: str, **extra) -> dict[str, str]:
    names = ("pairs", "removals", "recusals", "replan_unstarted")
    return {name: hidden(page, name) for name in names} | extra


def test_the_preview_changes_nothing_in_any_table(client, same_country):
    setting, _nairobi, _submitted, _unstarted = same_country
    log_in(client, setting.admin)
    client.get(f"/admin/calls/{setting.call.id}/reviews/auto-assign")
    before = database_contents()
    page = preview_page(client, setting)
    db.session.expire_all()
    assert database_contents() == before
    # ... while the page says what applying would do.
    assert "Nothing has changed yet" in page
    assert "Applying ends 2 assignments because of a conflict of interest" in page
    assert "1 of them has a submitted review" in page
    recusals = page.split('id="recusals"')[1].split("</table>")[0]
    assert "<td>Reviewer 0</td><td>Nairobi</td><td>Submitted</td>" in recusals
    assert "<td>Reviewer 1</td><td>Nairobi</td><td>Not submitted</td>" in recusals
    assert "Conflicts of interest found (2)" in page and "Same country: KE" in page
    assert 'name="confirm_recusals"' in page


def test_the_plan_gives_the_proposal_reviewers_in_place_of_the_ended_ones(same_country):
    setting, nairobi, submitted, unstarted = same_country
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    assert [e.assignment_id for e in plan.recusals] == [submitted.id, unstarted.id]
    on_nairobi = {r for p, r in plan.new_pairs if p == nairobi.id}
    assert len(on_nairobi) == 3
    assert not on_nairobi & {setting.reviewers[0].id, setting.reviewers[1].id}
    assert db.session.scalar(select(ConflictOfInterest.id)) is None


def test_applying_without_confirming_the_submitted_review_is_refused(client, same_country):
    setting, _nairobi, submitted, _unstarted = same_country
    page = preview_page(client, setting)
    before = database_contents()
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply", data=plan_form(page)
    )
    assert response.status_code == 422
    refused = response.get_data(as_text=True)
    assert "Applying this plan ends submitted reviews because of a conflict of interest" in refused
    assert "Reviewer 0 on Nairobi" in refused and "Tick the box" in refused
    # The plan is shown again, ready to confirm.
    assert 'name="confirm_recusals"' in refused and "Apply this plan" in refused
    db.session.expire_all()
    assert database_contents() == before
    assert submitted.state == AssignmentState.SUBMITTED


def test_applying_with_confirmation_records_the_conflicts_and_names_the_ended_reviews(
    client, same_country
):
    setting, nairobi, submitted, unstarted = same_country
    page = preview_page(client, setting)
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply",
        data=plan_form(page, confirm_recusals="y"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert submitted.state == AssignmentState.RECUSED
    assert unstarted.state == AssignmentState.RECUSED
    recorded = db.session.scalars(select(ConflictOfInterest)).all()
    assert {(c.proposal_id, c.reviewer_id, c.source) for c in recorded} == {
        (nairobi.id, setting.reviewers[0].id, ConflictSource.AUTOMATIC),
        (nairobi.id, setting.reviewers[1].id, ConflictSource.AUTOMATIC),
    }
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "assignments.plan_applied")
    )
    assert entry.actor_id == setting.admin.id
    assert entry.details["recused"] == [
        {
            "assignment_id": submitted.id,
            "reviewer": "Reviewer 0",
            "city": "Nairobi",
            "review_submitted": True,
        },
        {
            "assignment_id": unstarted.id,
            "reviewer": "Reviewer 1",
            "city": "Nairobi",
            "review_submitted": False,
        },
    ]
    active = db.session.scalars(
        select(Assignment.reviewer_id).where(
            Assignment.proposal_id == nairobi.id, Assignment.state == AssignmentState.ASSIGNED
        )
    ).all()
    assert len(active) == 3


def test_applying_refuses_to_end_assignments_the_preview_did_not_name(same_country):
    setting, _nairobi, submitted, _unstarted = same_country
    plan = assigning.plan_automatic_assignment(actor=setting.admin, call=setting.call)
    with pytest.raises(Conflict, match="changed since the preview"):
        assigning.apply_automatic_assignment(
            actor=setting.admin,
            call=setting.call,
            new_pairs=plan.new_pairs,
            removals=plan.removals,
            recusals=[submitted.id],
            confirm_recusals=True,
        )
    with pytest.raises(DomainError, match="Reviewer 0 on Nairobi"):
        assigning.apply_automatic_assignment(
            actor=setting.admin,
            call=setting.call,
            new_pairs=plan.new_pairs,
            removals=plan.removals,
            recusals=[e.assignment_id for e in plan.recusals],
        )
    assert submitted.state == AssignmentState.SUBMITTED


@pytest.mark.parametrize(
    "field",
    [
        {"removals": "99999999999"},
        {"removals": "²"},
        {"recusals": "1,,2"},
        {"pairs": "1:99999999999"},
        {"pairs": "1:2\n"},
    ],
)
def test_a_damaged_plan_is_refused_with_a_message(client, same_country, field):
    setting = same_country[0]
    page = preview_page(client, setting)
    before = database_contents()
    response = client.post(
        f"/admin/calls/{setting.call.id}/reviews/auto-assign/apply",
        data=plan_form(page, confirm_recusals="y") | field,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "The plan was damaged; preview again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert database_contents() == before
