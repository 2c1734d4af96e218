"""Shortlists routes in the role x route table: administrators only.

Visitors are sent to log in; applicants and reviewers get 403, so that no city can see a
ranking or a shortlist before (or after) publication through these pages. A successful
POST redirects (302); publishing world.call is refused (it is still open): the publishing
page again, saying why (400).
"""

from __future__ import annotations

from app.extensions import db
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from app.shortlists.services import CompileParameters
from tests.access import RouteAccess, World, administrators, post_route

ADMIN_PAGE = administrators()
ADMIN_POST = administrators(302)


def _shortlist(w: World) -> Shortlist:
    """A compiled shortlist of world.call: world.proposal in, world.other_proposal out."""
    shortlist = Shortlist(
        call_id=w.call,
        state=ShortlistState.COMPILED,
        parameters=CompileParameters(size=1, min_per_group=0).as_dict(),
    )
    shortlist.entries = [
        ShortlistEntry(proposal_id=w.proposal, rank=1, score=80.0, included=True, why=""),
        ShortlistEntry(proposal_id=w.other_proposal, rank=2, score=60.0, included=False, why=""),
    ]
    db.session.add(shortlist)
    db.session.flush()
    return shortlist


def _detail(w: World) -> str:
    return f"/admin/shortlists/{_shortlist(w).id}"


def _adjust(w: World) -> str:
    shortlist = _shortlist(w)
    return f"/admin/shortlists/{shortlist.id}/entries/{shortlist.entries[1].id}"


def _compare(w: World) -> str:
    before, after = _shortlist(w), _shortlist(w)
    return f"/admin/shortlists/{after.id}/compare?with={before.id}"


ROUTES = [
    RouteAccess("shortlists.ranking", lambda w: f"/admin/calls/{w.call}/ranking", ADMIN_PAGE),
    RouteAccess("shortlists.charts", lambda w: f"/admin/calls/{w.call}/charts", ADMIN_PAGE),
    RouteAccess("shortlists.index", lambda w: f"/admin/calls/{w.call}/shortlists", ADMIN_PAGE),
    post_route(
        "shortlists.compile",
        lambda w: f"/admin/calls/{w.call}/shortlists",
        # Let through, then refused with the form's message: the world's one proposal has no
        # review yet, so no city can be chosen (the form says so before compiling).
        administrators(400),
        data=lambda w: {"size": "1", "min_per_group": "0", "group_by": "continent"},
    ),
    RouteAccess("shortlists.detail", _detail, ADMIN_PAGE),
    post_route(
        "shortlists.adjust",
        _adjust,
        ADMIN_POST,
        data=lambda w: {"include": "1", "reason": "A strong partner network"},
    ),
    post_route(
        "shortlists.compile_again",
        lambda w: _detail(w) + "/compile-again",
        ADMIN_POST,
        data=lambda w: {},
    ),
    RouteAccess("shortlists.compare", _compare, ADMIN_PAGE),
    RouteAccess("shortlists.publish_preview", lambda w: _detail(w) + "/publish", ADMIN_PAGE),
    post_route(
        "shortlists.publish",
        lambda w: _detail(w) + "/publish",
        administrators(400),
        data=lambda w: {"confirm": "y"},
    ),
    RouteAccess("shortlists.exports", lambda w: f"/admin/calls/{w.call}/exports", ADMIN_PAGE),
    post_route(
        "shortlists.start_export",
        lambda w: f"/admin/calls/{w.call}/exports",
        ADMIN_POST,
        data=lambda w: {"export_format": "csv"},
    ),
    RouteAccess(
        "shortlists.download_export",
        lambda w: f"/admin/calls/{w.call}/exports/csv",
        ADMIN_PAGE,
    ),
]
