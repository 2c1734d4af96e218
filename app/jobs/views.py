"""Routes of the jobs domain: a job's progress (JSON and a page) and its result file.

Only the person who started a job sees it; everyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    send_file,
    url_for,
)
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.jobs import services
from app.jobs.models import Job, JobState
from app.jobs.permissions import can_download_job_result, can_view_job

bp = Blueprint("jobs", __name__)

STATE_LABELS = {
    JobState.QUEUED: _l("Waiting to start"),
    JobState.RUNNING: _l("Running"),
    JobState.SUCCEEDED: _l("Done"),
    JobState.FAILED: _l("Stopped by an error"),
}
# Every kind a service starts (app/notifications/bulk.py, app/shortlists/services.py).
KIND_LABELS = {
    "bulk_message": _l("Sending a message to a group"),
    "shortlist_compile": _l("Compiling a shortlist"),
    "call_export": _l("Preparing an export of the call"),
}
# Where the job page links back to, by kind (endpoints that take the job's call_id, or none).
BACK_LINKS = {
    "bulk_message": ("notifications.outbox", False),
    "shortlist_compile": ("shortlists.index", True),
    "call_export": ("shortlists.exports", True),
}


# After a failure, the page says what did not happen, by kind.
FAILURE_TITLES = {
    "bulk_message": _l("The message was not sent to everyone"),
    "shortlist_compile": _l("No shortlist was compiled"),
    "call_export": _l("The export was not prepared"),
}
# What the page offers about the job's object, by kind: (endpoint, the parameter of the job
# that the endpoint takes, label). Named, never imported: the domains sit above jobs.
FollowUp = tuple[str, str, LazyString]
RESULT_LINKS: dict[str, FollowUp] = {
    "shortlist_compile": ("shortlists.detail", "shortlist_id", _l("See the shortlist")),
}
RETRY_BUTTONS: dict[str, FollowUp] = {
    "shortlist_compile": ("shortlists.compile_again", "shortlist_id", _l("Compile again")),
}


def _job_or_404(job_id: int, *, allowed=can_view_job) -> Job:
    job = services.job_of_user(job_id, current_user)
    if job is None or not allowed(current_user, job):
        abort(404)
    return job


def _download_url(job: Job) -> str | None:
    if services.result_file(job) is None:
        return None
    return url_for("jobs.download", job_id=job.id)


def _back_url(job: Job) -> str:
    endpoint, takes_call = BACK_LINKS.get(job.kind, ("calls.index", False))
    if endpoint not in current_app.view_functions or (takes_call and job.call_id is None):
        endpoint, takes_call = "calls.index", False
    return url_for(endpoint, call_id=job.call_id) if takes_call else url_for(endpoint)


def _follow_up(job: Job, table: dict[str, FollowUp]) -> dict | None:
    """The link or button `table` offers for this job, if its endpoint and object exist."""
    if job.kind not in table:
        return None
    endpoint, key, label = table[job.kind]
    value = (job.parameters or {}).get(key)
    if endpoint not in current_app.view_functions or not isinstance(value, int):
        return None
    # Typed loosely: mypy would check a dict of ints against url_for's own _anchor, _method...
    url_values: dict[str, Any] = {key: value}
    return {"url": url_for(endpoint, **url_values), "label": label}


def job_status(job: Job) -> dict:
    return {
        "state": job.state.value,
        "state_label": str(STATE_LABELS[job.state]),
        "progress": job.progress,
        "message": job.message or "",
        "download_url": _download_url(job),
    }


@bp.get("/jobs/<int:job_id>")
@login_required
def status(job_id: int):
    response = jsonify(job_status(_job_or_404(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/view")
@login_required
def show(job_id: int):
    job = _job_or_404(job_id)
    return render_template(
        "jobs/show.html",
        job=job,
        status=job_status(job),
        title=KIND_LABELS.get(job.kind, _l("Background task")),
        finished=job.state in services.FINISHED_STATES,
        failed=job.state == JobState.FAILED,
        failure_title=FAILURE_TITLES.get(job.kind, _l("The task did not finish")),
        result_link=_follow_up(job, RESULT_LINKS),
        retry=_follow_up(job, RETRY_BUTTONS) if job.state == JobState.FAILED else None,
        back_url=_back_url(job),
    )


@bp.get("/jobs/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = _job_or_404(job_id, allowed=can_download_job_result)
    path = services.result_file(job)
    if path is None:
        abort(404)
    return send_result(job, path)


def send_result(job: Job, path: Path, *, mimetype: str | None = None) -> Response:
    """A job's file as a download to its starter (the page's link and the API alike),
    never kept by a cache."""
    response = send_file(
        path,
        mimetype=mimetype or mimetypes.guess_type(job.result_name or path.name)[0],
        as_attachment=True,
        download_name=job.result_name or path.name,
        max_age=0,
        conditional=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
