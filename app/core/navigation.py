"""The main navigation, by role; an entry appears once its blueprint exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role

# (role, endpoint, label), in display order.
NAV_ENTRIES = [
    (Role.ADMINISTRATOR, "calls.admin_list", _l("Calls")),
    (Role.ADMINISTRATOR, "accounts.admin_users", _l("People")),
    (Role.ADMINISTRATOR, "notifications.outbox", _l("Outbox")),
    (Role.REVIEWER, "reviews.queue", _l("My reviews")),
    (Role.APPLICANT, "proposals.my_proposals", _l("My proposals")),
]


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str


def nav_items(user) -> list[NavItem]:
    views = current_app.view_functions
    return [
        NavItem(url_for(endpoint), str(label))
        for role, endpoint, label in NAV_ENTRIES
        if endpoint in views and user.has_role(role)
    ]


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["nav_items"] = nav_items
