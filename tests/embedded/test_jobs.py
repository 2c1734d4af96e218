"""An organiser's background jobs on the embedded default: a shortlist compiled and two
exports prepared, run in-process right after the request that asked for them, as `make run`
does; while each job runs, its progress is already visible from another connection."""

from __future__ import annotations

import io

import openpyxl
import pytest
from flask import url_for

from app.extensions import db
from app.jobs.models import Job, JobState
from app.jobs.services import progress_reporter
from tests.embedded.conftest import log_in, post_form, read_row
from tests.factories import PASSWORD, make_admin
from tests.shortlists.helpers import city, scored_call

CITIES = [
    city("Lisbon", "PT", "Europe", 5, 5),
    city("Turin", "IT", "Europe", 4, 4),
    city("Nairobi", "KE", "Africa", 3, 4),
    city("Osaka", "JP", "Asia", 3, 3),
    city("Recife", "BR", "South America", 2, 3),
    city("Montreal", "CA", "North America", 2, 2),
]


@pytest.fixture
def organiser(embedded_app):
    """An administrator logged in through the login page, and a closed call with reviews."""
    admin = make_admin(email="organiser@call.example", password=PASSWORD)
    scored = scored_call(CITIES)
    db.session.commit()
    client = embedded_app.test_client()
    log_in(client, admin.email, PASSWORD)
    return client, scored.call.id


@pytest.fixture
def progress_seen(monkeypatch, database_file) -> list[tuple]:
    """Each time a job reports progress, the job row as another connection reads it then."""
    seen: list[tuple] = []

    def observed_reporter(job_id: int):
        report = progress_reporter(job_id)

        def observed(done: int, total: int, message: str = "") -> None:
            report(done, total, message)
            seen.append(
                read_row(
                    database_file, "SELECT state, progress, message FROM jobs WHERE id = ?", job_id
                )
            )

        return observed

    monkeypatch.setattr("workers.shortlists.progress_reporter", observed_reporter)
    return seen


def _path(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=False, **values)


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _job_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/jobs/")[1].split("?")[0].split("/")[0])


def test_compiling_a_shortlist_succeeds_and_its_progress_shows_while_it_runs(
    embedded_app, organiser, progress_seen
):
    client, call_id = organiser
    page = _path("shortlists.index", call_id=call_id)
    response = post_form(client, page, _path("shortlists.compile", call_id=call_id), size="5")
    job_id = _job_id_from(response)

    assert progress_seen == [
        ("running", 25, "Scoring the proposals"),
        ("running", 50, "Choosing the shortlist"),
        ("running", 75, "Writing the result"),
    ]
    job = _job(job_id)
    assert (job.state, job.progress) == (JobState.SUCCEEDED, 100), job.message
    job_page = client.get(response.headers["Location"], follow_redirects=True)
    assert "database is locked" not in job_page.get_data(as_text=True)
    assert read_row(
        embedded_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
        "SELECT count(*) FROM shortlist_entries WHERE included",
    ) == (5,)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_preparing_an_export_succeeds_and_its_progress_shows_while_it_runs(
    organiser, progress_seen, export_format
):
    client, call_id = organiser
    response = post_form(
        client,
        _path("shortlists.exports", call_id=call_id),
        _path("shortlists.start_export", call_id=call_id),
        export_format=export_format,
    )
    job_id = _job_id_from(response)

    reviews = sum(len(values) for *_place, values in CITIES)
    assert progress_seen[-1] == ("running", 100, f"{reviews} of {reviews} reviews")
    job = _job(job_id)
    assert job.state == JobState.SUCCEEDED, job.message
    status = client.get(_path("jobs.status", job_id=job_id)).get_json()
    with client.get(status["download_url"]) as download:  # closing it closes send_file's file
        data = download.data
    assert download.status_code == 200
    if export_format == "xlsx":
        ranking, scores = openpyxl.load_workbook(io.BytesIO(data)).worksheets[:2]
        # A header, then one row per city on the ranking, one per review on the scores.
        assert (ranking.max_row, scores.max_row) == (len(CITIES) + 1, reviews + 1)
    else:
        assert len(data.decode("utf-8-sig").strip().splitlines()) == reviews + 1


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_a_file_downloaded_straight_away_arrives_and_is_in_the_audit_trail(
    organiser, export_format
):
    """Straight from the exports page, as a browser downloads it (the stream is written
    after the view has committed the download's audit entry)."""
    from app.audit.models import AuditEntry

    client, call_id = organiser
    path = _path("shortlists.download_export", call_id=call_id, export_format=export_format)
    with client.get(path) as response:
        body = response.get_data()
    assert response.status_code == 200, body[:2000]
    assert body.startswith("\ufeffRank,".encode()) or body.startswith(b"PK")
    db.session.expire_all()
    assert db.session.query(AuditEntry).filter_by(action="call.exported").count() == 1
