"""The main navigation, by role: each domain adds its entry when its blueprint is registered.

The core knows no domain, so it keeps only the list; `add_nav_entry` is called from a
blueprint's `record_once`, with the role that sees the entry and its place in the bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, url_for
from flask.blueprints import BlueprintSetupState


@dataclass(frozen=True)
class NavEntry:
    position: int  # left to right
    role: str
    endpoint: str
    label: Any  # a lazy string: read in the visitor's language


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str


def nav_entry(*, position: int, role: str, endpoint: str, label: Any):
    """A `Blueprint.record_once` callback that adds the entry to the app's navigation."""

    def record(state: BlueprintSetupState) -> None:
        entries = state.app.extensions.setdefault("navigation", [])
        entries.append(NavEntry(position, role, endpoint, label))
        entries.sort(key=lambda entry: entry.position)

    return record


def nav_items(user) -> list[NavItem]:
    return [
        NavItem(url_for(entry.endpoint), str(entry.label))
        for entry in current_app.extensions.get("navigation", [])
        if user.has_role(entry.role)
    ]


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
