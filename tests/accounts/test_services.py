"""Accounts services: the rules, called directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.accounts import services
from app.accounts.models import Role, User
from app.accounts.passwords import verify_password
from app.accounts.services import LoginStatus
from app.accounts.tokens import TokenPurpose, make_token, password_fingerprint
from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import DomainError, NotAllowed
from app.extensions import db
from tests.accounts.helpers import last_link, notifications, path_of, register
from tests.factories import PASSWORD, make_admin, make_reviewer, make_user

NEW_PASSWORD = "a brand new passphrase"


def audit_actions(user_id: int) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.object_id == user_id).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def token_from(link: str) -> str:
    return path_of(link).rsplit("/", 1)[1]


# --- registration ----------------------------------------------------------------------------


def test_registration_creates_an_unverified_applicant_with_a_normalised_email(app_context):
    user = register(email="  Ana@Lisboa.EXAMPLE ")

    assert user.email == "ana@lisboa.example"
    assert user.role_names == ["applicant"]
    assert user.email_verified_at is None
    assert user.locale == "fr" and user.timezone == "Europe/Lisbon"
    assert verify_password(user.password_hash, "sufficiently long")
    assert "user.registered" in audit_actions(user.id)


def test_registration_sends_a_verification_link_on_the_configured_server(app_context):
    user = register()

    [message] = notifications("verify_email")
    assert message.recipient_email == user.email
    assert message.locale == "fr"
    assert path_of(message.context["link"]).startswith("/verify-email/")


@pytest.mark.parametrize(
    "typed", ["ana@lisboa.example", " ANA@Lisboa.Example", "Ana@lisboa.example "]
)
def test_registering_a_taken_email_in_any_case_creates_nobody_and_tells_the_owner(
    app_context, typed
):
    existing = make_user(email="ana@lisboa.example", name="The real Ana")

    assert register(email=typed, name="Impostor") is None

    assert db.session.scalar(select(func.count(User.id))) == 1
    assert existing.name == "The real Ana"
    [notice] = notifications("account_exists")
    assert notice.recipient_email == "ana@lisboa.example"
    assert notifications("verify_email") == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "too short"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"email": "ana.long@lisboa.example", "password": "ANA.LONG@lisboa.example"}, "password"),
        ({"email": "not an email"}, "email"),
        ({"email": "ana@"}, "email"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"locale": "xx"}, "locale"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
    ],
)
def test_registration_refuses_bad_input_with_a_field_error(app_context, overrides, field):
    with pytest.raises(DomainError) as raised:
        register(**overrides)
    assert raised.value.field == field
    assert raised.value.message
    assert db.session.scalar(select(func.count(User.id))) == 0


# --- email verification ----------------------------------------------------------------------


def test_the_verification_link_confirms_the_address_and_can_be_opened_twice(app_context):
    user = register()
    token = token_from(last_link("verify_email"))

    assert services.verify_email(token=token) is user
    verified_at = user.email_verified_at
    assert verified_at is not None
    services.verify_email(token=token)
    assert user.email_verified_at == verified_at
    assert audit_actions(user.id).count("user.email_verified") == 1


def test_an_expired_verification_link_is_refused(app, app_context):
    user = register()
    token = token_from(last_link("verify_email"))
    later = utcnow() + timedelta(seconds=app.config["EMAIL_TOKEN_MAX_AGE"] + 5)

    with time_machine.travel(later, tick=False), pytest.raises(DomainError) as raised:
        services.verify_email(token=token)
    assert raised.value.code == "expired_link"
    assert user.email_verified_at is None


def test_a_token_made_for_another_purpose_or_tampered_with_does_not_verify(app_context):
    user = register()
    reset = make_token(TokenPurpose.RESET_PASSWORD, user_id=user.id, binding=user.email)
    good = token_from(last_link("verify_email"))

    for token in (reset, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "garbage"):
        with pytest.raises(DomainError) as raised:
            services.verify_email(token=token)
        assert raised.value.code == "invalid_link"
    assert user.email_verified_at is None


def test_resending_verification_only_writes_to_unconfirmed_accounts(app_context):
    unverified = make_user(verified=False)
    verified = make_user()

    services.resend_verification(email=unverified.email.upper())
    services.resend_verification(email=verified.email)
    services.resend_verification(email="nobody@example.org")

    assert [n.recipient_email for n in notifications("verify_email")] == [unverified.email]


# --- login -----------------------------------------------------------------------------------


def test_login_accepts_the_email_in_any_case_and_with_spaces(app_context):
    user = make_user(email="mayor@turin.example")

    outcome = services.log_in(email="  Mayor@TURIN.example ", password=PASSWORD)

    assert outcome.status is LoginStatus.OK and outcome.user is user
    assert user.last_login_at is not None
    assert "user.logged_in" in audit_actions(user.id)


def test_unknown_email_and_wrong_password_give_the_same_outcome(app_context):
    make_user(email="mayor@turin.example")

    unknown = services.log_in(email="nobody@turin.example", password=PASSWORD)
    wrong = services.log_in(email="mayor@turin.example", password="not the password")

    assert unknown == wrong == services.LoginOutcome(LoginStatus.INVALID)


def test_an_unknown_email_still_spends_a_password_check(app_context, monkeypatch):
    checked = []

    def spy(password_hash, password):
        checked.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)
    services.log_in(email="nobody@example.org", password=PASSWORD)

    assert checked == [None]


def test_an_invited_reviewer_without_a_password_cannot_log_in(app_context):
    reviewer = make_reviewer(password=None)

    assert services.log_in(email=reviewer.email, password="").status is LoginStatus.INVALID


def test_a_deactivated_account_cannot_log_in(app_context):
    user = make_user(active=False)

    assert services.log_in(email=user.email, password=PASSWORD).status is LoginStatus.INACTIVE
    assert user.last_login_at is None


def test_an_unverified_account_is_told_to_verify_and_gets_a_fresh_link(app_context):
    user = make_user(verified=False)

    outcome = services.log_in(email=user.email, password=PASSWORD)

    assert outcome.status is LoginStatus.UNVERIFIED
    assert user.last_login_at is None
    [message] = notifications("verify_email")
    assert message.recipient_email == user.email
    assert services.verify_email(token=token_from(message.context["link"])) is user


def test_an_unverified_account_with_a_wrong_password_gets_no_link(app_context):
    user = make_user(verified=False)

    outcome = services.log_in(email=user.email, password="not the password")

    assert outcome.status is LoginStatus.INVALID
    assert notifications() == []


def test_a_hash_made_with_old_parameters_is_upgraded_at_login(app_context):
    user = make_user()
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    old_hash = user.password_hash

    assert services.log_in(email=user.email, password=PASSWORD).status is LoginStatus.OK

    assert user.password_hash != old_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_logging_out_replaces_the_session_token(app_context):
    user = make_user()
    before = user.session_token

    services.log_out(user=user)

    assert user.session_token != before
    assert "user.logged_out" in audit_actions(user.id)


# --- password reset --------------------------------------------------------------------------


def test_a_reset_request_for_an_unknown_or_deactivated_email_sends_nothing(app_context):
    make_user(email="gone@example.org", active=False)

    services.request_password_reset(email="nobody@example.org")
    services.request_password_reset(email="gone@example.org")

    assert notifications() == []


def test_the_reset_link_sets_the_password_once_and_ends_every_session(app_context):
    user = make_user(email="clerk@cardiff.example", verified=False)
    old_token = user.session_token
    services.request_password_reset(email=" Clerk@Cardiff.example")
    token = token_from(last_link("password_reset"))

    services.set_password_from_link(
        purpose=TokenPurpose.RESET_PASSWORD, token=token, password=NEW_PASSWORD
    )

    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_token != old_token
    assert user.email_verified_at is not None  # the link proved the address
    with pytest.raises(DomainError) as raised:
        services.set_password_from_link(
            purpose=TokenPurpose.RESET_PASSWORD, token=token, password="another passphrase"
        )
    assert raised.value.code == "invalid_link"
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_a_reset_link_dies_when_the_password_changes_another_way(app_context):
    user = make_user()
    services.request_password_reset(email=user.email)
    token = token_from(last_link("password_reset"))
    services.change_password(
        actor=user, user=user, current_password=PASSWORD, new_password=NEW_PASSWORD
    )

    with pytest.raises(DomainError):
        services.user_for_password_link(purpose=TokenPurpose.RESET_PASSWORD, token=token)


def test_a_reset_link_expires(app, app_context):
    user = make_user()
    services.request_password_reset(email=user.email)
    token = token_from(last_link("password_reset"))
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]

    with time_machine.travel(utcnow() + timedelta(seconds=max_age - 60), tick=False):
        assert services.user_for_password_link(purpose=TokenPurpose.RESET_PASSWORD, token=token)
    with (
        time_machine.travel(utcnow() + timedelta(seconds=max_age + 60), tick=False),
        pytest.raises(DomainError) as raised,
    ):
        services.set_password_from_link(
            purpose=TokenPurpose.RESET_PASSWORD, token=token, password=NEW_PASSWORD
        )
    assert raised.value.code == "expired_link"
    assert verify_password(user.password_hash, PASSWORD)


def test_a_reset_link_does_not_work_as_an_invitation_and_the_reverse(app_context):
    user = make_user()
    binding = password_fingerprint(user.password_hash)
    reset = make_token(TokenPurpose.RESET_PASSWORD, user_id=user.id, binding=binding)
    invitation = make_token(TokenPurpose.INVITATION, user_id=user.id, binding=binding)

    with pytest.raises(DomainError):
        services.user_for_password_link(purpose=TokenPurpose.INVITATION, token=reset)
    with pytest.raises(DomainError):
        services.user_for_password_link(purpose=TokenPurpose.RESET_PASSWORD, token=invitation)


def test_a_reset_link_of_a_deactivated_account_is_refused(app_context):
    user = make_user()
    services.request_password_reset(email=user.email)
    token = token_from(last_link("password_reset"))
    user.active = False

    with pytest.raises(DomainError):
        services.user_for_password_link(purpose=TokenPurpose.RESET_PASSWORD, token=token)


def test_a_new_password_from_a_link_must_follow_the_rules(app_context):
    user = make_user(email="clerk@cardiff.example")
    services.request_password_reset(email=user.email)
    token = token_from(last_link("password_reset"))

    with pytest.raises(DomainError) as raised:
        services.set_password_from_link(
            purpose=TokenPurpose.RESET_PASSWORD, token=token, password="Clerk@Cardiff.example"
        )
    assert raised.value.field == "password"


# --- own settings ----------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(app_context):
    user = make_user()
    token = user.session_token

    with pytest.raises(DomainError) as raised:
        services.change_password(
            actor=user, user=user, current_password="wrong guess", new_password=NEW_PASSWORD
        )
    assert raised.value.field == "current_password"
    assert user.session_token == token

    services.change_password(
        actor=user, user=user, current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_token != token
    assert "user.password_changed" in audit_actions(user.id)


def test_nobody_changes_another_persons_password_or_settings(app_context):
    user, admin = make_user(), make_admin()

    with pytest.raises(NotAllowed):
        services.change_password(
            actor=admin, user=user, current_password=PASSWORD, new_password=NEW_PASSWORD
        )
    with pytest.raises(NotAllowed):
        services.update_profile(
            actor=admin, user=user, name="Hijacked", locale="en", timezone="UTC"
        )


def test_updating_the_profile_records_what_changed(app_context):
    user = make_user(name="Ana", locale="en")

    services.update_profile(
        actor=user, user=user, name="  Ana   Maria ", locale="fr", timezone="America/Toronto"
    )

    assert (user.name, user.locale, user.timezone) == ("Ana Maria", "fr", "America/Toronto")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.profile_updated"))
    assert entry.details == {"changed": ["locale", "name", "timezone"]}


def test_a_bad_time_zone_in_the_profile_is_refused(app_context):
    user = make_user()

    with pytest.raises(DomainError) as raised:
        services.update_profile(actor=user, user=user, name="Ana", locale="en", timezone="Nowhere")
    assert raised.value.field == "timezone"
    assert user.timezone == "UTC"


# --- administrators: people ------------------------------------------------------------------


def test_people_are_found_by_part_of_the_name_or_email_in_any_case(app_context):
    admin = make_admin(name="Admin")
    lisbon = make_user(name="Ana Lisboa", email="ana@cm-lisboa.example")
    make_user(name="Tom Cardiff", email="tom@cardiff.example")

    def names(**kwargs):
        return [u.name for u in services.search_people(actor=admin, **kwargs).items]

    assert names(search="LISBOA") == [lisbon.name]
    assert names(search="cm-lis") == [lisbon.name]
    assert names(search="%") == []  # a wildcard typed is a character, not a pattern
    assert names(role=Role.ADMINISTRATOR) == ["Admin"]
    assert names() == ["Admin", "Ana Lisboa", "Tom Cardiff"]


def test_people_come_a_page_at_a_time(app_context):
    admin = make_admin(name="A admin")
    for number in range(5):
        make_user(name=f"Person {number}")

    page = services.search_people(actor=admin, page=2, per_page=2)

    assert page.total == 6
    assert [u.name for u in page.items] == ["Person 1", "Person 2"]
    assert services.search_people(actor=admin, page=99, per_page=2).items == []


def test_only_administrators_list_people(app_context):
    with pytest.raises(NotAllowed):
        services.search_people(actor=make_reviewer())


def test_inviting_a_new_reviewer_creates_an_account_without_a_password(app_context):
    admin = make_admin(name="Organiser")

    outcome = services.invite_reviewer(
        actor=admin, name="Expert Reviewer", email=" Expert@Example.ORG"
    )
    db.session.flush()

    user = outcome.user
    assert outcome.created
    assert user.email == "expert@example.org"
    assert user.role_names == ["reviewer"] and user.password_hash is None
    [invitation] = notifications("reviewer_invitation")
    assert invitation.context["inviter"] == "Organiser"
    assert path_of(invitation.context["link"]).startswith("/invitation/")
    assert "user.reviewer_invited" in audit_actions(user.id)


def test_an_invitation_link_sets_the_password_once(app_context):
    admin = make_admin()
    user = services.invite_reviewer(actor=admin, name="Expert", email="expert@example.org").user
    token = token_from(last_link("reviewer_invitation"))

    services.set_password_from_link(
        purpose=TokenPurpose.INVITATION, token=token, password=NEW_PASSWORD
    )

    assert user.email_verified_at is not None
    assert services.log_in(email=user.email, password=NEW_PASSWORD).status is LoginStatus.OK
    with pytest.raises(DomainError):
        services.user_for_password_link(purpose=TokenPurpose.INVITATION, token=token)


def test_an_invitation_expires(app, app_context):
    admin = make_admin()
    services.invite_reviewer(actor=admin, name="Expert", email="expert@example.org")
    token = token_from(last_link("reviewer_invitation"))
    later = utcnow() + timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 60)

    with time_machine.travel(later, tick=False), pytest.raises(DomainError) as raised:
        services.user_for_password_link(purpose=TokenPurpose.INVITATION, token=token)
    assert raised.value.code == "expired_link"


def test_inviting_someone_with_an_account_grants_the_reviewer_role(app_context):
    admin = make_admin()
    applicant = make_user(email="ana@lisboa.example", name="Ana")

    outcome = services.invite_reviewer(actor=admin, name="Other name", email="ANA@lisboa.example")

    assert outcome.user is applicant and not outcome.created
    assert applicant.role_names == ["applicant", "reviewer"]
    assert applicant.name == "Ana"
    assert verify_password(applicant.password_hash, PASSWORD)
    assert [n.recipient_email for n in notifications("role_granted")] == [applicant.email]
    assert notifications("reviewer_invitation") == []


def test_inviting_an_existing_reviewer_again_is_refused(app_context):
    admin = make_admin()
    reviewer = make_reviewer()

    with pytest.raises(DomainError) as raised:
        services.invite_reviewer(actor=admin, name="Again", email=reviewer.email)
    assert raised.value.code == "already_reviewer"


def test_inviting_again_someone_who_never_came_sends_a_new_link(app_context):
    admin = make_admin()
    services.invite_reviewer(actor=admin, name="Expert", email="expert@example.org")

    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        outcome = services.invite_reviewer(actor=admin, name="Expert", email="expert@example.org")

    assert not outcome.created
    assert len(notifications("reviewer_invitation")) == 2


def test_only_administrators_invite_reviewers(app_context):
    with pytest.raises(NotAllowed):
        services.invite_reviewer(actor=make_user(), name="Friend", email="friend@example.org")


def test_deactivating_ends_sessions_and_reactivating_lets_the_person_back(app_context):
    admin, user = make_admin(), make_user()
    token = user.session_token

    services.deactivate_user(actor=admin, user=user)
    assert not user.active and user.session_token != token
    assert services.log_in(email=user.email, password=PASSWORD).status is LoginStatus.INACTIVE

    services.reactivate_user(actor=admin, user=user)
    assert user.active
    assert services.log_in(email=user.email, password=PASSWORD).status is LoginStatus.OK
    assert audit_actions(user.id) == [
        "user.deactivated",
        "user.login_failed",
        "user.reactivated",
        "user.logged_in",
    ]


def test_an_administrator_cannot_deactivate_themselves(app_context):
    admin = make_admin()

    with pytest.raises(DomainError) as raised:
        services.deactivate_user(actor=admin, user=admin)
    assert raised.value.code == "deactivate_self"
    assert admin.active


def test_only_administrators_deactivate_or_reactivate(app_context):
    reviewer, user = make_reviewer(), make_user()

    with pytest.raises(NotAllowed):
        services.deactivate_user(actor=reviewer, user=user)
    user.active = False
    with pytest.raises(NotAllowed):
        services.reactivate_user(actor=reviewer, user=user)
