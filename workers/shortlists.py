"""Celery tasks of the shortlists domain: thin shells around app.shortlists services.

Both tasks take a job id, are safe to run twice (a compiled shortlist or a finished export
is left as it is), and report progress in their own short transactions.
"""

from __future__ import annotations

import logging

from celery import shared_task

from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import FINISHED_STATES, in_job_language, mark_running, progress_reporter
from app.shortlists import services

log = logging.getLogger(__name__)


def _start(job_id: int) -> Job | None:
    """Load the job and mark it running (committed, so the progress bar shows it)."""
    job = db.session.get(Job, job_id)
    if job is None or job.state in FINISHED_STATES:
        return None
    mark_running(job)
    db.session.commit()
    return job


def _stopped(job_id: int, error: BaseException) -> None:
    log.exception("job %s stopped", job_id)
    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is not None:
        services.record_job_failure(job, error)
        db.session.commit()


def _run(job_id: int, work) -> None:
    job = _start(job_id)
    if job is None:
        return
    # In its starter's language: an export's headers, the progress and failure messages.
    with in_job_language(job):
        try:
            work(job=job, progress=progress_reporter(job.id))
            db.session.commit()
        except Exception as error:
            _stopped(job_id, error)


@shared_task(name="shortlists.compile")
def compile_shortlist(*, job_id: int) -> None:
    _run(job_id, services.compile_shortlist)


@shared_task(name="shortlists.export")
def export_call(*, job_id: int) -> None:
    _run(job_id, services.run_export)
