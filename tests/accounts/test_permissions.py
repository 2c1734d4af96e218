"""Account permissions and the `role_required` view guard."""

from __future__ import annotations

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

from app.accounts.models import Role
from app.accounts.permissions import (
    can_deactivate_user,
    can_edit_account,
    can_manage_users,
    can_reactivate_user,
    role_required,
)
from tests.factories import make_admin, make_reviewer, make_user


@role_required(Role.REVIEWER, Role.ADMINISTRATOR)
def reviewers_and_administrators_only():
    return "the page"


def test_only_administrators_manage_people(app_context):
    admin, reviewer, applicant = make_admin(), make_reviewer(), make_user()

    assert can_manage_users(admin)
    assert not can_manage_users(reviewer)
    assert not can_manage_users(applicant)
    assert not can_manage_users(None)


def test_deactivation_rules(app_context):
    admin, other_admin, user = make_admin(), make_admin(), make_user()

    assert can_deactivate_user(admin, user)
    assert can_deactivate_user(admin, other_admin)
    assert not can_deactivate_user(admin, admin)
    assert not can_deactivate_user(user, other_admin)
    assert not can_reactivate_user(admin, user)
    user.active = False
    assert not can_deactivate_user(admin, user)
    assert can_reactivate_user(admin, user)


def test_people_edit_only_their_own_account(app_context):
    admin, user = make_admin(), make_user()

    assert can_edit_account(user, user)
    assert not can_edit_account(admin, user)


def test_role_required_sends_anonymous_visitors_to_log_in(app):
    with app.test_request_context("/reviews/42?tab=scores"):
        response = reviewers_and_administrators_only()

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert "%2Freviews%2F42" in response.location


def test_role_required_refuses_other_roles(app):
    applicant = make_user()
    with app.test_request_context("/reviews/42"), pytest.raises(Forbidden):
        login_user(applicant)
        reviewers_and_administrators_only()


@pytest.mark.parametrize("maker", [make_reviewer, make_admin])
def test_role_required_lets_any_named_role_in(app, maker):
    person = maker()
    with app.test_request_context("/reviews/42"):
        login_user(person)
        assert reviewers_and_administrators_only() == "the page"


def test_role_required_needs_a_role():
    with pytest.raises(ValueError):
        role_required()
