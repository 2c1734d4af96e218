"""Who may follow a job: only the person who started it (others are told it does not exist)."""

from __future__ import annotations

from app.core.people import Person
from app.jobs.models import Job


def can_view_job(user: Person | None, job: Job) -> bool:
    return bool(user is not None and user.is_authenticated and job.started_by_id == user.id)


def can_download_job_result(user: Person | None, job: Job) -> bool:
    return can_view_job(user, job)
