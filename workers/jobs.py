"""Celery tasks of the jobs domain: hand over again the jobs the broker did not take."""

from __future__ import annotations

from celery import shared_task

from app.extensions import db
from app.jobs import services as jobs


@shared_task(name="jobs.redispatch_queued")
def redispatch_queued_jobs() -> int:
    count = jobs.redispatch_queued_jobs()
    db.session.commit()
    return count
