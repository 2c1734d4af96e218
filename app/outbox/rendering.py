"""Turning an outbox row into an email, in the recipient's language and time zone.

Values typed by users (city names, titles, bulk message bodies) reach the message only
through the templates: autoescaped in HTML, plain in text, and never in a header except
the subject, which is folded into one line here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.core.i18n import zone_named
from app.extensions import db
from app.outbox.models import Notification, recipient_accounts

# View arguments that make a link a secret (a password reset, an invitation).
SECRET_LINK_ARGUMENTS = frozenset({"token"})
HIDDEN = "hidden"


def one_line(text: str, *, limit: int = 250) -> str:
    """Fold any whitespace (including CR and LF) into single spaces, so no header is added."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + "…"


def email_templates() -> list[str]:
    """The names of every notification template (templates/emails/<name>.txt)."""
    folder = Path(current_app.root_path).parent / "templates" / "emails"
    return sorted(
        path.stem
        for path in folder.glob("*.txt")
        if not path.name.startswith("_") and path.name != "README.txt"
    )


def _instant_formatter(locale: str, timezone: ZoneInfo):
    def when(value: str | datetime | None, format: str = "long") -> str:
        """An instant stored in the context (ISO 8601) in the recipient's time zone."""
        if not value:
            return ""
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return babel_format_datetime(instant, format=format, tzinfo=timezone, locale=locale)

    return when


def _date_formatter(locale: str):
    def date_label(value: str | date | None, format: str = "long") -> str:
        """A calendar day stored in the context (ISO 8601), as the recipient writes dates."""
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return babel_format_date(day, format=format, locale=locale)

    return date_label


def _recipient_timezone(notification: Notification) -> ZoneInfo:
    if notification.recipient_id is None:
        return zone_named(None)
    # Only the zone: a worker renders thousands of messages (the whole user would bring roles).
    zone = db.session.scalar(
        select(recipient_accounts.c.timezone).where(
            recipient_accounts.c.id == notification.recipient_id
        )
    )
    return zone_named(zone)


def render_notification(
    notification: Notification,
    *,
    context: dict[str, Any] | None = None,
    recipient_timezone: str | None = None,
) -> EmailMessage:
    """Build the email from templates/emails/<template>.txt and .html in its locale.

    `recipient_timezone`: the recipient's zone when the caller has read it already.
    """
    values = dict(notification.context if context is None else context)
    if recipient_timezone:
        timezone = zone_named(recipient_timezone)
    else:
        timezone = _recipient_timezone(notification)
    values["when"] = _instant_formatter(notification.locale, timezone)
    values["date_label"] = _date_formatter(notification.locale)
    values["timezone_name"] = str(timezone)
    name = notification.template
    with force_locale(notification.locale):
        # The text is rendered once: the module it makes holds both the body and the subject.
        text_context = dict(values)
        current_app.update_template_context(text_context)
        module = current_app.jinja_env.get_template(f"emails/{name}.txt").make_module(text_context)
        subject = one_line(getattr(module, "subject", "") or _("Dialogue Café Call"))
        text = str(module)
        values["subject"] = subject
        html = render_template(f"emails/{name}.html", **values)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.recipient_email
    message["Message-ID"] = message_id(notification)
    message["X-Dialogue-Cafe-Notification"] = str(notification.id)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def message_id(notification: Notification) -> str:
    """The same for every attempt of one outbox row, so a receiver can recognise a repeat."""
    host = urlsplit(f"//{current_app.config['SERVER_NAME']}").hostname or "localhost"
    if notification.id is None or notification.created_at is None:  # a preview, never sent
        return make_msgid(idstring="preview", domain=host)
    return f"<notification-{notification.id}.{notification.created_at:%Y%m%d%H%M%S}@{host}>"


def redact_secret_links(context: dict[str, Any]) -> dict[str, Any]:
    """The context with every link that carries a token made useless (for previews)."""
    config = current_app.config
    adapter = current_app.url_map.bind(
        config["SERVER_NAME"],
        url_scheme=config["PREFERRED_URL_SCHEME"],
        script_name=config.get("APPLICATION_ROOT") or "/",
    )

    def redact(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [redact(item) for item in value]
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            return value
        parts = urlsplit(value)
        try:
            endpoint, arguments = adapter.match(parts.path, method="GET")
        except (HTTPException, RequestRedirect):
            return value
        if not SECRET_LINK_ARGUMENTS & set(arguments):
            return value
        arguments = {
            key: HIDDEN if key in SECRET_LINK_ARGUMENTS else item for key, item in arguments.items()
        }
        return adapter.build(endpoint, arguments, force_external=True)

    return redact(context)
