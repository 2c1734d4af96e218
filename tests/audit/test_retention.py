"""Retention: entries older than AUDIT_RETENTION_DAYS go, by the nightly task or by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.audit.services import PURGED_ACTION, purge_old_audit_entries, record_audit
from app.extensions import db
from tests.factories import make_admin
from workers.audit import purge_old_audit_entries as purge_task

NOW = datetime(2025, 6, 1, 3, 30, tzinfo=UTC)


def entry_at(at: datetime, action: str = "call.updated") -> AuditEntry:
    entry = record_audit(None, action, ("call", 1))
    entry.at = at
    db.session.flush()
    return entry


def remaining_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.at)))


@pytest.fixture
def retention(app, monkeypatch):
    def keep_for(days: int) -> None:
        monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", days)

    return keep_for


def test_the_default_keeps_two_years(app):
    assert app.config["AUDIT_RETENTION_DAYS"] == 730


def test_entries_older_than_the_retention_are_deleted_and_the_purge_is_recorded(
    app_context, retention
):
    retention(30)
    entry_at(NOW - timedelta(days=31), "user.registered")
    entry_at(NOW - timedelta(days=30, seconds=1), "user.email_verified")
    entry_at(NOW - timedelta(days=29), "call.created")

    assert purge_old_audit_entries(now=NOW) == 2

    assert remaining_actions()[0] == "call.created"
    purged = db.session.scalar(select(AuditEntry).where(AuditEntry.action == PURGED_ACTION))
    assert purged.actor_id is None
    assert purged.details["deleted"] == 2
    assert purged.details["retention_days"] == 30
    assert purged.details["before"] == (NOW - timedelta(days=30)).isoformat()


def test_purging_twice_deletes_once_and_records_once(app_context, retention):
    retention(30)
    entry_at(NOW - timedelta(days=40))

    assert purge_old_audit_entries(now=NOW) == 1
    assert purge_old_audit_entries(now=NOW) == 0

    assert remaining_actions().count(PURGED_ACTION) == 1


def test_a_retention_of_zero_keeps_every_entry(app_context, retention):
    retention(0)
    entry_at(NOW - timedelta(days=20 * 365))

    assert purge_old_audit_entries(now=NOW) == 0
    assert remaining_actions() == ["call.updated"]


def test_the_task_has_the_name_the_beat_schedule_uses(app):
    schedule = app.config["CELERY"]["beat_schedule"]
    assert purge_task.name == "audit.purge_old_entries"
    assert "audit.purge_old_entries" in {entry["task"] for entry in schedule.values()}
    assert "workers.audit" in app.config["CELERY"]["include"]


def test_the_task_purges_and_commits(app_context, retention):
    retention(30)
    admin = make_admin()
    db.session.commit()
    record_audit(admin, "user.deactivated", admin).at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()

    assert purge_task.run() == 1

    db.session.rollback()  # what the task committed stays
    assert "user.deactivated" not in remaining_actions()


def test_the_command_purges_and_says_how_many(app, app_context, retention):
    retention(30)
    entry_at(datetime.now(UTC) - timedelta(days=31))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["audit-purge"])

    assert result.exit_code == 0, result.output
    assert "1 audit entries older than 30 days deleted." in result.output
    assert "call.updated" not in remaining_actions()


def test_the_command_says_when_everything_is_kept(app, app_context, retention):
    retention(0)

    result = app.test_cli_runner().invoke(args=["audit-purge"])

    assert result.exit_code == 0
    assert "every audit entry is kept" in result.output
