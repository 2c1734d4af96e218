"""User-visible jobs: start one (queued after commit), report progress, finish or fail."""

from __future__ import annotations

from typing import Any

from app.accounts.models import User
from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.jobs.models import Job, JobState


def start_job(
    *,
    actor: User,
    kind: str,
    task_name: str,
    call_id: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> Job:
    """Record a job and queue its task (the task receives job_id) after the commit."""
    job = Job(kind=kind, started_by_id=actor.id, call_id=call_id, parameters=parameters or {})
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(task_name, job_id=job.id)
    return job


def mark_running(job: Job) -> None:
    job.state = JobState.RUNNING
    job.started_at = job.started_at or utcnow()


def report_progress(job: Job, *, done: int, total: int, message: str = "") -> None:
    """Store progress in percent; the caller commits so that the progress bar can see it."""
    job.progress = max(0, min(100, int(100 * done / total))) if total else 0
    if message:
        job.message = message


def finish_job(
    job: Job, *, message: str = "", result_path: str | None = None, result_name: str | None = None
) -> None:
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
