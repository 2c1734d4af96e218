"""The administrators' outbox console and bulk messages, through the web."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.models import Job
from app.outbox.models import Notification, NotificationStatus
from tests.client import log_in
from tests.factories import make_call, make_notification, make_proposal, make_user
from tests.querycount import count_queries


def test_the_outbox_lists_messages_with_state_attempts_and_error(admin_client):
    call = make_call()
    failed = make_notification(status="failed", attempts=8, last_error="SMTPDataError: 451 busy")
    make_notification(status="sent", call=call)
    db.session.commit()
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert failed.recipient_email in page
    assert "SMTPDataError: 451 busy" in page
    assert "Failed" in page and "Sent" in page
    assert call.title in page
    assert f"/admin/outbox/{failed.id}/resend" in page


def test_the_outbox_searches_by_recipient_and_filters_by_state_template_and_call(admin_client):
    call = make_call()
    ana = make_user(email="ana.lisboa@example.org")
    make_notification(recipient=ana, status="failed", call=call)
    make_notification(recipient=ana, status="sent")
    make_notification(recipient=make_user(email="bob@example.org"), status="failed", call=call)
    db.session.commit()

    def listed(query: str) -> set[str]:
        page = admin_client.get(f"/admin/outbox?{query}").get_data(as_text=True)
        table = page.split("<tbody>", 1)[1] if "<tbody>" in page else ""
        return set(re.findall(r"<td>([\w.]+@example\.org)</td>", table))

    assert listed("recipient=LISBOA") == {"ana.lisboa@example.org"}
    assert listed("status=failed") == {"ana.lisboa@example.org", "bob@example.org"}
    assert listed(f"status=failed&call_id={call.id}&recipient=bob") == {"bob@example.org"}
    assert listed("template=bulk_message&status=sent") == {"ana.lisboa@example.org"}
    # A wildcard typed by the user is a character, not a pattern.
    assert listed("recipient=%25") == set()


def test_a_bad_filter_is_a_form_error_not_a_500(admin_client):
    response = admin_client.get("/admin/outbox?status=exploded&call_id=abc&page=-3")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_the_outbox_pages_through_thousands_in_a_constant_number_of_queries(admin_client):
    call = make_call()
    make_notification(call=call)
    db.session.commit()
    with count_queries() as few:
        admin_client.get("/admin/outbox")
    recipient = make_user()
    for _ in range(120):
        make_notification(recipient=recipient, call=make_call(), status="failed")
    db.session.commit()
    with count_queries() as many:
        response = admin_client.get("/admin/outbox?page=2")
    assert response.status_code == 200
    assert "Page 2 of 3" in response.get_data(as_text=True)
    assert many.count == few.count, str(many)
    assert many.count <= 6, str(many)


def test_the_preview_shows_the_message_as_sent_and_hides_secret_links(admin_client):
    from app.core.urls import external_url

    user = make_user(name="Rita")
    notification = make_notification(
        recipient=user,
        template="bulk_message",
        context={
            "recipient_name": "Rita",
            "message_subject": "Venue visits",
            "message_body": "Reset here: " + external_url("accounts.reset_password", token="t0k"),
            "call_title": "Call",
            "call_url": "http://call.test/calls/x",
        },
    )
    db.session.commit()
    page = admin_client.get(f"/admin/outbox/{notification.id}").get_data(as_text=True)
    assert "Venue visits" in page and "Hello Rita," in page
    assert f"/admin/outbox/{notification.id}/message.html" in page


def test_the_html_preview_is_framed_with_its_own_strict_policy(admin_client):
    notification = make_notification()
    db.session.commit()
    response = admin_client.get(f"/admin/outbox/{notification.id}/message.html")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "The venue visits start next week." in response.get_data(as_text=True)


def test_a_message_that_cannot_be_rendered_says_why_in_the_preview(admin_client):
    notification = make_notification(template="gone_template")
    db.session.commit()
    page = admin_client.get(f"/admin/outbox/{notification.id}").get_data(as_text=True)
    assert "cannot be rendered" in page and "gone_template" in page
    assert admin_client.get(f"/admin/outbox/{notification.id}/message.html").status_code == 404


def test_resending_a_failed_message_from_the_list_returns_to_the_list(
    admin_client, dispatched_tasks
):
    notification = make_notification(status="failed", attempts=8)
    db.session.commit()
    response = admin_client.post(
        f"/admin/outbox/{notification.id}/resend", data={"next": "/admin/outbox?status=failed"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/outbox?status=failed"
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).status == NotificationStatus.PENDING
    assert ("notifications.deliver", {"notification_id": notification.id}) in dispatched_tasks


def test_resending_a_sent_message_is_refused_with_a_message(admin_client):
    notification = make_notification(status="sent")
    db.session.commit()
    response = admin_client.post(f"/admin/outbox/{notification.id}/resend", follow_redirects=True)
    assert "Only a message that failed can be sent again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).status == NotificationStatus.SENT


def test_cancelling_a_pending_message(admin_client):
    notification = make_notification()
    db.session.commit()
    response = admin_client.post(f"/admin/outbox/{notification.id}/cancel")
    assert response.headers["Location"] == f"/admin/outbox/{notification.id}"
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).status == NotificationStatus.CANCELLED


def test_an_off_site_next_is_ignored(admin_client):
    notification = make_notification(status="failed")
    db.session.commit()
    response = admin_client.post(
        f"/admin/outbox/{notification.id}/resend", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"/admin/outbox/{notification.id}"


@pytest.fixture
def bulk_call(app_context):
    call = make_call()
    for name in ("Ana", "Bruno", "Chidi"):
        make_proposal(call=call, owner=make_user(name=name))
    db.session.commit()
    return call


def _compose(call, **overrides):
    data = {
        "call_id": str(call.id),
        "group": "drafts",
        "subject": "Venue visits",
        "body": "We visit in May.\n\nBring the plans.",
    }
    data.update(overrides)
    return data


def test_bulk_preview_shows_recipients_and_the_rendered_message_before_sending(
    admin_client, bulk_call
):
    response = admin_client.post("/admin/outbox/bulk", data=_compose(bulk_call))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 people receive it" in page and "Send to 3 people" in page
    assert all(name in page for name in ("Ana", "Bruno", "Chidi"))
    assert "Hello Ana," in page and "Bring the plans." in page
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_bulk_send_after_preview_starts_one_job_and_shows_its_progress(
    admin_client, bulk_call, dispatched_tasks
):
    preview = admin_client.post("/admin/outbox/bulk", data=_compose(bulk_call))
    page = preview.get_data(as_text=True)
    bulk_id = re.search(r'name="bulk_id" type="hidden" value="(\w+)"', page).group(1)
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="(\w+)"', page).group(1)
    data = _compose(bulk_call, bulk_id=bulk_id, fingerprint=fingerprint)
    first = admin_client.post("/admin/outbox/bulk/send", data=data)
    again = admin_client.post("/admin/outbox/bulk/send", data=data)  # a double click
    job = db.session.scalar(select(Job))
    assert first.headers["Location"] == f"/jobs/{job.id}/view"
    assert again.headers["Location"] == f"/jobs/{job.id}/view"
    assert dispatched_tasks == [("notifications.send_bulk_message", {"job_id": job.id})]


def test_bulk_send_with_an_edited_text_shows_the_new_preview_instead(admin_client, bulk_call):
    preview = admin_client.post("/admin/outbox/bulk", data=_compose(bulk_call)).get_data(
        as_text=True
    )
    bulk_id = re.search(r'name="bulk_id" type="hidden" value="(\w+)"', preview).group(1)
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="(\w+)"', preview).group(1)
    response = admin_client.post(
        "/admin/outbox/bulk/send",
        data=_compose(bulk_call, body="Changed!", bulk_id=bulk_id, fingerprint=fingerprint),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed since the preview" in page and "Changed!" in page
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_bulk_send_without_a_preview_asks_for_one(admin_client, bulk_call):
    response = admin_client.post("/admin/outbox/bulk/send", data=_compose(bulk_call))
    assert "Please check the preview, then send." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_bulk_compose_keeps_what_was_typed_when_a_field_is_wrong(admin_client, bulk_call):
    response = admin_client.post(
        "/admin/outbox/bulk", data=_compose(bulk_call, subject="", body="Keep me")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keep me" in page and 'aria-invalid="true"' in page


def test_bulk_preview_of_an_empty_group_says_so(admin_client, bulk_call):
    response = admin_client.post("/admin/outbox/bulk", data=_compose(bulk_call, group="reviewers"))
    assert "Nobody is in this group." in response.get_data(as_text=True)


def test_a_french_administrator_sees_the_outbox_in_french(app_context, client, french):
    from tests.factories import make_admin

    log_in(client, make_admin(locale="fr"))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Boîte d’envoi" in page and "Écrire à un groupe" in page
    assert "Aller au contenu principal" in page


def test_the_outbox_names_each_kind_of_message_rather_than_its_template(admin_client):
    make_notification(template="password_reset", context={"name": "Ana", "link": "x"})
    make_notification(template="bulk_message")
    db.session.commit()

    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    table = page.split("<tbody>", 1)[1]

    assert "Password reset" in table and "Message to a group" in table
    assert "password_reset" not in re.sub(r'href="[^"]*"', "", table)
    assert "bulk_message" not in re.sub(r'href="[^"]*"', "", table)
    assert '<option value="password_reset">Password reset</option>' in page


def test_the_outbox_and_the_preview_give_times_in_the_administrators_zone(admin_client):
    from datetime import UTC, datetime

    admin_client.administrator.timezone = "Asia/Tokyo"
    message = make_notification(status="sent")
    message.created_at = datetime(2030, 5, 1, 23, 30, tzinfo=UTC)
    message.sent_at = datetime(2030, 5, 1, 23, 31, tzinfo=UTC)
    db.session.commit()

    listed = admin_client.get("/admin/outbox").get_data(as_text=True)
    shown = admin_client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)

    # 23:30 UTC is 08:30 the next morning in Tokyo, in the same words on both pages
    # (CLDR writes a narrow no-break space before AM).
    for page in (listed, shown):
        assert "Thu, May 2, 2030, 8:30\u202fAM GMT+09:00" in page
        assert "Thu, May 2, 2030, 8:31\u202fAM GMT+09:00" in page
        assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", page)
    assert "Message to a group" in shown and "bulk_message" not in shown
