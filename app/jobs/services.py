"""User-visible jobs: start one (queued after commit), report progress, finish or fail.

A job's task receives `job_id` and must be safe to run twice, even at the same time: the
broker may deliver it again after a worker died, and `redispatch_queued_jobs` hands a job
over again when the broker did not take it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.people import Person
from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.jobs.models import Job, JobState

log = logging.getLogger(__name__)

# progress(done, total, message=""): what a long service tells its job as it goes.
Progress = Callable[[int, int, str], None]

# Where start_job keeps the task's name among the parameters, for the re-dispatcher, and
# the language its starter was reading, which the task writes in (job_locale).
TASK_PARAMETER = "_task_name"
LOCALE_PARAMETER = "_locale"
FINISHED_STATES = (JobState.SUCCEEDED, JobState.FAILED)


def start_job(
    *,
    actor: Person,
    kind: str,
    task_name: str,
    call_id: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> Job:
    """Record a job and queue its task (the task receives job_id) after the commit. The job
    keeps the language of the page it was started from: what its task writes (a file's
    headers, its progress messages) is in that language (`in_job_language`)."""
    job = Job(
        kind=kind,
        started_by_id=actor.id,
        call_id=call_id,
        parameters={
            **(parameters or {}),
            TASK_PARAMETER: task_name,
            LOCALE_PARAMETER: str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        },
    )
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(task_name, job_id=job.id)
    return job


def job_locale(job: Job) -> str:
    """The language the job's starter was reading (the default for a job started before
    jobs kept it)."""
    return job.parameters.get(LOCALE_PARAMETER) or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_job_language(job: Job) -> AbstractContextManager:
    """`with in_job_language(job):` what a task writes is in its starter's language."""
    return force_locale(job_locale(job))


def mark_running(job: Job) -> None:
    job.state = JobState.RUNNING
    job.started_at = job.started_at or utcnow()


def report_progress(job: Job, *, done: int, total: int, message: str = "") -> None:
    """Store progress in percent; the caller commits so that the progress bar can see it."""
    job.progress = max(0, min(100, int(100 * done / total))) if total else 0
    if message:
        job.message = message


def progress_reporter(job_id: int) -> Progress:
    """progress(done, total, message=""): the job's progress, committed at once in its own
    short transaction, so that the progress bar sees it while the job's own transaction (and
    any streaming cursor in it) stays open. Best effort: a failure to report never fails the
    job; it is logged.
    """
    # The reporter's session binds to what the job's session is bound to: the engine, so a
    # connection of its own that commits (SQLite file or PostgreSQL; app/db.py lets the two
    # take turns on SQLite); or, in a test, the test's connection, where it writes in a
    # savepoint (a second connection could not even see the test's uncommitted job).
    bind = db.session.get_bind()

    def report(done: int, total: int, message: str = "") -> None:
        try:
            with (
                Session(bind=bind, join_transaction_mode="create_savepoint") as session,
                session.begin(),
            ):
                job = session.get(Job, job_id)
                if job is None:
                    log.warning("no job %s to record progress of", job_id)
                    return
                report_progress(job, done=done, total=total, message=message)
        except SQLAlchemyError:
            log.warning("could not record progress of job %s", job_id, exc_info=True)

    return report


def finish_job(
    job: Job, *, message: str = "", result_path: str | None = None, result_name: str | None = None
) -> None:
    """Done. `result_path` is a file inside EXPORT_FOLDER (relative to it, or absolute)."""
    job.state = JobState.SUCCEEDED
    job.progress = 100
    job.finished_at = utcnow()
    job.message = message
    job.result_path = result_path
    job.result_name = result_name


def fail_job(job: Job, *, message: str) -> None:
    job.state = JobState.FAILED
    job.finished_at = utcnow()
    job.message = message


def job_of_user(job_id: int, user: Person) -> Job | None:
    """The job if this user started it; None otherwise (nobody learns that it exists)."""
    job = db.session.get(Job, job_id)
    if job is None or job.started_by_id != user.id:
        return None
    return job


def result_file(job: Job) -> Path | None:
    """The job's result file, if it exists inside EXPORT_FOLDER (never a path outside it)."""
    if job.state != JobState.SUCCEEDED or not job.result_path:
        return None
    folder = Path(current_app.config["EXPORT_FOLDER"]).resolve()
    path = (folder / job.result_path).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def redispatch_queued_jobs(*, now: datetime | None = None) -> int:
    """Hand over again every job still queued after JOB_REDISPATCH_SECONDS (broker down)."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["JOB_REDISPATCH_SECONDS"])
    query = select(Job).where(Job.state == JobState.QUEUED, Job.created_at <= stale)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    count = 0
    for job in db.session.scalars(query.order_by(Job.id)):
        task_name = job.parameters.get(TASK_PARAMETER)
        if task_name:
            enqueue_after_commit(task_name, job_id=job.id)
            count += 1
    return count
