"""Two-factor login: setting it up with an authenticator app, recovery codes, the login's
second step, who must use it, and turning it off when a phone is lost."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import session
from sqlalchemy import select

from app.accounts import two_factor
from app.accounts.models import RecoveryCode, User
from app.accounts.two_factor_views import PENDING_KEY, begin_challenge, needs_challenge
from app.audit.models import AuditEntry
from app.errors import DomainError, NotAllowed
from app.extensions import db
from tests.accounts.helpers import is_logged_in, notifications
from tests.accounts.two_factor_helpers import answer_challenge, code_for
from tests.client import log_in
from tests.factories import TEST_TOTP_SECRET, make_admin, make_reviewer, make_user

NOW = datetime(2026, 12, 10, 9, 0, 15, tzinfo=UTC)  # 15 s into a 30-second step


def audit_actions(user: User) -> list[str]:
    query = (
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "user", AuditEntry.object_id == user.id)
        .order_by(AuditEntry.id)
    )
    return list(db.session.scalars(query))


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def set_up(user: User, *, at: datetime = NOW) -> list[str]:
    """Two-factor login turned on through the services, as the settings page does."""
    secret = two_factor.start_setup(actor=user)
    return two_factor.confirm_setup(actor=user, code=code_for(secret, at=at), now=at)


# --- setting up ----------------------------------------------------------------------------


def test_a_code_from_the_app_turns_it_on_and_gives_ten_recovery_codes(app_context):
    user = make_user()
    secret = two_factor.start_setup(actor=user)

    assert not user.two_factor_enabled, "a secret not yet confirmed does not count"
    assert pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Dialogue Café Call")
    codes = two_factor.confirm_setup(actor=user, code=code_for(secret, at=NOW), now=NOW)

    assert user.two_factor_enabled and user.totp_enabled_at == NOW
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"\d{4}-\d{4}-\d{4}", code) for code in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    assert audit_actions(user) == ["user.two_factor_setup_started", "user.two_factor_enabled"]
    details = str([entry.details for entry in audit_entries("user.two_factor_enabled")])
    assert secret not in details and not any(code in details for code in codes)


def test_a_wrong_code_does_not_turn_it_on(app_context):
    user = make_user()
    secret = two_factor.start_setup(actor=user)

    with pytest.raises(DomainError) as refused:
        two_factor.confirm_setup(actor=user, code=code_for(secret, at=NOW, steps=5), now=NOW)

    assert refused.value.field == "code"
    assert not user.two_factor_enabled


def test_the_code_of_the_step_before_or_after_is_accepted_for_a_drifting_clock(app_context):
    user = make_user()
    secret = two_factor.start_setup(actor=user)
    two_factor.confirm_setup(actor=user, code=code_for(secret, at=NOW, steps=-1), now=NOW)

    assert two_factor.verify(user=user, code=code_for(secret, at=NOW, steps=1), now=NOW)
    assert not two_factor.verify(user=user, code=code_for(secret, at=NOW, steps=2), now=NOW)


def test_a_code_is_refused_when_replayed_within_its_step(app_context):
    user = make_user()
    set_up(user, at=NOW - timedelta(minutes=5))
    code = code_for(user.totp_secret, at=NOW)

    assert two_factor.verify(user=user, code=code, now=NOW)
    assert not two_factor.verify(user=user, code=code, now=NOW + timedelta(seconds=10))
    # Nor the code of the step before, once a later one was used.
    assert not two_factor.verify(
        user=user, code=code_for(user.totp_secret, at=NOW, steps=-1), now=NOW
    )
    assert two_factor.verify(
        user=user, code=code_for(user.totp_secret, at=NOW, steps=1), now=NOW + timedelta(seconds=30)
    )


def test_the_code_that_confirmed_the_setup_cannot_log_in(app_context):
    user = make_user()
    secret = two_factor.start_setup(actor=user)
    code = code_for(secret, at=NOW)
    two_factor.confirm_setup(actor=user, code=code, now=NOW)

    assert not two_factor.verify(user=user, code=code, now=NOW)


def test_typed_spaces_and_another_script_s_digits_are_read_as_the_code(app_context):
    user = make_user()
    set_up(user, at=NOW - timedelta(minutes=5))
    code = code_for(user.totp_secret, at=NOW)
    arabic_indic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    assert two_factor.verify(user=user, code=f" {arabic_indic[:3]} {arabic_indic[3:]} ", now=NOW)
    assert not two_factor.verify(user=user, code=f"x{code}", now=NOW + timedelta(seconds=30))


# --- recovery codes ------------------------------------------------------------------------


def test_a_recovery_code_works_once(app_context):
    user = make_user()
    codes = set_up(user)

    assert two_factor.verify(user=user, code=codes[3], now=NOW)
    assert not two_factor.verify(user=user, code=codes[3], now=NOW)
    assert two_factor.verify(user=user, code=codes[4].replace("-", " "), now=NOW)
    assert two_factor.recovery_codes_left(user) == 8


def test_new_recovery_codes_replace_the_old_ones(app_context):
    user = make_user()
    old = set_up(user, at=NOW - timedelta(minutes=5))

    new = two_factor.regenerate_recovery_codes(
        actor=user, code=code_for(user.totp_secret, at=NOW), now=NOW
    )

    assert not set(old) & set(new)
    assert not two_factor.verify(user=user, code=old[0], now=NOW)
    assert two_factor.verify(user=user, code=new[0], now=NOW)
    assert "user.recovery_codes_regenerated" in audit_actions(user)


def test_new_recovery_codes_need_a_current_code(app_context):
    user = make_user()
    old = set_up(user)

    with pytest.raises(DomainError):
        two_factor.regenerate_recovery_codes(actor=user, code="123", now=NOW)

    assert two_factor.verify(user=user, code=old[0], now=NOW)


# --- who must use it, and turning it off -------------------------------------------------------


def test_administrators_must_use_it_and_reviewers_when_the_setting_lists_them(app, monkeypatch):
    admin, reviewer = make_admin(two_factor=False), make_reviewer()

    assert two_factor.setup_required(admin) and not two_factor.is_required(reviewer)
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", ("administrator", "reviewer"))
    assert two_factor.setup_required(reviewer)
    assert not two_factor.setup_required(make_admin()), "already set up"


def test_a_person_turns_it_off_with_a_current_code(app_context):
    user = make_user()
    set_up(user, at=NOW - timedelta(minutes=5))

    two_factor.disable(actor=user, user=user, code=code_for(user.totp_secret, at=NOW), now=NOW)

    assert not user.two_factor_enabled and user.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert audit_actions(user)[-1] == "user.two_factor_disabled"


def test_a_role_that_requires_it_cannot_turn_it_off(app_context):
    admin = make_admin()

    with pytest.raises(DomainError) as refused:
        two_factor.disable(actor=admin, user=admin, code=code_for(TEST_TOTP_SECRET))

    assert refused.value.code == "two_factor_required"
    assert admin.two_factor_enabled


def test_an_administrator_resets_a_lost_phone_and_the_person_is_told(app_context):
    admin, reviewer = make_admin(name="Ada Admin"), make_reviewer()
    set_up(reviewer)

    two_factor.disable(actor=admin, user=reviewer)

    assert not reviewer.two_factor_enabled
    [entry] = audit_entries("user.two_factor_reset")
    assert (entry.actor_id, entry.object_id) == (admin.id, reviewer.id)
    [mail] = notifications("two_factor_reset", to=reviewer.email)
    assert mail.context["by"] == "Ada Admin"


def test_only_administrators_reset_another_person(app_context):
    reviewer, other = make_reviewer(), make_user()
    set_up(other)

    with pytest.raises(NotAllowed):
        two_factor.disable(actor=reviewer, user=other)
    assert other.two_factor_enabled


# --- pages: setting up ---------------------------------------------------------------------


def test_setting_up_on_the_page_shows_the_qr_code_and_then_the_recovery_codes_once(client):
    user = make_user()
    log_in(client, user)

    client.post("/settings/two-factor/setup")
    page = client.get("/settings/two-factor").get_data(as_text=True)
    db.session.refresh(user)
    secret = user.totp_secret

    assert '<svg width="' in page and 'class="segno"' in page, "drawn by the app, inline"
    assert two_factor.format_secret(secret) in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert "<img" not in page.split("<main", 1)[-1], "no image from another service"

    response = client.post("/settings/two-factor/confirm", data={"confirm-code": code_for(secret)})

    assert response.status_code == 200
    codes = re.findall(r"<code>(\d{4}-\d{4}-\d{4})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    assert "I have saved these codes" in response.get_data(as_text=True)
    page = client.get("/settings/two-factor").get_data(as_text=True)
    assert "Two-factor login is on" in page and not any(code in page for code in codes)


def test_a_wrong_code_on_the_setup_page_is_refused_with_a_message(client):
    user = make_user()
    log_in(client, user)
    client.post("/settings/two-factor/setup")
    db.session.refresh(user)

    response = client.post(
        "/settings/two-factor/confirm",
        data={"confirm-code": code_for(user.totp_secret, steps=10)},
    )

    assert response.status_code == 422
    assert "This code is not correct" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.two_factor_enabled


def test_an_administrator_cannot_turn_it_off_on_the_page(admin_client):
    page = admin_client.get("/settings/two-factor").get_data(as_text=True)
    assert "Your role requires two-factor login" in page and "disable-code" not in page

    response = admin_client.post("/settings/two-factor/disable", data={"disable-code": code_for()})

    assert response.status_code == 422
    db.session.refresh(admin_client.administrator)
    assert admin_client.administrator.two_factor_enabled


def test_new_recovery_codes_on_the_page(admin_client):
    response = admin_client.post(
        "/settings/two-factor/recovery-codes", data={"regenerate-code": code_for()}
    )

    assert response.status_code == 200
    assert len(re.findall(r"<code>\d{4}-\d{4}-\d{4}</code>", response.get_data(as_text=True))) == 10


# --- pages: the login's second step ----------------------------------------------------------


def pending_login(client, user: User, *, next_url: str | None = None, at: float | None = None):
    """The login view's hand-over after a right password (begin_challenge's session state)."""
    with client.session_transaction() as browser_session:
        browser_session[PENDING_KEY] = two_factor.pending_state(
            user, remember=False, next_url=next_url, now=at
        )


def test_begin_challenge_keeps_the_pending_login_and_asks_for_the_code(app):
    admin = make_admin()
    assert needs_challenge(admin) and not needs_challenge(make_user())

    with app.test_request_context("/login", method="POST"):
        response = begin_challenge(admin, True, "https://elsewhere.example/")
        state = session[PENDING_KEY]

    assert response.location.endswith("/login/two-factor")
    assert (state["user_id"], state["remember"], state["next"]) == (admin.id, True, None)


def test_the_right_code_after_the_password_logs_in(client):
    admin = make_admin()
    db.session.commit()
    pending_login(client, admin, next_url="/admin/people")

    page = client.get("/login/two-factor")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(True)
    assert not is_logged_in(client)
    response = answer_challenge(client)

    assert response.status_code == 302 and response.location.endswith("/admin/people")
    assert is_logged_in(client)
    with client.session_transaction() as browser_session:
        assert PENDING_KEY not in browser_session
    assert audit_entries("user.two_factor_passed")[-1].details == {"method": "totp"}


def test_a_wrong_code_after_the_password_does_not_log_in(client):
    admin = make_admin()
    db.session.commit()
    pending_login(client, admin)

    response = answer_challenge(client, code_for(steps=10))

    assert response.status_code == 422
    assert "This code is not correct" in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert [e.object_id for e in audit_entries("user.two_factor_failed")] == [admin.id]


def test_a_recovery_code_logs_in_without_the_phone(client):
    user = make_user()
    codes = set_up(user)
    db.session.commit()
    pending_login(client, user)

    response = answer_challenge(client, codes[0])

    assert response.status_code == 302 and is_logged_in(client)
    details = audit_entries("user.two_factor_passed")[-1].details
    assert details == {"method": "recovery_code", "recovery_codes_left": 9}


def test_a_pending_login_expires_after_five_minutes(client):
    admin = make_admin()
    db.session.commit()
    state = two_factor.pending_state(admin, remember=False, next_url=None, now=1_000_000)

    assert two_factor.pending_user_id(state, now=1_000_000 + 299) == admin.id
    assert two_factor.pending_user_id(state, now=1_000_000 + 300) is None

    pending_login(client, admin, at=time.time() - 301)
    response = answer_challenge(client)

    assert response.status_code == 302 and response.location.endswith("/login")
    assert not is_logged_in(client)
    assert "took too long" in client.get("/login").get_data(as_text=True)


def test_wrong_codes_are_limited_per_person(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "3 per 15 minutes")
    admin = make_admin()
    db.session.commit()
    pending_login(client, admin)

    statuses = [answer_challenge(client, "000000x").status_code for _try in range(4)]

    assert statuses == [422, 422, 422, 429]


# --- pages: an administrator resets a lost phone --------------------------------------------


def test_an_administrator_resets_another_person_on_the_page(admin_client):
    reviewer = make_reviewer(name="Rita Reviewer")
    set_up(reviewer)
    db.session.commit()
    path = f"/admin/people/{reviewer.id}/two-factor/reset"

    page = admin_client.get(path).get_data(as_text=True)
    assert "Turn off two-factor login for Rita Reviewer" in page
    response = admin_client.post(path, follow_redirects=True)

    assert "Two-factor login is off for Rita Reviewer" in response.get_data(as_text=True)
    db.session.refresh(reviewer)
    assert not reviewer.two_factor_enabled
    assert [e.actor_id for e in audit_entries("user.two_factor_reset")] == [
        admin_client.administrator.id
    ]
    assert len(notifications("two_factor_reset", to=reviewer.email)) == 1


def test_resetting_needs_a_csrf_token(admin_client):
    reviewer = make_reviewer()
    set_up(reviewer)
    db.session.commit()

    response = admin_client.post(f"/admin/people/{reviewer.id}/two-factor/reset", csrf_token=None)

    assert response.status_code == 400
    db.session.refresh(reviewer)
    assert reviewer.two_factor_enabled


def test_the_command_line_resets_the_last_administrator(app):
    admin = make_admin(email="last@example.org")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["reset-two-factor", "Last@Example.org"])

    assert result.exit_code == 0, result.output
    db.session.refresh(admin)
    assert not admin.two_factor_enabled
    assert audit_entries("user.two_factor_reset")[-1].details == {"by": "command line"}
    assert len(notifications("two_factor_reset", to="last@example.org")) == 1
    unknown = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@example.org"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output


# --- the gate ------------------------------------------------------------------------------


def test_an_administrator_without_it_is_sent_to_set_it_up(client):
    admin = make_admin(two_factor=False)
    log_in(client, admin)

    response = client.get("/admin/people")

    assert response.status_code == 302 and response.location.endswith("/settings/two-factor")
    assert client.get("/settings/two-factor").status_code == 200
    assert client.get("/settings").status_code == 200

    client.post("/settings/two-factor/setup")
    db.session.refresh(admin)
    client.post("/settings/two-factor/confirm", data={"confirm-code": code_for(admin.totp_secret)})
    assert client.get("/admin/people").status_code == 200


def test_the_gate_stays_open_for_roles_that_do_not_require_it(client):
    log_in(client, make_reviewer())

    response = client.get("/admin/people")

    assert response.status_code == 403, "refused as ever, not sent to set up two-factor login"
