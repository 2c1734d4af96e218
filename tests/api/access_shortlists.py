"""Access rows of the API's rankings, shortlists, compilations, exports and jobs (gathered by
tests/api/access_table.py): administrators only, as on the pages, and to everyone else
they do not exist (404); a job only for the person who started it."""

from app.accounts.models import User
from app.extensions import db
from tests.access import RouteAccess, World, api_only, api_route
from tests.factories import make_job, make_review
from tests.jobs.access_table import _administrators_job
from tests.shortlists.access_table import _shortlist

ADMINISTRATORS = api_only("administrator")


def _reviewed_call(w: World) -> int:
    """world.call once world.proposal has a review: a shortlist of one can be compiled."""
    from app.reviews.models import Assignment

    make_review(assignment=db.session.get_one(Assignment, w.assignment))
    db.session.commit()
    return w.call


def _applicants_job(w: World) -> int:
    job = make_job(started_by=db.session.get_one(User, w.applicant_user))
    db.session.commit()
    return job.id


def _administrators_waiting_job(w: World) -> int:
    job = make_job(started_by=db.session.get_one(User, w.administrator_user), state="running")
    db.session.commit()
    return job.id


ROUTES: list[RouteAccess] = [
    api_route(
        "api_shortlists.CallRanking", lambda w: f"/api/v1/calls/{w.call}/ranking", ADMINISTRATORS
    ),
    api_route(
        "api_shortlists.CallShortlists",
        lambda w: f"/api/v1/calls/{w.call}/shortlists",
        ADMINISTRATORS,
    ),
    api_route(
        "api_shortlists.CallShortlists",
        lambda w: f"/api/v1/calls/{_reviewed_call(w)}/shortlists",
        api_only("administrator", ok=202),
        method="POST",
        data=lambda w: {"size": 1, "min_per_group": 0},
    ),
    api_route(
        "api_shortlists.OneShortlist",
        lambda w: f"/api/v1/shortlists/{_shortlist(w).id}",
        ADMINISTRATORS,
    ),
    api_route(
        "api_shortlists.CallExports",
        lambda w: f"/api/v1/calls/{w.call}/exports",
        api_only("administrator", ok=202),
        method="POST",
        data=lambda w: {"format": "csv"},
    ),
    api_route(
        "api_shortlists.OneJob", lambda w: f"/api/v1/jobs/{_administrators_job(w)}", ADMINISTRATORS
    ),
    api_route(
        "api_shortlists.OneJob",
        lambda w: f"/api/v1/jobs/{_applicants_job(w)}",
        api_only("applicant"),
        name="of a city",
    ),
    api_route(
        "api_shortlists.JobResult",
        lambda w: f"/api/v1/jobs/{_administrators_job(w)}/result",
        ADMINISTRATORS,
    ),
    api_route(
        "api_shortlists.JobResult",
        lambda w: f"/api/v1/jobs/{_administrators_waiting_job(w)}/result",
        api_only("administrator", ok=409),
        name="not finished",
    ),
]
