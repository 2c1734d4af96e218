"""The administrators' audit trail: what it shows, its filters, pages and CSV, refused requests
recorded in it, and no secret in any entry."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import login_user
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from app.audit.export import spreadsheet_safe
from app.audit.models import AuditEntry
from app.audit.queries import PAGE_SIZE
from app.audit.refusals import REFUSED_ACTION
from app.audit.services import record_audit
from app.extensions import db
from tests.accounts.helpers import last_link, path_of
from tests.client import log_in
from tests.factories import make_reviewer, make_user
from tests.querycount import statements_on_a_small_and_a_large_call

# Late on 1 March in UTC, the morning of 2 March in Tokyo (UTC+9).
AT = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)


def entry(actor, action: str, subject, details=None, *, at: datetime = AT) -> AuditEntry:
    recorded = record_audit(actor, action, subject, details)
    recorded.at = at
    db.session.flush()
    return recorded


def page_text(client, query: str = "") -> str:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def entries_shown(client, query: str = "") -> str:
    """The table of entries alone (the filters' lists name every action too)."""
    page = page_text(client, query)
    return page.partition("<tbody>")[2].partition("</tbody>")[0]


def exported_rows(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/admin/audit/export.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def refusals() -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == REFUSED_ACTION).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


@pytest.fixture
def tokyo_admin_client(admin_client):
    admin_client.administrator.timezone = "Asia/Tokyo"
    db.session.commit()
    return admin_client


# --- what the page shows -----------------------------------------------------------------


def test_administrators_find_the_audit_trail_in_the_menu(admin_client, client):
    assert 'href="/admin/audit"' in admin_client.get("/admin/people").get_data(as_text=True)


def test_a_reviewer_has_no_audit_trail_in_the_menu(client):
    reviewer = make_reviewer()
    db.session.commit()
    log_in(client, reviewer)

    assert "/admin/audit" not in client.get("/").get_data(as_text=True)


def test_an_entry_reads_as_who_did_what_to_which_object_when_in_the_readers_zone(
    tokyo_admin_client,
):
    city = make_user(name="Ana Lisboa", email="ana@lisboa.example")
    entry(city, "user.profile_updated", city, {"changed": ["name", "timezone"]})
    db.session.commit()

    page = entries_shown(tokyo_admin_client)

    assert "Ana Lisboa" in page and "ana@lisboa.example" in page
    assert "<td>Profile changed</td>" in page  # its name, not its code
    assert f"Person {city.id}" in page
    assert "changed: name, timezone" in page
    assert "March 2, 2025, 8:30" in page and "GMT+09:00" in page  # Tokyo's, not UTC's 1 March


def test_an_unknown_action_is_shown_by_its_code_and_the_system_as_the_actor(admin_client):
    entry(None, "call.teleported", ("call", 7), {"to": "Mars"})
    db.session.commit()

    page = entries_shown(admin_client)

    assert "<td>call.teleported</td>" in page
    assert "System" in page and "Call 7" in page and "to: Mars" in page


def test_details_are_escaped_and_a_secret_looking_detail_is_hidden(admin_client):
    entry(None, "user.profile_updated", ("user", 1), {"name": "<script>alert(1)</script>"})
    entry(None, "user.profile_updated", ("user", 2), {"reset_token": "abc123secret"})
    db.session.commit()

    page = page_text(admin_client)

    assert "<script>alert(1)</script>" not in page
    assert "name: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "abc123secret" not in page and "reset_token: (hidden)" in page


# --- filters -----------------------------------------------------------------------------


@pytest.fixture
def three_entries(admin):
    ana = make_user(name="Ana Lisboa", email="ana@lisboa.example")
    bruno = make_user(name="Bruno Porto", email="bruno@porto.example")
    entry(ana, "user.email_verified", ana, at=AT)
    entry(bruno, "proposal.created", ("proposal", 41), {"call_id": 3}, at=AT + timedelta(days=1))
    entry(admin, "user.deactivated", bruno, at=AT + timedelta(days=2))
    db.session.commit()
    return ana, bruno


def listed(page: str) -> list[str]:
    return [
        label
        for label in ("Email address confirmed", "Proposal started", "Account deactivated")
        if label in page
    ]


def test_the_trail_filters_by_who_acted(tokyo_admin_client, three_entries):
    assert listed(entries_shown(tokyo_admin_client, "?actor=LISBOA")) == ["Email address confirmed"]
    assert listed(entries_shown(tokyo_admin_client, "?actor=porto.example")) == ["Proposal started"]


def test_the_trail_filters_by_what_was_done(tokyo_admin_client, three_entries):
    page = entries_shown(tokyo_admin_client, "?action=user.deactivated")
    assert listed(page) == ["Account deactivated"]


def test_the_days_of_the_filter_are_the_readers_days(tokyo_admin_client, three_entries):
    # AT is 2 March in Tokyo; the next entry 3 March, the last 4 March.
    assert listed(entries_shown(tokyo_admin_client, "?since=2025-03-02&until=2025-03-02")) == [
        "Email address confirmed"
    ]
    assert listed(entries_shown(tokyo_admin_client, "?since=2025-03-03")) == [
        "Proposal started",
        "Account deactivated",
    ]
    assert listed(entries_shown(tokyo_admin_client, "?until=2025-03-01")) == []


def test_the_trail_filters_by_object(tokyo_admin_client, three_entries):
    _ana, bruno = three_entries
    page = entries_shown(tokyo_admin_client, f"?object_type=user&object_id={bruno.id}")
    assert listed(page) == ["Account deactivated"]
    page = entries_shown(tokyo_admin_client, "?object_type=proposal")
    assert listed(page) == ["Proposal started"]


def test_days_in_the_wrong_order_are_a_field_error_and_offer_no_download(
    admin_client, three_entries
):
    page = page_text(admin_client, "?since=2025-03-04&until=2025-03-01")

    assert "The last day comes on or after the first." in page
    assert "export.csv" not in page
    response = admin_client.get("/admin/audit/export.csv?since=2025-03-04&until=2025-03-01")
    assert response.status_code == 400


def test_a_day_at_the_end_of_the_calendar_filters_without_an_error(admin_client, three_entries):
    page = entries_shown(admin_client, "?since=0001-01-01&until=9999-12-31")
    assert len(listed(page)) == 3


# --- pages ---------------------------------------------------------------------------------


def test_the_trail_is_paged_newest_first_and_keeps_its_filters(admin_client):
    for number in range(PAGE_SIZE + 1):
        entry(
            None, "reviewer.reminded", ("assignment", number + 1), at=AT + timedelta(minutes=number)
        )
    db.session.commit()

    first = page_text(admin_client, "?action=reviewer.reminded")
    last = page_text(admin_client, "?action=reviewer.reminded&page=2")

    assert f"Assignment {PAGE_SIZE + 1}<" in first and "Assignment 1<" not in first
    assert 'href="/admin/audit?action=reviewer.reminded&amp;page=2"' in first
    assert "Assignment 1<" in last and f"Assignment {PAGE_SIZE + 1}<" not in last
    # A page past the end shows the last one.
    assert "Assignment 1<" in page_text(admin_client, "?action=reviewer.reminded&page=99999")


# --- the CSV -------------------------------------------------------------------------------


def test_the_export_holds_the_filtered_entries_with_formula_cells_neutralised(
    admin_client, three_entries
):
    mallory = make_user(name='=HYPERLINK("http://evil.example")', email="m@evil.example")
    entry(
        mallory, "user.profile_updated", mallory, {"note": "@SUM(1+1)"}, at=AT + timedelta(days=3)
    )
    db.session.commit()

    rows = exported_rows(admin_client, "?object_type=user")

    header, *entries = rows
    assert header[:3] == ["Time (UTC)", "Who", "Email address"]
    assert [row[5] for row in entries] == [
        "user.profile_updated",
        "user.deactivated",
        "user.email_verified",
    ]
    newest = entries[0]
    assert newest[1] == '\'=HYPERLINK("http://evil.example")'
    assert newest[4] == "Profile changed"
    assert newest[9] == "note: @SUM(1+1)"  # a detail cell starts with its key
    assert datetime.fromisoformat(entries[-1][0]) == AT


def test_the_export_is_read_in_batches_and_streams_every_entry(admin_client):
    for number in range(1, 1203):
        entry(None, "reviewer.reminded", ("assignment", number))
    db.session.commit()

    rows = exported_rows(admin_client, "?action=reviewer.reminded")

    assert len(rows) == 1 + 1202


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@me", "'@me"),
        ("\tindent", "'\tindent"),
        ("\rreturn", "'\rreturn"),
        ("'=already", "''=already"),
        ("Lisbon", "Lisbon"),
        ("", ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(text, written):
    assert spreadsheet_safe(text) == written


# --- refused requests ------------------------------------------------------------------------


def test_a_refused_request_is_recorded_with_who_what_and_where(client):
    reviewer = make_reviewer(name="Rita Reviewer")
    db.session.commit()
    log_in(client, reviewer)

    assert client.get("/admin/audit?actor=x").status_code == 403

    (refused,) = refusals()
    assert refused.actor_id == reviewer.id
    assert refused.details == {
        "method": "GET",
        "path": "/admin/audit",
        "endpoint": "audit.trail",
        "code": "forbidden",
    }


def test_the_refusal_reads_as_such_on_the_trail(admin_client):
    reviewer = make_reviewer(name="Rita Reviewer")
    db.session.commit()
    other = admin_client.application.test_client()
    log_in(other, reviewer)
    other.post("/admin/people/1/deactivate", data={})

    page = entries_shown(admin_client, "?action=request.refused")

    assert "Request refused" in page and "Rita Reviewer" in page
    assert "method: POST" in page and "path: /admin/people/1/deactivate" in page


def test_not_found_pages_and_anonymous_visitors_are_not_recorded(client):
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/admin/audit").status_code == 302  # to log in
    reviewer = make_reviewer()
    db.session.commit()
    log_in(client, reviewer)
    assert client.get("/no-such-page").status_code == 404

    assert refusals() == []


def test_what_a_refused_request_had_begun_is_not_committed_with_its_entry(app):
    reviewer = make_reviewer(name="Rita Reviewer")
    db.session.commit()

    with app.test_request_context("/admin/people/1/deactivate", method="POST"):
        login_user(reviewer)
        reviewer.name = "Changed by a refused request"
        response = app.handle_user_exception(Forbidden())

    assert response[1] == 403
    db.session.expire_all()
    assert reviewer.name == "Rita Reviewer"
    assert [entry.actor_id for entry in refusals()] == [reviewer.id]


# --- no secret in the log --------------------------------------------------------------------

REGISTRATION = {
    "name": "Ana Lisboa",
    "email": "ana@lisboa.example",
    "password": "first secret passphrase",
    "confirm_password": "first secret passphrase",
    "locale": "en",
    "timezone": "Europe/Lisbon",
}
NEW_PASSWORD = "second secret passphrase"


def test_no_entry_holds_a_password_or_a_token_after_registering_and_resetting(client):
    client.post("/register", data=REGISTRATION)
    verify = last_link("verify_email")
    client.get(path_of(verify))
    client.post(path_of(verify))
    client.post("/login", data={"email": REGISTRATION["email"], "password": "wrong guess here"})
    client.post("/reset-password", data={"email": REGISTRATION["email"]})
    reset = last_link("password_reset")
    client.post(path_of(reset), data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})

    entries = list(db.session.scalars(select(AuditEntry)))
    assert {"user.registered", "user.password_reset"} <= {entry.action for entry in entries}
    secrets = [
        REGISTRATION["password"],
        "wrong guess here",
        NEW_PASSWORD,
        path_of(verify).rsplit("/", 1)[-1],
        path_of(reset).rsplit("/", 1)[-1],
    ]
    for recorded in entries:
        written = json.dumps(recorded.details)
        assert "password" not in " ".join(map(str, recorded.details)).lower(), recorded.action
        assert not any(secret in written for secret in secrets), recorded.action
        assert "$argon2" not in written, recorded.action


# --- a constant number of statements -----------------------------------------------------------


def _pages(call_id: int) -> dict:
    return {
        "audit trail": ("audit.trail", {}),
        "audit trail of the call": ("audit.trail", {"object_type": "call", "object_id": call_id}),
        "audit export": ("audit.export_csv", {}),
    }


def _record_entries(how_many: int) -> None:
    for number in range(how_many):
        person = make_user(name=f"Person {how_many}-{number}")
        record_audit(person, "user.profile_updated", person, {"changed": ["name"]})


def test_the_trail_and_its_export_run_as_many_statements_for_200_entries_as_for_10(app_context):
    small, large = statements_on_a_small_and_a_large_call(
        app_context, _pages, prepare=_record_entries
    )

    assert large == small, (small, large)
    assert max(large.values()) <= 4, large
    assert db.session.scalar(select(func.count(AuditEntry.id))) > 200
