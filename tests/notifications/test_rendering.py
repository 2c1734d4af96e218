"""Rendering: the recipient's language, and user values that can never inject anything."""

from __future__ import annotations

import email
import email.policy

from app.extensions import db
from app.outbox import delivery
from app.outbox.mail import plain_text
from app.outbox.models import Notification
from app.outbox.rendering import one_line, redact_secret_links, render_notification
from app.proposals import periodic
from app.proposals.models import ProposalState
from tests.factories import make_call, make_notification, make_proposal, make_user

EVIL_CITY = '<a href="http://evil">x</a>\r\nBcc: victim@example.org'


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _closing_soon_for(owner, city: str) -> Notification:
    from datetime import timedelta

    from app.db import utcnow

    call = make_call(closes_at=utcnow() + timedelta(hours=20))
    call.title = city + " call"
    make_proposal(call=call, owner=owner, city=city, state=ProposalState.DRAFT)
    db.session.flush()
    periodic.send_closing_soon()
    return db.session.query(Notification).filter_by(recipient_id=owner.id).one()


def test_a_french_recipient_reads_the_message_in_french(app_context, french):
    owner = make_user(locale="fr", name="Amélie")
    notification = _closing_soon_for(owner, "Lyon")
    message = render_notification(notification)
    assert message["Subject"].startswith("Moins d’un jour pour soumettre votre candidature")
    text = plain_text(message)
    assert "Bonjour Amélie," in text
    assert "Votre candidature pour Lyon" in text
    assert "L’appel se termine le" in text
    # Dates too are written the French way.
    assert any(
        month in text
        for month in (
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        )
    )
    assert "Vous recevez ce message" in _html(message)


def test_an_english_recipient_of_the_same_notice_reads_english(app_context, french):
    owner = make_user(locale="en", name="Ann")
    message = render_notification(_closing_soon_for(owner, "Cardiff"))
    assert message["Subject"].startswith("Less than a day left")
    assert "Hello Ann," in plain_text(message)


def test_a_city_name_cannot_inject_markup_links_or_headers(app_context):
    owner = make_user(name=EVIL_CITY)
    notification = _closing_soon_for(owner, EVIL_CITY)
    message = render_notification(notification)
    html = _html(message)
    assert '<a href="http://evil">' not in html
    assert "&lt;a href=&#34;http://evil&#34;&gt;x&lt;/a&gt;" in html
    # The subject is one line: no header can be added through it.
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert parsed.get_all("To") == [owner.email]
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers
    assert "Bcc: victim@example.org" in parsed["Subject"]  # kept as harmless text


def test_a_bulk_body_is_text_in_html_too(app_context):
    notification = make_notification(
        context={
            "recipient_name": "Ana",
            "message_subject": "Line one\nBcc: victim@example.org",
            "message_body": "<script>alert(1)</script>\n\n<b>bold?</b>",
            "call_title": "Call",
            "call_url": "http://call.test/calls/x",
        }
    )
    message = render_notification(notification)
    assert message["Subject"] == "Line one Bcc: victim@example.org"
    html = _html(message)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold?</b>" in plain_text(message)


def test_one_line_folds_every_kind_of_line_break_and_limits_length():
    assert one_line("a\r\nb\u2028c\td") == "a b c d"
    assert len(one_line("x" * 1000)) == 250


def test_the_message_id_is_the_same_for_every_attempt(app_context):
    notification = make_notification()
    first = render_notification(notification)["Message-ID"]
    second = render_notification(notification)["Message-ID"]
    assert first == second
    assert f"notification-{notification.id}." in first
    assert first.endswith("@call.test>")


def test_links_carrying_a_token_are_hidden_in_previews(app_context):
    from app.core.urls import external_url

    reset = external_url("accounts.reset_password", token="s3cret-token")
    context = {"link": reset, "call_url": external_url("calls.public_call", slug="x"), "n": 3}
    redacted = redact_secret_links(context)
    assert "s3cret-token" not in redacted["link"]
    assert redacted["link"].endswith("/hidden")
    assert redacted["call_url"] == context["call_url"]
    assert redacted["n"] == 3


def test_rendering_happens_in_the_recipients_time_zone(app_context):
    from datetime import UTC, datetime

    user = make_user()
    user.timezone = "America/Sao_Paulo"
    notification = make_notification(
        recipient=user,
        template="call_closing_soon",
        context={
            "recipient_name": "Bia",
            "city": "São Paulo",
            "call_title": "Call",
            "closes_at": datetime(2030, 5, 1, 12, 0, tzinfo=UTC).isoformat(),
            "window": "7d",
            "call_url": "http://call.test/calls/x",
            "proposals_url": "http://call.test/proposals",
        },
    )
    text = plain_text(render_notification(notification))
    assert "9:00" in text and "America/Sao_Paulo" in text


def test_delivered_messages_are_quoted_printable_and_decode_back(app_context, sent_mail):
    notification = make_notification(
        context={
            "recipient_name": "Zoë",
            "message_subject": "Café",
            "message_body": "Ça va ? " + "long line " * 30,
            "call_title": "Call",
            "call_url": "http://call.test/calls/x",
        }
    )
    db.session.commit()
    delivery.deliver_batch([notification.id])
    (message,) = sent_mail
    raw = message.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Ça va ?" in parsed.get_body(preferencelist=("plain",)).get_content()
