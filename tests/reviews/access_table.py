"""Every route of the reviews domain, for every role (see tests/access.py)."""

from __future__ import annotations

from app.extensions import db
from app.reviews.models import ConflictOfInterest, ConflictSource
from tests.access import RouteAccess, only

REVIEWERS = ("reviewer", "other_reviewer")


def own_assignment(ok: int) -> dict[str, int]:
    """Only the assigned reviewer; another reviewer is told it does not exist."""
    return only("reviewer", ok=ok, other_reviewer=404)


def administrators(ok: int = 200) -> dict[str, int]:
    return only("administrator", ok=ok)


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
    RouteAccess("reviews.profile", lambda w: "/reviews/profile", only(*REVIEWERS)),
    RouteAccess(
        "reviews.profile",
        lambda w: "/reviews/profile",
        only(*REVIEWERS, ok=302),
        method="POST",
        data=lambda w: PROFILE,
    ),
    RouteAccess(
        "reviews.review", lambda w: f"/reviews/assignments/{w.assignment}", own_assignment(200)
    ),
    RouteAccess(
        "reviews.review",
        lambda w: f"/reviews/assignments/{w.assignment}",
        own_assignment(302),
        method="POST",
        data=lambda w: {"action": "save", "score_diversity": "3"},
    ),
    RouteAccess(
        "reviews.withdraw",
        lambda w: f"/reviews/assignments/{w.assignment}/withdraw",
        own_assignment(302),
        method="POST",
        data=lambda w: {"kind": "abstain", "reason": "No time this month"},
    ),
    RouteAccess("reviews.dashboard", lambda w: f"/admin/calls/{w.call}/reviews", administrators()),
    RouteAccess(
        "reviews.remind",
        lambda w: f"/admin/calls/{w.call}/reviews/remind/{w.reviewer_user}",
        administrators(302),
        method="POST",
    ),
    RouteAccess(
        "reviews.auto_assign",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign",
        administrators(),
    ),
    RouteAccess(
        "reviews.auto_assign_preview",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign/preview",
        administrators(),
        method="POST",
    ),
    RouteAccess(
        "reviews.auto_assign_apply",
        lambda w: f"/admin/calls/{w.call}/reviews/auto-assign/apply",
        administrators(302),
        method="POST",
        data=lambda w: {"pairs": "", "removals": ""},
    ),
    RouteAccess(
        "reviews.proposal_reviewers",
        lambda w: f"/admin/proposals/{w.proposal}/reviewers",
        administrators(),
    ),
    RouteAccess(
        "reviews.proposal_reviewers",
        lambda w: f"/admin/proposals/{w.other_proposal}/reviewers",
        administrators(302),
        method="POST",
        data=lambda w: {"reviewer_ids": str(w.reviewer_user)},
    ),
    RouteAccess(
        "reviews.reviewer_assignments",
        lambda w: f"/admin/calls/{w.call}/reviewers/{w.reviewer_user}",
        administrators(),
    ),
    RouteAccess(
        "reviews.reviewer_assignments",
        lambda w: f"/admin/calls/{w.call}/reviewers/{w.reviewer_user}",
        administrators(302),
        method="POST",
        data=lambda w: {"proposal_ids": str(w.other_proposal)},
    ),
    RouteAccess(
        "reviews.remove_assignment",
        lambda w: f"/admin/assignments/{w.assignment}/remove",
        administrators(302),
        method="POST",
    ),
    RouteAccess(
        "reviews.set_conflict",
        lambda w: f"/admin/proposals/{w.proposal}/conflicts",
        administrators(302),
        method="POST",
        data=lambda w: {"reviewer_id": str(w.reviewer_user), "reason": "Same employer"},
    ),
    RouteAccess(
        "reviews.lift_conflict",
        lambda w: f"/admin/conflicts/{a_conflict(w)}/lift",
        administrators(302),
        method="POST",
    ),
    RouteAccess(
        "reviews.admin_profile",
        lambda w: f"/admin/reviewers/{w.reviewer_user}/profile",
        administrators(),
    ),
    RouteAccess(
        "reviews.admin_profile",
        lambda w: f"/admin/reviewers/{w.reviewer_user}/profile",
        administrators(302),
        method="POST",
        data=lambda w: PROFILE,
    ),
]
