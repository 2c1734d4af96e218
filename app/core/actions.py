"""Buttons that change one thing: run the service, commit or roll back, flash, redirect."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.extensions import db


def apply_and_redirect(change: Callable[[], object], *, done: str | None, back: str) -> Response:
    """Run one service for a button (no form to show again) and redirect to `back`.

    On success commit and flash `done` (if any); when a rule says no, roll back and flash
    the rule's message instead, so the user lands on the same page either way.
    """
    try:
        change()
    except DomainError as error:
        # Nothing of a refused change may reach a later commit in this request.
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if done:
            flash(done, "success")
    return redirect(back)
