"""Every route of the reviews domain, for every role (see tests/access.py)."""

from __future__ import annotations

from app.extensions import db
from app.reviews.models import ConflictOfInterest, ConflictSource
from tests.access import RouteAccess, administrators, only, page_with_form, post_route
from tests.proposals.access_table import an_attachment

REVIEWERS = ("reviewer", "other_reviewer")


def own_assignment(ok: int) -> dict[str, int]:
    """Only the assigned reviewer; another reviewer is told it does not exist."""
    return only("reviewer", ok=ok, other_reviewer=404)


def a_conflict(w) -> int:
    conflict = ConflictOfInterest(
        reviewer_id=w.reviewer_user,
        proposal_id=w.other_proposal,
        source=ConflictSource.ADMINISTRATOR,
        reason="Worked together",
        created_by_id=w.administrator_user,
    )
    db.session.add(conflict)
    db.session.commit()
    return conflict.id


PROFILE = {"languages": "en, fr", "countries": "PT", "max_proposals": "5", "region": "Europe"}

ROUTES = [
    RouteAccess("reviews.queue", lambda w: "/reviews", only(*REVIEWERS)),
    *page_with_form(
        "reviews.profile",
        lambda w: "/reviews/profile",
        lambda w: PROFILE,
        page=only(*REVIEWERS),
        submit=only(*REVIEWERS, ok=302),
    ),
    *page_with_form(
        "reviews.review",
        lambda w: f"/reviews/assignments/{w.assignment}",
        lambda w: {"action": "save", "score_diversity": "3"},
        page=own_assignment(200),
        submit=own_assignment(302),
    ),
    RouteAccess(
        "reviews.download_attachment",
        lambda w: f"/reviews/assignments/{w.assignment}/attachments/{an_attachment(w.proposal)}",
        own_assignment(200),
    ),
    post_route(
        "reviews.withdraw",
        lambda w: f"/reviews/assignments/{w.assignment}/withdraw",
        own_assignment(302),
        data=lambda w: {"kind": "abstain", "reason": "No time this month"},
    ),
    RouteAccess("reviews.dashboard", lambda w: f"/admin/calls/{w.call}/reviews", administrators()),
    post_route(
        "reviews.remind",
        lambda w: f"/admin/calls/{w.call}/reviews/remind/{w.reviewer_user}",
        administrators(302),
    ),
    RouteAccess(
        "reviews.auto_assign",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign",
        administrators(),
    ),
    post_route(
        "reviews.auto_assign_preview",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign/preview",
        administrators(),
    ),
    post_route(
        "reviews.auto_assign_apply",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign/apply",
        administrators(302),
        data=lambda w: {"pairs": "", "removals": ""},
    ),
    RouteAccess(
        "reviews.proposal_reviewers",
        lambda w: f"/admin/proposals/{w.proposal}/reviewers",
        administrators(),
    ),
    post_route(
        "reviews.proposal_reviewers",
        lambda w: f"/admin/proposals/{w.other_proposal}/reviewers",
        administrators(302),
        data=lambda w: {"reviewer_ids": str(w.reviewer_user)},
    ),
    *page_with_form(
        "reviews.reviewer_assignments",
        lambda w: f"/admin/calls/{w.call}/reviewers/{w.reviewer_user}",
        lambda w: {"proposal_ids": str(w.other_proposal)},
        page=administrators(),
        submit=administrators(302),
    ),
    post_route(
        "reviews.remove_assignment",
        lambda w: f"/admin/assignments/{w.assignment}/remove",
        administrators(302),
    ),
    post_route(
        "reviews.set_conflict",
        lambda w: f"/admin/proposals/{w.proposal}/conflicts",
        administrators(302),
        data=lambda w: {"reviewer_id": str(w.reviewer_user), "reason": "Same employer"},
    ),
    post_route(
        "reviews.lift_conflict",
        lambda w: f"/admin/conflicts/{a_conflict(w)}/lift",
        administrators(302),
    ),
    *page_with_form(
        "reviews.admin_profile",
        lambda w: f"/admin/reviewers/{w.reviewer_user}/profile",
        lambda w: PROFILE,
        page=administrators(),
        submit=administrators(302),
    ),
]
