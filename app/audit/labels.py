"""The audit log as people read it: each action and kind of object by name, details as text.

The codes stay in the database, the filters' URLs and the CSV's code column; an action or
an object added later without a name here is shown by its code, never hidden.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask_babel import lazy_gettext as _l

ACTION_LABELS: dict[str, Any] = {
    # accounts
    "user.registered": _l("Registered"),
    "user.registration_for_existing_email": _l("Registration with a known address"),
    "user.email_verified": _l("Email address confirmed"),
    "user.logged_in": _l("Logged in"),
    "user.login_failed": _l("Login failed"),
    "user.logged_out": _l("Logged out"),
    "user.password_reset_requested": _l("Password reset asked for"),
    "user.password_reset": _l("Password reset"),
    "user.password_changed": _l("Password changed"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.profile_updated": _l("Profile changed"),
    "user.reviewer_invited": _l("Reviewer invited"),
    "user.role_granted": _l("Role granted"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.administrator_created": _l("Administrator created"),
    "user.session_ended": _l("Session ended"),
    "user.other_sessions_ended": _l("Other sessions ended"),
    "user.session_expired": _l("Session expired"),
    "user.two_factor_setup_started": _l("Two-factor setup started"),
    "user.two_factor_enabled": _l("Two-factor login turned on"),
    "user.recovery_codes_regenerated": _l("New recovery codes made"),
    "user.two_factor_disabled": _l("Two-factor login turned off"),
    "user.two_factor_reset": _l("Two-factor login reset by an administrator"),
    "user.two_factor_passed": _l("Two-factor code accepted"),
    "user.two_factor_failed": _l("Two-factor code refused"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    # calls
    "call.created": _l("Call created"),
    "call.updated": _l("Call settings changed"),
    "call.translations_saved": _l("Call translations saved"),
    "call.open": _l("Call opened"),
    "call.closed": _l("Call closed"),
    "call.in_review": _l("Call review started"),
    "call.decided": _l("Call decided"),
    "call.archived": _l("Call archived"),
    "call.export_requested": _l("Export requested"),
    "call.exported": _l("Export downloaded"),
    "criterion.added": _l("Criterion added"),
    "criterion.updated": _l("Criterion changed"),
    "criterion.removed": _l("Criterion removed"),
    "criterion.moved": _l("Criterion moved"),
    "eligibility_question.added": _l("Eligibility question added"),
    "eligibility_question.updated": _l("Eligibility question changed"),
    "eligibility_question.removed": _l("Eligibility question removed"),
    "eligibility_question.moved": _l("Eligibility question moved"),
    # proposals
    "proposal.created": _l("Proposal started"),
    "proposal.section_saved": _l("Proposal section saved"),
    "proposal.submitted": _l("Proposal submitted"),
    "proposal.withdrawn": _l("Proposal withdrawn"),
    "proposal.attachment_added": _l("File added"),
    "proposal.attachment_deleted": _l("File removed"),
    "proposal.clarification_requested": _l("Question to the city"),
    "proposal.clarification_answered": _l("Question answered by the city"),
    "proposal.under_review": _l("Proposal review started"),
    # reviews
    "reviewer_profile.updated": _l("Reviewer profile changed"),
    "assignments.manual": _l("Reviewers assigned"),
    "assignments.automatic": _l("Reviewers assigned automatically"),
    "assignments.plan_applied": _l("Assignment plan applied"),
    "assignment.declined": _l("Assignment declined"),
    "assignment.removed": _l("Assignment removed"),
    "review.draft_saved": _l("Review draft saved"),
    "review.submitted": _l("Review submitted"),
    "review.updated": _l("Submitted review changed"),
    "reviewer.reminded": _l("Reviewer reminded"),
    "conflicts.detected": _l("Conflicts of interest found"),
    "conflict.automatic": _l("Conflict of interest found"),
    "conflict.declared": _l("Conflict of interest declared"),
    "conflict.administrator": _l("Conflict of interest recorded"),
    "conflict.lifted": _l("Conflict of interest lifted"),
    # shortlists
    "shortlist.compile_requested": _l("Shortlist requested"),
    "shortlist.compiled": _l("Shortlist compiled"),
    "shortlist.compile_failed": _l("Shortlist could not be compiled"),
    "shortlist.entry_included": _l("City included in the shortlist"),
    "shortlist.entry_excluded": _l("City excluded from the shortlist"),
    "shortlist.published": _l("Shortlist published"),
    # the outbox
    "notification.resent": _l("Message sent again"),
    "notification.cancelled": _l("Message cancelled"),
    "notification.bulk_started": _l("Sending to a group started"),
    # the log itself, and the requests the app refused
    "audit.purged": _l("Old audit entries deleted"),
    "request.refused": _l("Request refused"),
}

SUBJECT_LABELS: dict[str, Any] = {
    "user": _l("Person"),
    "user_session": _l("Session"),
    "api_token": _l("API token"),
    "call": _l("Call"),
    "proposal": _l("Proposal"),
    "reviewer_profile": _l("Reviewer profile"),
    "assignment": _l("Assignment"),
    "review": _l("Review"),
    "conflict_of_interest": _l("Conflict of interest"),
    "shortlist": _l("Shortlist"),
    "shortlist_entry": _l("Shortlist entry"),
    "notification": _l("Message"),
    "job": _l("Job"),
    "request": _l("Request"),
    "audit_entry": _l("Audit entries"),
}

# Details never hold a secret (the services write none); should one ever slip in under
# such a name, the page and the export show that it is there, not what it is.
SECRET_KEY_PATTERN = re.compile(r"password|token|secret", re.IGNORECASE)
HIDDEN = _l("(hidden)")


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def subject_type_label(object_type: str) -> str:
    label = SUBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def subject_label(object_type: str, object_id: int | None) -> str:
    """The kind of object and its number (Proposal 12); the kind alone when the entry names
    no row (a purge, a refused request)."""
    kind = subject_type_label(object_type)
    return f"{kind} {object_id}" if object_id is not None else kind


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def details_lines(details: dict[str, Any] | None) -> list[str]:
    """Each detail as "key: value", by key; plain text (a template escapes it)."""
    if not isinstance(details, dict):
        return [_value_text(details)] if details else []
    lines = []
    for key in sorted(details, key=str):
        hidden = SECRET_KEY_PATTERN.search(str(key))
        lines.append(f"{key}: {HIDDEN if hidden else _value_text(details[key])}")
    return lines
