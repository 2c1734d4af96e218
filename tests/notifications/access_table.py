"""Every route of the notifications domain: administrators only."""

from app.extensions import db
from tests.access import RouteAccess, administrators, post_route

ADMINISTRATORS = administrators()
# An administrator's action on a message answers with a redirect back to it.
ADMINISTRATORS_REDIRECTED = administrators(302)


def _message(status: str = "pending") -> int:
    from tests.factories import make_notification

    notification = make_notification(status=status)
    db.session.commit()
    return notification.id


def _bulk_form(w) -> dict:
    return {"call_id": str(w.call), "group": "applicants", "subject": "News", "body": "Hello"}


ROUTES = [
    RouteAccess("notifications.outbox", lambda w: "/admin/outbox", ADMINISTRATORS),
    RouteAccess("notifications.preview", lambda w: f"/admin/outbox/{_message()}", ADMINISTRATORS),
    RouteAccess(
        "notifications.preview_html",
        lambda w: f"/admin/outbox/{_message()}/message.html",
        ADMINISTRATORS,
    ),
    post_route(
        "notifications.resend",
        lambda w: f"/admin/outbox/{_message('failed')}/resend",
        ADMINISTRATORS_REDIRECTED,
    ),
    post_route(
        "notifications.cancel",
        lambda w: f"/admin/outbox/{_message()}/cancel",
        ADMINISTRATORS_REDIRECTED,
    ),
    RouteAccess("notifications.bulk_compose", lambda w: "/admin/outbox/bulk", ADMINISTRATORS),
    post_route(
        "notifications.bulk_compose",
        lambda w: "/admin/outbox/bulk",
        ADMINISTRATORS,
        _bulk_form,
        name="preview",
    ),
    post_route(
        "notifications.bulk_send",
        lambda w: "/admin/outbox/bulk/send",
        ADMINISTRATORS,
        _bulk_form,
        name="without preview",
    ),
]
