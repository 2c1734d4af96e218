"""Jobs: started after commit, seen only by their starter, handed over again when lost."""

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from app.extensions import db
from app.jobs import services
from app.jobs.models import JobState
from tests.factories import make_admin, make_job, make_user


def test_start_job_queues_its_task_after_commit(app_context, dispatched_tasks):
    admin = make_admin()
    job = services.start_job(
        actor=admin, kind="export", task_name="shortlists.export", parameters={"x": 1}
    )
    assert dispatched_tasks == []
    db.session.commit()
    assert dispatched_tasks == [("shortlists.export", {"job_id": job.id})]
    assert job.state == JobState.QUEUED and job.parameters["x"] == 1


def test_progress_is_a_bounded_percentage(app_context):
    job = make_job(started_by=make_admin(), state="running")
    services.report_progress(job, done=1, total=3, message="1 of 3")
    assert (job.progress, job.message) == (33, "1 of 3")
    services.report_progress(job, done=9, total=3)
    assert job.progress == 100
    services.report_progress(job, done=0, total=0)
    assert job.progress == 0


def test_a_job_belongs_only_to_its_starter(app_context):
    starter, someone = make_admin(), make_admin()
    job = make_job(started_by=starter)
    assert services.job_of_user(job.id, starter) is job
    assert services.job_of_user(job.id, someone) is None
    assert services.job_of_user(job.id + 1000, starter) is None


def test_the_result_file_must_live_inside_the_export_folder(app_context, export_folder, tmp_path):
    admin = make_admin()
    (export_folder / "shortlist.xlsx").write_bytes(b"data")
    outside = tmp_path / "secret.txt"
    outside.write_text("no")
    inside = make_job(started_by=admin, state="succeeded", result_path="shortlist.xlsx")
    absolute = make_job(
        started_by=admin, state="succeeded", result_path=str(export_folder / "shortlist.xlsx")
    )
    escaping = make_job(started_by=admin, state="succeeded", result_path="../secret.txt")
    missing = make_job(started_by=admin, state="succeeded", result_path="gone.xlsx")
    running = make_job(started_by=admin, state="running", result_path="shortlist.xlsx")
    assert services.result_file(inside) == export_folder.resolve() / "shortlist.xlsx"
    assert services.result_file(absolute) == export_folder.resolve() / "shortlist.xlsx"
    assert services.result_file(escaping) is None
    assert services.result_file(missing) is None
    assert services.result_file(running) is None


def test_a_job_the_broker_did_not_take_is_handed_over_again(app_context, dispatched_tasks):
    app_context.config["JOB_REDISPATCH_SECONDS"] = 60
    admin = make_admin()
    lost = services.start_job(actor=admin, kind="export", task_name="shortlists.export")
    running = services.start_job(actor=admin, kind="export", task_name="shortlists.export")
    running.state = JobState.RUNNING
    db.session.commit()
    dispatched_tasks.clear()
    assert services.redispatch_queued_jobs() == 0  # too recent: the broker may still have it
    later = utcnow() + timedelta(seconds=61)
    assert services.redispatch_queued_jobs(now=later) == 1
    db.session.commit()
    assert dispatched_tasks == [("shortlists.export", {"job_id": lost.id})]


def test_jobs_without_a_known_task_are_left_alone(app_context):
    make_job(started_by=make_user())
    later = utcnow() + timedelta(days=1)
    assert services.redispatch_queued_jobs(now=later) == 0


def test_the_redispatch_command_reports_what_it_handed_over(app, app_context, dispatched_tasks):
    app_context.config["JOB_REDISPATCH_SECONDS"] = 0
    services.start_job(actor=make_admin(), kind="export", task_name="shortlists.export")
    db.session.commit()
    dispatched_tasks.clear()
    result = app.test_cli_runner().invoke(args=["jobs", "redispatch"])
    assert result.exit_code == 0, result.output
    assert "1 jobs handed to the workers again." in result.output
    assert [name for name, _ in dispatched_tasks] == ["shortlists.export"]
