"""The declared requirements allow no version the code cannot run on."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _requirement(name: str) -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [requirement] = [r for r in map(Requirement, dependencies) if r.name.lower() == name]
    return requirement


def test_wtforms_is_required_at_a_version_that_has_select_choice():
    # The forms import wtforms.SelectChoice, which WTForms added in 3.3.
    specifier = _requirement("wtforms").specifier
    assert not specifier.contains("3.2.1") and not specifier.contains("3.1.2")
    assert specifier.contains("3.3.0")
