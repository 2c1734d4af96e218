"""`flask create-admin`."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.passwords import verify_password
from app.extensions import db
from tests.factories import PASSWORD, make_user

GOOD_PASSWORD = "administrator passphrase"


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def create_admin(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=input)


def test_create_admin_reads_the_password_from_stdin(app):
    result = create_admin(
        app,
        " Boss@Example.ORG ",
        "--name",
        "The Boss",
        "--password-stdin",
        input=GOOD_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    user = user_by_email("boss@example.org")
    assert user.role_names == ["administrator"]
    assert user.name == "The Boss"
    assert user.email_verified_at is not None
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in result.output


def test_create_admin_asks_for_the_password_twice(app):
    result = create_admin(app, "boss@example.org", input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Repeat the password" in result.output
    assert verify_password(user_by_email("boss@example.org").password_hash, GOOD_PASSWORD)


def test_create_admin_asks_again_when_the_two_passwords_differ(app):
    result = create_admin(
        app,
        "boss@example.org",
        input=f"{GOOD_PASSWORD}\ndifferent passphrase\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert verify_password(user_by_email("boss@example.org").password_hash, GOOD_PASSWORD)


def test_create_admin_refuses_a_bad_email_without_a_traceback(app):
    result = create_admin(app, "not-an-email", "--password-stdin", input=GOOD_PASSWORD + "\n")

    assert result.exit_code == 1
    assert "Error: Email: Enter a valid email address" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalars(select(User)).all() == []


def test_create_admin_refuses_a_short_password_without_a_traceback(app):
    result = create_admin(app, "boss@example.org", "--password-stdin", input="short\n")

    assert result.exit_code == 1
    assert "Error: Password: Use at least 10 characters." in result.output
    assert "Traceback" not in result.output
    assert user_by_email("boss@example.org") is None


def test_create_admin_grants_the_role_to_an_existing_account(app):
    make_user(email="mayor@turin.example")
    db.session.commit()

    result = create_admin(app, "MAYOR@turin.example")

    assert result.exit_code == 0, result.output
    assert "now an administrator" in result.output
    user = user_by_email("mayor@turin.example")
    assert user.role_names == ["administrator", "applicant"]
    assert verify_password(user.password_hash, PASSWORD)  # untouched


def test_create_admin_twice_is_harmless(app):
    create_admin(app, "boss@example.org", "--password-stdin", input=GOOD_PASSWORD + "\n")
    result = create_admin(app, "boss@example.org", "--password-stdin", input="ignored\n")

    assert result.exit_code == 0
    user = user_by_email("boss@example.org")
    assert [role.role for role in user.roles] == [Role.ADMINISTRATOR]
