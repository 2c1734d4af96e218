"""The accounts emails render in the recipient's language, with their links."""

from __future__ import annotations

import pytest

from app.accounts import services
from app.outbox.rendering import render_notification
from tests.accounts.helpers import notifications, register
from tests.factories import make_admin, make_user


def queue_every_accounts_email() -> None:
    admin = make_admin(name="Organiser")
    register()
    existing = make_user(email="taken@example.org")
    register(email="taken@example.org", locale="en")
    services.request_password_reset(email=existing.email)
    services.invite_reviewer(actor=admin, name="Expert", email="expert@example.org")
    services.invite_reviewer(actor=admin, name="Ana", email="ana@lisboa.example")


def test_every_accounts_email_has_a_subject_and_its_links_in_text_and_html(app_context):
    queue_every_accounts_email()
    sent = notifications()

    assert sorted(n.template for n in sent) == [
        "account_exists",
        "password_reset",
        "reviewer_invitation",
        "role_granted",
        "verify_email",
    ]
    for notification in sent:
        message = render_notification(notification)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert message["Subject"], notification.template
        links = [v for k, v in notification.context.items() if k.endswith("link")]
        assert links, notification.template
        for link in links:
            assert link.startswith("http://call.test/")
            assert link in text and link in html


@pytest.mark.parametrize(("locale", "words"), [("en", "3 days"), ("fr", "3\xa0jours")])
def test_the_link_lifetime_is_written_in_the_recipients_language(app_context, locale, words):
    register(locale=locale)
    [notification] = notifications("verify_email")

    text = render_notification(notification).get_body(("plain",)).get_content()

    assert words in text
