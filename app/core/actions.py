"""A view's one call to a service: run it, commit or roll back, and show the user the outcome.

Two shapes: a button that changes one thing and redirects (`apply_and_redirect`), and a form
whose input is kept and shown again when a rule says no (`save_form`). Both roll back a
refused change, so nothing of it reaches a later commit in the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.extensions import db

T = TypeVar("T")


def form_status(*forms: FlaskForm, refused: bool = False) -> int:
    """The status of a form page: 200 to fill it in, 422 (the one status of refused input,
    pages and JSON alike) when it comes back with what was wrong."""
    return 422 if refused or any(form.errors for form in forms) else 200


def apply_and_redirect(change: Callable[[], object], *, done: str | None, back: str) -> Response:
    """Run one service for a button (no form to show again) and redirect to `back`.

    On success commit and flash `done` (if any); when a rule says no, roll back and flash
    the rule's message instead, so the user lands on the same page either way.
    """
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if done:
            flash(done, "success")
    return redirect(back)


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What `save_form` did: true when the service ran and was committed, with its result."""

    ok: bool
    result: T | None = None

    def __bool__(self) -> bool:
        return self.ok


def save_form(
    form: FlaskForm, change: Callable[[], T], *, aliases: Mapping[str, str] | None = None
) -> Saved[T]:
    """Run one service with a validated form's input and commit it.

    When a rule says no, roll back and show its message (`show_refusal`): the view renders
    the form again with everything the user typed.
    """
    try:
        result = change()
    except DomainError as error:
        show_refusal(form, error, aliases=aliases)
        return Saved(False)
    db.session.commit()
    return Saved(True, result)


def show_refusal(
    form: FlaskForm, error: DomainError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Roll back, and put the rule's message next to the field it names, else at the top."""
    db.session.rollback()
    if not attach_refusal(form, error, aliases=aliases):
        flash(error.message, "error")


def attach_refusal(
    form: FlaskForm, error: DomainError, *, aliases: Mapping[str, str] | None = None
) -> bool:
    """Put the rule's message next to the field it names; False when no field fits.

    `aliases` maps a service's argument names to the form's field names where they differ.
    """
    name = (aliases or {}).get(error.field or "", error.field)
    if not name or name not in form:
        return False
    field: Any = form[name]
    field.errors = [*field.errors, error.message]
    return True
