"""The proposals commands: flask check-attachment-files (missing, altered and orphan files in
the upload folder) and flask close-due-calls."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import time_machine

from app.extensions import db
from app.proposals import storage
from tests.factories import make_call, make_proposal, make_user
from tests.proposals.helpers import attach, minimal_pdf, minimal_png


def test_a_clean_folder_is_reported_clean(app):
    owner = make_user()
    attach(make_proposal(call=make_call(), owner=owner), name="a.pdf")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["check-attachment-files"])
    assert result.exit_code == 0
    assert "every attachment file is present and unchanged" in result.output


def test_missing_altered_and_orphan_files_are_reported_and_old_orphans_removed(app):
    owner = make_user()
    proposal = make_proposal(call=make_call(), owner=owner)
    missing = attach(proposal, name="a.pdf")
    altered = attach(proposal, minimal_png(), name="b.png")
    db.session.commit()
    storage.path_for(missing.stored_name).unlink()
    storage.path_for(altered.stored_name).write_bytes(b"\x89PNG\r\n\x1a\nchanged")
    old_orphan = storage.store_file(minimal_pdf(), "application/pdf").stored_name
    new_orphan = storage.store_file(minimal_pdf(), "application/pdf").stored_name
    two_days_ago = time.time() - 48 * 3600
    os.utime(storage.path_for(old_orphan), (two_days_ago, two_days_ago))

    result = app.test_cli_runner().invoke(
        args=["check-attachment-files", "--remove-orphans-older-than", "24"]
    )
    assert result.exit_code == 1
    assert f"missing file for attachment {missing.id}" in result.output
    assert f"checksum differs for attachment {altered.id}" in result.output
    assert f"orphan file {old_orphan} (removed)" in result.output
    assert f"orphan file {new_orphan} (kept)" in result.output
    assert not storage.path_for(old_orphan).exists()
    assert storage.path_for(new_orphan).exists()


# --- flask close-due-calls ---------------------------------------------------------------

CLOSES = datetime(2025, 4, 30, 17, 0, tzinfo=UTC)


def test_the_cli_command_closes_due_calls(app, app_context):
    call = make_call(opens_at=CLOSES - timedelta(days=30), closes_at=CLOSES)
    db.session.commit()
    with time_machine.travel(CLOSES, tick=False):
        result = app.test_cli_runner().invoke(args=["close-due-calls"])
        again = app.test_cli_runner().invoke(args=["close-due-calls"])
    assert result.exit_code == 0, result.output
    assert f"closed {call.slug}" in result.output
    assert "no call was due" in again.output
