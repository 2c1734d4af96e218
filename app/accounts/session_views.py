"""The person's own sessions, on their settings page: where they are logged in, and ending
the others (routes of the accounts blueprint, kept apart from the login pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import sessions
from app.accounts.loader import current_session
from app.accounts.models import UserSession
from app.accounts.views import bp
from app.core.actions import apply_and_redirect

# Distinctive marks of a browser's and a system's User-Agent, checked in this order (Edge
# and Opera also say "Chrome"; Chrome also says "Safari"; Android also says "Linux").
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
DEVICE_MAX_LENGTH = 60


def describe_device(user_agent: str) -> str:
    """A person's words for a browser ("Firefox on Windows"), not its User-Agent header."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system or ""
    user_agent = " ".join(user_agent.split())
    if not user_agent:
        return _("Unknown browser")
    if len(user_agent) > DEVICE_MAX_LENGTH:
        return user_agent[: DEVICE_MAX_LENGTH - 1] + "…"
    return user_agent


@dataclass(frozen=True)
class SessionLine:
    session: UserSession
    device: str
    current: bool


def _session_lines() -> list[SessionLine]:
    here = current_session()
    here_id = here.id if here is not None else None
    return [
        SessionLine(row, describe_device(row.user_agent), current=row.id == here_id)
        for row in sessions.open_sessions(current_user)
    ]


def _session_limits() -> dict[str, str]:
    config = current_app.config
    remembered = config["REMEMBER_COOKIE_DURATION"]
    if not isinstance(remembered, timedelta):
        remembered = timedelta(seconds=int(remembered))
    return {
        "idle": format_timedelta(timedelta(minutes=config["SESSION_IDLE_MINUTES"])),
        "limit": format_timedelta(timedelta(hours=config["SESSION_MAX_HOURS"])),
        "remembered": format_timedelta(remembered),
    }


@bp.context_processor
def _sessions_for_the_settings_page() -> dict:
    # Called by templates/accounts/settings.html only: no query on the other pages.
    return {"session_lines": _session_lines, "session_limits": _session_limits}


def _back_to_sessions() -> str:
    return url_for("accounts.settings", _anchor="sessions")


@bp.post("/settings/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    user = current_user._get_current_object()
    # Another person's session is not found, whoever asks.
    own = sessions.own_session(user, session_id) or abort(404)
    return apply_and_redirect(
        lambda: sessions.end_session(actor=user, session_id=own.id),
        done=_("That session has ended: the browser it was on is logged out."),
        back=_back_to_sessions(),
    )


@bp.post("/settings/sessions/end-others")
@login_required
def end_other_sessions():
    user = current_user._get_current_object()
    here = current_session()
    return apply_and_redirect(
        lambda: sessions.end_other_sessions(
            actor=user, current_session_id=here.id if here is not None else None
        ),
        done=_("Your other sessions have ended: you are logged in on this browser only."),
        back=_back_to_sessions(),
    )
