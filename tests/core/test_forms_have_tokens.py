"""Every POST form on every page of every role carries its CSRF token, as rendered."""

from __future__ import annotations

import pytest

from tests.crawler import CRAWL_ROLES, build_world, client_for, crawl


@pytest.fixture
def world(app_context):
    return build_world()


# Pages each role must reach by links alone, so that a crawl that stops early fails.
REACHED = {
    "anonymous": {"accounts.register", "calls.public_call"},
    "city": {"proposals.edit_section", "proposals.answer_clarification", "proposals.withdraw"},
    "reviewer": {"reviews.review", "reviews.profile"},
    "administrator": {"calls.admin_edit", "shortlists.detail", "shortlists.publish_preview"},
}


@pytest.mark.parametrize("role", CRAWL_ROLES)
def test_every_post_form_renders_a_csrf_token(app, world, role):
    pages = crawl(app, client_for(app, world.users[role]))
    assert REACHED[role] <= {page.endpoint for page in pages.pages}
    errors = [page for page in pages.pages if page.status >= 500]
    assert not errors, [f"{page.url}: {page.status}" for page in errors]
    offenders = sorted(
        {
            f"{form.action} ({form.endpoint}) on {form.page}"
            for form in pages.forms()
            if form.method == "POST" and not form.has_token()
        }
    )
    assert not offenders, "POST forms without a csrf_token input:\n" + "\n".join(offenders)
