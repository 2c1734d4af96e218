"""Fixtures of the jobs tests."""

from __future__ import annotations

import pytest


def log_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True


@pytest.fixture
def export_folder(app):
    from pathlib import Path

    folder = Path(app.config["EXPORT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder
