"""Every route of the jobs domain: a job exists only for the person who started it."""

from pathlib import Path

from flask import current_app

from app.extensions import db
from tests.access import RouteAccess, only

# The administrator started the job; to everyone else it does not exist.
STARTER_ONLY = only("administrator", others=404)


def _administrators_job(w) -> int:
    from app.accounts.models import User
    from tests.factories import make_job

    folder = Path(current_app.config["EXPORT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.csv").write_text("city,score\n")
    job = make_job(
        started_by=db.session.get(User, w.administrator_user),
        state="succeeded",
        progress=100,
        result_path="result.csv",
    )
    db.session.commit()
    return job.id


ROUTES = [
    RouteAccess("jobs.status", lambda w: f"/jobs/{_administrators_job(w)}", STARTER_ONLY),
    RouteAccess("jobs.show", lambda w: f"/jobs/{_administrators_job(w)}/view", STARTER_ONLY),
    RouteAccess(
        "jobs.download", lambda w: f"/jobs/{_administrators_job(w)}/download", STARTER_ONLY
    ),
]
