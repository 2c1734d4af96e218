"""The one progress reporter: what a running job tells is stored, and others see it at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import progress_reporter
from tests.factories import make_admin, make_job


def test_progress_reported_by_a_running_job_is_stored(app_context):
    job = make_job(started_by=make_admin(), state="running")
    report = progress_reporter(job.id)

    report(1, 4, "Scoring the proposals")
    db.session.expire_all()
    assert (db.session.get(Job, job.id).progress, db.session.get(Job, job.id).message) == (
        25,
        "Scoring the proposals",
    )
    report(3, 4)
    db.session.expire_all()
    assert (db.session.get(Job, job.id).progress, db.session.get(Job, job.id).message) == (
        75,
        "Scoring the proposals",
    )


def test_progress_of_a_job_that_no_longer_exists_is_dropped(app_context, caplog):
    progress_reporter(999_999)(1, 2, "Halfway")
    assert "no job 999999" in caplog.text


@pytest.mark.postgres
def test_progress_is_seen_by_another_connection_while_the_job_transaction_is_open(
    app_context, monkeypatch
):
    """As in production: the job's session on the engine, the progress page on another
    connection. (tests/embedded does the same on an SQLite file.)"""
    with Session(db.engine) as outside, outside.begin():
        job = Job(kind="shortlist_compile", parameters={})
        outside.add(job)
        outside.flush()
        job_id = job.id
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    try:
        # The job's own transaction is open, as while a job streams its rows.
        assert db.session.scalar(select(Job.progress).where(Job.id == job_id)) == 0
        progress_reporter(job_id)(3, 4, "Writing the result")
        with Session(db.engine) as reader:
            seen = reader.get(Job, job_id)
            assert (seen.progress, seen.message) == (75, "Writing the result")
    finally:
        db.session.remove()
        with Session(db.engine) as outside, outside.begin():
            outside.delete(outside.get(Job, job_id))
