"""Fixtures of the jobs tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def export_folder(app):
    from pathlib import Path

    folder = Path(app.config["EXPORT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder
