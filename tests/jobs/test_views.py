"""A job's progress, page and result: only for the person who started it."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.client import log_in
from tests.factories import make_admin, make_call, make_job


@pytest.fixture
def starter(app_context, client):
    admin = make_admin()
    log_in(client, admin)
    return admin


def test_status_answers_state_progress_message_and_download_url(client, starter, export_folder):
    (export_folder / "result.csv").write_text("a,b\n")
    running = make_job(started_by=starter, state="running", progress=40)
    running.message = "4 of 10"
    done = make_job(started_by=starter, state="succeeded", progress=100, result_path="result.csv")
    db.session.commit()
    assert client.get(f"/jobs/{running.id}").get_json() == {
        "state": "running",
        "state_label": "Running",
        "progress": 40,
        "message": "4 of 10",
        "download_url": None,
    }
    payload = client.get(f"/jobs/{done.id}").get_json()
    assert payload["download_url"] == f"/jobs/{done.id}/download"
    assert payload["state"] == "succeeded"


def test_someone_elses_job_does_not_exist_for_you(client, app_context):
    job = make_job(started_by=make_admin())
    other = make_admin()
    db.session.commit()
    log_in(client, other)
    response = client.get(f"/jobs/{job.id}", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/jobs/{job.id}/view").status_code == 404
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_the_page_shows_a_progress_bar_that_updates_without_inline_script(client, starter):
    job = make_job(started_by=starter, state="running", progress=25)
    db.session.commit()
    response = client.get(f"/jobs/{job.id}/view")
    page = response.get_data(as_text=True)
    assert re.search(r'<progress id="job-progress"[^>]*value="25"', page)
    assert f'data-job-status-url="/jobs/{job.id}"' in page
    assert "/static/js/jobs.js" in page
    # Without JavaScript, a plain link reloads the page (no meta refresh).
    assert f'href="/jobs/{job.id}/view"' in page and "http-equiv" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_finished_job_page_offers_the_download_and_no_refresh(client, starter, export_folder):
    (export_folder / "shortlist.pdf").write_bytes(b"%PDF-1.4")
    job = make_job(
        started_by=starter,
        state="succeeded",
        progress=100,
        result_path="shortlist.pdf",
        result_name="Shortlist.pdf",
    )
    db.session.commit()
    page = client.get(f"/jobs/{job.id}/view").get_data(as_text=True)
    assert f'href="/jobs/{job.id}/download"' in page
    assert "job-refresh" not in page


def test_download_sends_the_file_as_an_attachment(client, starter, export_folder):
    (export_folder / "shortlist.pdf").write_bytes(b"%PDF-1.4 data")
    job = make_job(
        started_by=starter,
        state="succeeded",
        result_path="shortlist.pdf",
        result_name="Dialogue Café shortlist.pdf",
    )
    db.session.commit()
    response = client.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 data"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "shortlist.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    response.close()


def test_download_of_an_unfinished_job_is_404(client, starter):
    job = make_job(started_by=starter, state="running")
    db.session.commit()
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_a_bulk_message_job_page_leads_back_to_the_outbox(client, starter):
    job = make_job(started_by=starter, kind="bulk_message", state="queued")
    db.session.commit()
    page = client.get(f"/jobs/{job.id}/view").get_data(as_text=True)
    assert "Sending a message to a group" in page and 'href="/admin/outbox"' in page


@pytest.mark.parametrize(
    ("kind", "label", "back"),
    [
        ("shortlist_compile", "Compiling a shortlist", "/admin/calls/{id}/shortlists"),
        ("call_export", "Preparing an export of the call", "/admin/calls/{id}/exports"),
    ],
)
def test_a_call_job_page_names_its_kind_and_leads_back_to_its_call(
    client, starter, kind, label, back
):
    call = make_call()
    job = make_job(started_by=starter, kind=kind, state="running", call=call)
    db.session.commit()
    page = client.get(f"/jobs/{job.id}/view").get_data(as_text=True)
    assert f"<h1>{label}</h1>" in page
    assert f'<p><a href="{back.format(id=call.id)}">Back</a></p>' in page
