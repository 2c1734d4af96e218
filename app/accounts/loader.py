"""Flask-Login wiring: a login starts a session of its own, and each request checks it.

The cookies carry a login id (app/accounts/sessions.py): the person's session token and the
key of one session. A request is logged in only while both still hold, the session has not
been ended and it is within its time; past its time, the person is logged out and asked to
log in again.
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user, user_logged_in, user_logged_out

from app.accounts import sessions
from app.accounts.models import User, UserSession
from app.extensions import db, login_manager

# What login_user has just written (Flask-Login's keys): the rest of the session goes.
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds")
# A visitor's choice of language and time zone outlives the login; nothing else does.
PREFERENCE_KEYS = ("locale", "timezone")


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Not "strong": city officials on mobile networks change address often.
    login_manager.session_protection = "basic"
    user_logged_in.connect(_start_session, app)
    user_logged_out.connect(_end_session, app)
    app.before_request(_check_session)
    app.after_request(_keep_session_changes)


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    g.user_session = None
    found = sessions.find_session(login_id)
    if found is None:
        return None
    user, user_session = found
    if not user.active or user_session.ended_at is not None:
        return None
    reason = sessions.expiry(user_session)
    if reason is not None:
        g.expired_session = (user_session, reason)  # _check_session ends it and says so
        return None
    g.user_session = user_session
    return user


def current_session() -> UserSession | None:
    """The session of this request's person (None for a visitor)."""
    return g.get("user_session") if current_user.is_authenticated else None


def _check_session():
    if request.endpoint == "static":
        return None
    if current_user.is_authenticated:  # loads the user, and checks the session
        user_session = g.get("user_session")
        if user_session is not None and sessions.record_activity(user_session=user_session):
            db.session.commit()  # before the view: nothing else is pending yet
        return None
    if "_user_id" not in session:
        return None
    # The cookies name a session that no longer works: forget them.
    expired = g.pop("expired_session", None)
    logout_user()
    if expired is None:
        return None  # ended (logged out elsewhere, a new password, ended from another browser)
    user_session, reason = expired
    sessions.expire_session(user_session=user_session, reason=reason)
    db.session.commit()
    flash(_("Your session has expired; please log in again."), "info")
    # Back to the page asked for after logging in again; a form's POST cannot be repeated.
    comes_back = request.method == "GET" and request.endpoint != "accounts.login"
    next_url = request.full_path.rstrip("?") if comes_back else None
    return redirect(url_for("accounts.login", next=next_url))


def _start_session(sender: Flask, user: User, **extra) -> None:
    """At every login: a new session row, and a Flask session rebuilt around it.

    Nothing a visitor's session held before the login (or a planted one) carries over,
    and the cookie's contents are new.
    """
    kept = {key: session[key] for key in (*LOGIN_KEYS, *PREFERENCE_KEYS) if key in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)  # a form rendered now belongs to the new session
    user_session, key = sessions.start_session(
        user=user,
        user_agent=request.headers.get("User-Agent", ""),
        address=request.remote_addr,
        remembered=session.get("_remember") == "set",
    )
    session["_user_id"] = sessions.login_id(user, key)
    g.user_session = user_session
    g.session_changed = True


def _end_session(sender: Flask, user, **extra) -> None:
    user_session = g.pop("user_session", None)
    if user_session is not None:
        sessions.end_current_session(user_session=user_session)
        g.session_changed = True


def _keep_session_changes(response):
    # login_user may come after the view's commit (a new password logs in once it is saved):
    # the session row is committed with the response.
    if g.pop("session_changed", False):
        db.session.commit()
    return response
