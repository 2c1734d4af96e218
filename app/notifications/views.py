"""Routes of the notifications domain: the administrators' outbox and bulk messages."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import TemplateError

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.calls.models import Call
from app.core.actions import apply_and_redirect
from app.core.navigation import nav_entry
from app.core.urls import page_url_maker, safe_next_url
from app.errors import Conflict, DomainError
from app.extensions import db
from app.notifications import bulk, queries
from app.notifications.bulk import GROUP_LABELS
from app.notifications.forms import (
    STATUS_LABELS,
    BulkMessageForm,
    OutboxFilterForm,
)
from app.notifications.kinds import message_kind, notification_action
from app.notifications.permissions import can_cancel_notification, can_resend_notification
from app.notifications.queries import OutboxFilters
from app.outbox import services
from app.outbox.mail import plain_text
from app.outbox.models import Notification, NotificationStatus
from app.outbox.rendering import email_templates, redact_secret_links, render_notification

bp = Blueprint("notifications", __name__)
bp.record_once(
    nav_entry(
        position=30, role=Role.ADMINISTRATOR, endpoint="notifications.outbox", label=_l("Outbox")
    )
)

administrators_only = role_required(Role.ADMINISTRATOR)

# The rendered HTML email is shown in a sandboxed frame: its own inline styles, nothing else.
EMAIL_FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
RECIPIENTS_SHOWN = 200


def _notification_or_404(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        abort(404)
    return notification


def _html_part(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else ""


# --- the outbox ----------------------------------------------------------------------------


@bp.get("/admin/outbox")
@administrators_only
def outbox():
    calls = queries.call_choices()
    # The filter lists the kinds of message by name, in alphabetical order of that name.
    templates = sorted(email_templates(), key=lambda name: message_kind(name).casefold())
    form = OutboxFilterForm(formdata=request.args, templates=templates, calls=calls)
    filters = OutboxFilters()
    if form.validate():
        filters = OutboxFilters(
            recipient=(form.recipient.data or "").strip(),
            status=NotificationStatus(form.status.data) if form.status.data else None,
            template=form.template.data or None,
            call_id=form.call_id.data,
        )
    result = queries.outbox_page(filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "notifications/outbox.html",
        form=form,
        result=result,
        status_labels=STATUS_LABELS,
        message_kind=message_kind,
        page_url=page_url_maker("notifications.outbox"),
        here=request.full_path if request.query_string else request.path,
    )


def _render_for_preview(notification: Notification):
    """The message as it is sent, with secret links hidden; or why it cannot be rendered."""
    try:
        message = render_notification(
            notification, context=redact_secret_links(notification.context)
        )
    except (TemplateError, ValueError, KeyError, TypeError) as error:
        return None, f"{type(error).__name__}: {error}"
    return message, None


@bp.get("/admin/outbox/<int:notification_id>")
@administrators_only
def preview(notification_id: int):
    found = queries.notification_with_call(notification_id)
    if found is None:
        abort(404)
    notification, call_title = found
    message, render_error = _render_for_preview(notification)
    return render_template(
        "notifications/preview.html",
        notification=notification,
        call_title=call_title,
        subject=message["Subject"] if message else "",
        text=plain_text(message) if message else "",
        render_error=render_error,
        history=queries.notification_history(notification.id),
        status_labels=STATUS_LABELS,
        message_kind=message_kind,
        notification_action=notification_action,
        can_resend=can_resend_notification(current_user, notification),
        can_cancel=can_cancel_notification(current_user, notification),
    )


@bp.get("/admin/outbox/<int:notification_id>/message.html")
@administrators_only
def preview_html(notification_id: int):
    notification = _notification_or_404(notification_id)
    message, _error = _render_for_preview(notification)
    if message is None:
        abort(404)
    response = make_response(_html_part(message))
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _back_to_preview(notification_id: int) -> str:
    """Where a resend or cancel button returns: the page it was pressed on, else the preview."""
    back = safe_next_url(request.form.get("next"))
    return back or url_for("notifications.preview", notification_id=notification_id)


@bp.post("/admin/outbox/<int:notification_id>/resend")
@administrators_only
def resend(notification_id: int):
    notification = _notification_or_404(notification_id)
    return apply_and_redirect(
        lambda: services.resend_notification(actor=current_user, notification=notification),
        done=_("The message is waiting to be sent again."),
        back=_back_to_preview(notification_id),
    )


@bp.post("/admin/outbox/<int:notification_id>/cancel")
@administrators_only
def cancel(notification_id: int):
    notification = _notification_or_404(notification_id)
    return apply_and_redirect(
        lambda: services.cancel_notification(actor=current_user, notification=notification),
        done=_("The message was cancelled; it will not be sent."),
        back=_back_to_preview(notification_id),
    )


# --- bulk messages -------------------------------------------------------------------------


def _bulk_form() -> BulkMessageForm:
    return BulkMessageForm(
        calls=queries.call_choices(), call_id=request.args.get("call_id", type=int)
    )


def _compose(form: BulkMessageForm, status: int = 200):
    return render_template("notifications/bulk_compose.html", form=form), status


def _show_bulk_preview(form: BulkMessageForm, *, notice: str | None = None):
    """The recipients and the message as the first of them receives it; a fresh bulk id."""
    call = db.session.get(Call, form.call_id.data)
    if call is None:
        form.call_id.errors = [*form.call_id.errors, _("Choose a call.")]
        return _compose(form)
    recipients = bulk.group_recipients(call_id=call.id, group=form.chosen_group)
    if not recipients:
        form.group.errors = [*form.group.errors, _("Nobody is in this group.")]
        return _compose(form)
    subject, body = form.subject.data, form.body.data
    message = bulk.preview_message(call=call, subject=subject, body=body, recipient=recipients[0])
    form.bulk_id.data = bulk.new_bulk_id()
    form.fingerprint.data = bulk.preview_fingerprint(
        call_id=call.id, group=form.chosen_group, subject=subject, body=body, recipients=recipients
    )
    return render_template(
        "notifications/bulk_preview.html",
        form=form,
        call=call,
        group_label=GROUP_LABELS[form.chosen_group],
        recipients=recipients[:RECIPIENTS_SHOWN],
        recipient_count=len(recipients),
        subject=message["Subject"],
        text=plain_text(message),
        html=_html_part(message),
        notice=notice,
    )


@bp.route("/admin/outbox/bulk", methods=["GET", "POST"])
@administrators_only
def bulk_compose():
    form = _bulk_form()
    if form.validate_on_submit():
        return _show_bulk_preview(form)
    return _compose(form)


@bp.post("/admin/outbox/bulk/send")
@administrators_only
def bulk_send():
    form = _bulk_form()
    if not form.validate_on_submit():
        return _compose(form)
    call = db.session.get(Call, form.call_id.data)
    if call is None or not form.bulk_id.data or not form.fingerprint.data:
        return _show_bulk_preview(form, notice=_("Please check the preview, then send."))
    try:
        job = bulk.start_bulk_message(
            actor=current_user,
            call=call,
            group=form.chosen_group,
            subject=form.subject.data,
            body=form.body.data,
            bulk_id=form.bulk_id.data,
            fingerprint=form.fingerprint.data,
        )
    except Conflict as error:
        db.session.rollback()
        return _show_bulk_preview(form, notice=error.message)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _compose(form)
    db.session.commit()
    flash(_("Sending has started. This page shows how far it has got."), "success")
    return redirect(url_for("jobs.show", job_id=job.id))
