"""The public call page shared between visitors without an account, and when it is not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.calls import services
from app.calls.page_cache import VISITOR_SLOT, PageCache
from app.extensions import db
from tests.calls.conftest import forget_request_state
from tests.client import log_in
from tests.factories import make_call, make_user
from tests.querycount import count_queries

NOW = datetime(2026, 5, 4, 10, 15, 5, tzinfo=UTC)


@pytest.fixture
def cached_pages(app):
    pages = PageCache(16)
    app.extensions["calls_public_pages"] = pages
    yield pages
    app.extensions.pop("calls_public_pages")


@pytest.fixture
def call(app_context):
    call = make_call(opens_at=NOW - timedelta(days=10), closes_at=NOW + timedelta(days=3))
    db.session.commit()
    return call


def visit(app, path: str) -> tuple[str, int]:
    """A new anonymous visitor (own cookies), and the statements the request ran."""
    forget_request_state()
    db.session.expire_all()
    with count_queries() as counted:
        response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), counted.count


def csrf_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_second_visitor_gets_the_stored_page_with_one_query(app, cached_pages, call):
    with time_machine.travel(NOW, tick=False):
        _first, first_queries = visit(app, f"/calls/{call.slug}")
        second, second_queries = visit(app, f"/calls/{call.slug}")

    assert (first_queries, second_queries) == (3, 1)
    assert len(cached_pages) == 1
    assert call.title in second


def test_each_visitor_gets_their_own_csrf_token(app, cached_pages, call):
    with time_machine.travel(NOW, tick=False):
        first, _ = visit(app, f"/calls/{call.slug}")
        second, _ = visit(app, f"/calls/{call.slug}")
    assert csrf_in(first) != csrf_in(second)
    assert VISITOR_SLOT not in second
    assert first.replace(csrf_in(first), "") == second.replace(csrf_in(second), "")


def test_an_edit_to_the_call_shows_at_once(app, cached_pages, call, admin):
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
        services.update_call(actor=admin, call=call, title="A new title")
        db.session.commit()
        page, _ = visit(app, f"/calls/{call.slug}")
    assert "A new title" in page


def test_a_criterion_change_shows_at_once(app, cached_pages, call, admin):
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        services.update_criterion(
            actor=admin, criterion=call.criteria[0], guidance="Brand new guidance."
        )
        db.session.commit()
        page, _ = visit(app, f"/calls/{call.slug}")
    assert "Brand new guidance." in page


def test_closing_by_hand_shows_at_once(app, cached_pages, call, admin):
    with time_machine.travel(NOW, tick=False):
        before, _ = visit(app, f"/calls/{call.slug}")
        services.close_call(actor=admin, call=call)
        db.session.commit()
        after, _ = visit(app, f"/calls/{call.slug}")
    assert f"/calls/{call.slug}/apply" in before
    assert f"/calls/{call.slug}/apply" not in after


def test_the_time_left_is_right_to_the_minute(app, cached_pages, call):
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        page, queries = visit(app, f"/calls/{call.slug}")
    assert queries == 3
    assert "Time left: 2 days, 23 hours." in page


def test_logged_in_visitors_are_never_served_a_shared_page(app, client, cached_pages, call):
    user = make_user(name="Named Person")
    user.timezone = "Asia/Tokyo"
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
        log_in(client, user)
        page = client.get(f"/calls/{call.slug}").get_data(as_text=True)
    assert "Named Person" in page
    assert "GMT+09:00" in page
    assert len(cached_pages) == 1


def test_a_draft_call_is_not_served_from_the_cache(app, cached_pages, admin):
    call = make_call()
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
        services.update_call(actor=admin, call=call, title=call.title + " (draft again)")
        call.state = call.state.DRAFT
        db.session.commit()
        forget_request_state()
        assert app.test_client().get(f"/calls/{call.slug}").status_code == 404


def test_the_cache_keeps_only_its_size():
    pages = PageCache(2)
    for number in range(3):
        pages.put(number, f"page {number} token", token="token")
    assert len(pages) == 2
    assert pages.get(0, token="t") is None
    assert pages.get(2, token="mine") == "page 2 mine"


def test_a_cache_of_size_zero_keeps_nothing():
    pages = PageCache(0)
    pages.put("key", "page token", token="token")
    assert pages.get("key", token="token") is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    fake = FakeClock()
    app.extensions["calls_public_pages"] = PageCache(16, version_seconds=2, clock=fake)
    yield fake
    app.extensions.pop("calls_public_pages")


def test_a_burst_within_the_version_time_runs_no_query(app, clock, call):
    with time_machine.travel(NOW, tick=False):
        _page, first = visit(app, f"/calls/{call.slug}")
        _page, second = visit(app, f"/calls/{call.slug}")
    assert (first, second) == (3, 0)


def test_an_edit_reaches_visitors_once_the_version_time_has_passed(app, clock, call, admin):
    with time_machine.travel(NOW, tick=False):
        visit(app, f"/calls/{call.slug}")
        services.update_call(actor=admin, call=call, title="A new title")
        db.session.commit()
        soon, _ = visit(app, f"/calls/{call.slug}")
        clock.now += 2
        later, _ = visit(app, f"/calls/{call.slug}")
    assert "A new title" not in soon
    assert "A new title" in later


@pytest.mark.parametrize("version_seconds", [0, 2])
def test_the_deadline_shows_to_the_second_even_within_a_minute(app, admin, version_seconds):
    app.extensions["calls_public_pages"] = PageCache(
        16, version_seconds=version_seconds, clock=FakeClock()
    )
    closes = NOW.replace(second=30)
    call = make_call(opens_at=NOW - timedelta(days=1), closes_at=closes)
    db.session.commit()
    try:
        with time_machine.travel(closes - timedelta(seconds=1), tick=False):
            before, _ = visit(app, f"/calls/{call.slug}")
        with time_machine.travel(closes, tick=False):
            after, queries = visit(app, f"/calls/{call.slug}")
    finally:
        app.extensions.pop("calls_public_pages")
    # A remembered version saves its query; the page for "closed" is rendered anew.
    assert queries == (2 if version_seconds else 3)
    assert f"/calls/{call.slug}/apply" in before
    assert f"/calls/{call.slug}/apply" not in after


def test_an_unknown_slug_is_remembered_as_unknown_for_the_version_time(app, clock):
    forget_request_state()
    with count_queries() as counted:
        assert app.test_client().get("/calls/no-such-call").status_code == 404
        assert app.test_client().get("/calls/no-such-call").status_code == 404
    assert counted.count == 1
