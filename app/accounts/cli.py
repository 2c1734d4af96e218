"""Account commands: `flask create-admin EMAIL`, `flask reset-two-factor EMAIL`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from app.accounts import services, two_factor
from app.errors import DomainError
from app.extensions import db

FIELD_NAMES = {"email": "Email: ", "name": "Name: ", "password": "Password: "}


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, as `echo "$PASSWORD" | flask create-admin ...` gives it.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def register_commands(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="Administrator", show_default=True, help="Display name.")
    @click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input instead of asking.",
    )
    def create_admin(email: str, name: str, password_stdin: bool) -> None:
        """Create an administrator account, or make an existing account an administrator."""
        try:
            user = services.grant_administrator(email=email)
            if user is not None:
                db.session.commit()
                click.echo(f"{user.email} already had an account and is now an administrator.")
                return
            password = _read_password(password_stdin)
            user = services.create_administrator(email=email, name=name, password=password)
        except DomainError as error:
            db.session.rollback()
            where = FIELD_NAMES.get(error.field or "", "")
            raise click.ClickException(f"{where}{error.message}") from None
        db.session.commit()
        click.echo(f"Created administrator {user.email}. They can log in now.")

    @app.cli.command("reset-two-factor")
    @click.argument("email")
    def reset_two_factor(email: str) -> None:
        """Turn off a person's two-factor login (a lost phone, and no administrator left who
        could do it on the people page); they are told by email and set it up again."""
        user = services.find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No account has the email address {email.strip()}.")
        try:
            two_factor.disable(actor=None, user=user)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
        click.echo(
            f"Two-factor login is off for {user.email}; they have been told by email. "
            "If their role requires it, they set it up again after their next login."
        )
