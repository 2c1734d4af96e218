"""Proposals routes in the role x route table.

A city reaches only its own proposals: another city gets 404, as if the proposal did not
exist; reviewers and administrators get 403 on the city's pages (administrators read
proposals on their own page). Attachments are downloaded by whoever may see the proposal.
The organisers' pages (the calls, a call's proposals, closing a call) are for administrators.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from app.calls.models import Call
from app.extensions import db
from app.proposals import storage
from app.proposals.models import (
    Attachment,
    AttachmentKind,
    Clarification,
    Proposal,
)
from tests.access import RouteAccess, World, administrators, logged_in, only, page_with_form
from tests.proposals.helpers import minimal_pdf

CITY_PAGE = only("applicant", other_applicant=404)
CITY_POST = only("applicant", ok=302, other_applicant=404)
ADMIN_PAGE = administrators()
ADMIN_POST = administrators(302)


def _slug(w: World) -> str:
    return db.session.get(Call, w.call).slug


def _version(proposal_id: int) -> str:
    return str(db.session.get(Proposal, proposal_id).version)


def an_attachment(proposal_id: int) -> int:
    """An attachment of the proposal, with its file; made on first use in each check."""
    attachment_id = db.session.scalar(
        select(Attachment.id).where(
            Attachment.proposal_id == proposal_id, Attachment.deleted_at.is_(None)
        )
    )
    if attachment_id is None:
        stored = storage.store_file(minimal_pdf(), "application/pdf")
        attachment = Attachment(
            proposal_id=proposal_id,
            kind=AttachmentKind.LETTER_OF_SUPPORT,
            original_name="letter.pdf",
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            checksum_sha256=stored.checksum_sha256,
        )
        db.session.add(attachment)
        db.session.commit()
        attachment_id = attachment.id
    return attachment_id


def _clarification(w: World) -> int:
    clarification_id = db.session.scalar(
        select(Clarification.id).where(Clarification.proposal_id == w.proposal)
    )
    if clarification_id is None:
        clarification = Clarification(proposal_id=w.proposal, question="Who pays the rent?")
        db.session.add(clarification)
        db.session.commit()
        clarification_id = clarification.id
    return clarification_id


ROUTES = [
    RouteAccess(
        "proposals.start",
        lambda w: f"/calls/{_slug(w)}/apply",
        # Both cities already have a proposal in world.call: they are sent to it.
        only("applicant", "other_applicant", ok=302),
    ),
    RouteAccess(
        "proposals.start",
        lambda w: f"/calls/{_slug(w)}/apply",
        only("applicant", "other_applicant", ok=302),
        method="POST",
        data=lambda w: {},
    ),
    RouteAccess(
        "proposals.my_proposals", lambda w: "/proposals", only("applicant", "other_applicant")
    ),
    RouteAccess(
        "proposals.edit_section", lambda w: f"/proposals/{w.draft}/sections/city", CITY_PAGE
    ),
    RouteAccess(
        "proposals.save_section",
        lambda w: f"/proposals/{w.draft}/sections/city",
        CITY_POST,
        method="POST",
        data=lambda w: {"version": _version(w.draft), "city": "Porto", "state": "shortlisted"},
    ),
    RouteAccess(
        "proposals.autosave",
        lambda w: f"/proposals/{w.draft}/sections/city/autosave",
        only("applicant", anonymous=401, other_applicant=404),
        method="POST",
        data=lambda w: {"version": _version(w.draft), "city": "Porto"},
    ),
    RouteAccess(
        "proposals.session_status", lambda w: "/proposals/session", logged_in(anonymous=401)
    ),
    RouteAccess("proposals.submit", lambda w: f"/proposals/{w.draft}/submit", CITY_PAGE),
    RouteAccess(
        "proposals.submit_post",
        lambda w: f"/proposals/{w.draft}/submit",
        # The draft of the world is not complete: the city gets the list of what is missing.
        only("applicant", ok=422, other_applicant=404),
        method="POST",
        data=lambda w: {"version": _version(w.draft)},
    ),
    RouteAccess("proposals.submitted", lambda w: f"/proposals/{w.proposal}/submitted", CITY_PAGE),
    RouteAccess("proposals.withdraw", lambda w: f"/proposals/{w.draft}/withdraw", CITY_PAGE),
    RouteAccess(
        "proposals.withdraw",
        lambda w: f"/proposals/{w.draft}/withdraw",
        CITY_POST,
        method="POST",
        data=lambda w: {"reason": "We merge with a neighbouring city."},
    ),
    RouteAccess(
        "proposals.upload_attachment",
        lambda w: f"/proposals/{w.draft}/attachments",
        CITY_POST,
        method="POST",
        data=lambda w: {
            "kind": "letter_of_support",
            "file": (io.BytesIO(minimal_pdf()), "letter.pdf"),
        },
    ),
    RouteAccess(
        "proposals.delete_attachment",
        lambda w: f"/proposals/{w.draft}/attachments/{an_attachment(w.draft)}/delete",
        CITY_POST,
        method="POST",
        data=lambda w: {},
    ),
    RouteAccess(
        "proposals.download_attachment",
        lambda w: f"/proposals/{w.proposal}/attachments/{an_attachment(w.proposal)}",
        # Reviewers fetch files through their assignment (reviews.download_attachment).
        only("applicant", "administrator", other_applicant=404, reviewer=404, other_reviewer=404),
    ),
    RouteAccess(
        "proposals.answer_clarification",
        lambda w: f"/proposals/{w.proposal}/clarifications/{_clarification(w)}",
        CITY_PAGE,
    ),
    RouteAccess(
        "proposals.answer_clarification",
        lambda w: f"/proposals/{w.proposal}/clarifications/{_clarification(w)}",
        CITY_POST,
        method="POST",
        data=lambda w: {"answer": "The city does."},
    ),
    RouteAccess(
        "proposals.admin_detail", lambda w: f"/admin/proposals/{w.proposal}", only("administrator")
    ),
    RouteAccess(
        "proposals.request_clarification",
        lambda w: f"/admin/proposals/{w.proposal}/clarifications",
        only("administrator", ok=302),
        method="POST",
        data=lambda w: {"question": "How many people does the venue hold?"},
    ),
    RouteAccess("proposals.admin_calls", lambda w: "/admin/calls", ADMIN_PAGE),
    RouteAccess("proposals.admin_list", lambda w: f"/admin/calls/{w.call}/proposals", ADMIN_PAGE),
    *page_with_form(
        "proposals.admin_close_call",
        lambda w: f"/admin/calls/{w.call}/close",
        lambda w: {},
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
]
