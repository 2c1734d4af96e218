"""What each kind of message is called where people read about it (the outbox, its filter)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# One entry per templates/emails/<name>.txt; the code stays in the database and the URL.
MESSAGE_KINDS = {
    "account_exists": _l("Registration with a known address"),
    "bulk_message": _l("Message to a group"),
    "call_closed": _l("Call closed"),
    "call_closing_soon": _l("Call closing soon"),
    "clarification_answered": _l("Question answered by the city"),
    "clarification_requested": _l("Question to the city"),
    "decision_declined": _l("Decision: not shortlisted"),
    "decision_shortlisted": _l("Decision: shortlisted"),
    "login_failures": _l("Repeated failed logins"),
    "password_reset": _l("Password reset"),
    "proposal_submitted": _l("Proposal submitted"),
    "proposal_withdrawn": _l("Proposal withdrawn"),
    "review_assigned": _l("Reviews assigned"),
    "review_overdue": _l("Review overdue"),
    "review_reminder": _l("Review reminder"),
    "reviewer_invitation": _l("Invitation to review"),
    "role_granted": _l("Reviewer role granted"),
    "submissions_digest": _l("Daily digest of submissions"),
    "two_factor_reset": _l("Two-factor login turned off by an organiser"),
    "verify_email": _l("Email address confirmation"),
}


def message_kind(template: str) -> str:
    """The kind's name; a template added without a name here still reads as words."""
    label = MESSAGE_KINDS.get(template)
    if label is not None:
        return str(label)
    return _("Message “%(name)s”", name=template.replace("_", " "))


NOTIFICATION_ACTIONS = {
    "notification.resent": _l("Sent again"),
    "notification.cancelled": _l("Cancelled"),
    "notification.bulk_started": _l("Sending to a group started"),
}


def notification_action(action: str) -> str:
    """An administrator's action on a message, as the message's history says it."""
    label = NOTIFICATION_ACTIONS.get(action)
    return str(label) if label is not None else action.rsplit(".", 1)[-1].replace("_", " ")
