"""One tab bar on every administrator page of a call, whichever domain serves the page."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests.factories import make_call

TABS = [
    ("Settings", "/admin/calls/{id}"),
    ("Criteria", "/admin/calls/{id}/criteria"),
    ("Eligibility questions", "/admin/calls/{id}/eligibility"),
    ("Translations", "/admin/calls/{id}/translations"),
    ("Proposals", "/admin/calls/{id}/proposals"),
    ("Reviews", "/admin/calls/{id}/reviews"),
    ("Ranking", "/admin/calls/{id}/ranking"),
    ("Pictures", "/admin/calls/{id}/charts"),
    ("Shortlists", "/admin/calls/{id}/shortlists"),
    ("Exports", "/admin/calls/{id}/exports"),
    ("Public page", "/calls/{slug}"),
]


def tab_bar(page: str) -> list[tuple[str, str, bool]]:
    """The (label, href, current) of each link in the page's one tab bar, in order."""
    bars = re.findall(r'<nav class="call-tabs".*?</nav>', page, flags=re.S)
    assert len(bars) == 1, bars
    return [
        (label.strip(), href, "aria-current" in attributes)
        for href, attributes, label in re.findall(r'<a href="([^"]*)"([^>]*)>([^<]*)</a>', bars[0])
    ]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/admin/calls/{id}", "Settings"),
        ("/admin/calls/{id}/translations", "Translations"),
        ("/admin/calls/{id}/reviews", "Reviews"),
        ("/admin/calls/{id}/ranking", "Ranking"),
    ],
)
def test_an_administrator_page_of_a_call_links_every_tab_and_marks_its_own(
    admin_client, path, current
):
    call = make_call(slug="lisbon-2026")
    db.session.commit()

    response = admin_client.get(path.format(id=call.id))

    assert response.status_code == 200
    assert tab_bar(response.get_data(as_text=True)) == [
        (label, href.format(id=call.id, slug=call.slug), label == current) for label, href in TABS
    ]
