"""Calls routes in the role x route table.

The home page and the public call page are for everyone (world.call is open). Every other
route is for administrators: visitors are sent to log in, other roles get 403. A successful
POST redirects (302).
"""

from sqlalchemy import select

from app.calls.models import Call, Criterion, EligibilityQuestion
from app.extensions import db
from tests.access import RouteAccess, World, administrators, everyone, page_with_form, post_route

ADMIN_PAGE = administrators()
ADMIN_POST = administrators(302)


def _slug(w: World) -> str:
    return db.session.get(Call, w.call).slug


def _criterion(w: World) -> int:
    return db.session.scalar(
        select(Criterion.id).where(Criterion.call_id == w.call).order_by(Criterion.position)
    )


def _question(w: World) -> int:
    """world.call has no eligibility question; the first check adds one."""
    question_id = db.session.scalar(
        select(EligibilityQuestion.id).where(EligibilityQuestion.call_id == w.call)
    )
    if question_id is None:
        question = EligibilityQuestion(call_id=w.call, text="A city government?", position=0)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    return question_id


def _call_settings(w: World) -> dict:
    return {
        "title": "Dialogue Café 2030",
        "slug": f"dialogue-cafe-2030-{w.call}",
        "description": "Host a café.",
        "opens_at": "2030-01-10T09:00",
        "closes_at": "2030-03-31T17:00",
        "grace_minutes": "0",
        "languages": ["en", "fr"],
        "max_attachment_mb": "5",
        "max_attachments_total_mb": "20",
        "max_attachments": "10",
        "score_visibility": "after_own",
        "reviews_per_proposal": "3",
        "conflict_same_country": "y",
    }


def _criterion_fields(w: World) -> dict:
    return {
        "name": "Sustainability",
        "guidance": "How will it last?",
        "weight": "1",
        "scale_min": "1",
        "scale_max": "5",
        "scale_step": "1.0",
        "max_length": "3000",
    }


def _question_fields(w: World) -> dict:
    return {"text": "Is the space open to the public?", "qualifying_answer": "yes"}


ROUTES = [
    RouteAccess("calls.index", lambda w: "/", everyone(200)),
    RouteAccess("calls.public_call", lambda w: f"/calls/{_slug(w)}", everyone(200)),
    *page_with_form(
        "calls.admin_create",
        lambda w: "/admin/calls/new",
        _call_settings,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    *page_with_form(
        "calls.admin_edit",
        lambda w: f"/admin/calls/{w.call}",
        _call_settings,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    post_route(
        "calls.admin_change_state", lambda w: f"/admin/calls/{w.call}/state/close", ADMIN_POST
    ),
    RouteAccess("calls.admin_criteria", lambda w: f"/admin/calls/{w.call}/criteria", ADMIN_PAGE),
    *page_with_form(
        "calls.admin_criterion_new",
        lambda w: f"/admin/calls/{w.call}/criteria/new",
        _criterion_fields,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    *page_with_form(
        "calls.admin_criterion_edit",
        lambda w: f"/admin/calls/{w.call}/criteria/{_criterion(w)}",
        _criterion_fields,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    post_route(
        "calls.admin_criterion_move",
        lambda w: f"/admin/calls/{w.call}/criteria/{_criterion(w)}/move",
        ADMIN_POST,
        data=lambda w: {"direction": "down"},
    ),
    post_route(
        "calls.admin_criterion_remove",
        lambda w: f"/admin/calls/{w.call}/criteria/{_criterion(w)}/remove",
        ADMIN_POST,
    ),
    RouteAccess(
        "calls.admin_questions", lambda w: f"/admin/calls/{w.call}/eligibility", ADMIN_PAGE
    ),
    *page_with_form(
        "calls.admin_question_new",
        lambda w: f"/admin/calls/{w.call}/eligibility/new",
        _question_fields,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    *page_with_form(
        "calls.admin_question_edit",
        lambda w: f"/admin/calls/{w.call}/eligibility/{_question(w)}",
        _question_fields,
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    post_route(
        "calls.admin_question_move",
        lambda w: f"/admin/calls/{w.call}/eligibility/{_question(w)}/move",
        ADMIN_POST,
        data=lambda w: {"direction": "down"},
    ),
    post_route(
        "calls.admin_question_remove",
        lambda w: f"/admin/calls/{w.call}/eligibility/{_question(w)}/remove",
        ADMIN_POST,
    ),
    RouteAccess(
        "calls.admin_translations", lambda w: f"/admin/calls/{w.call}/translations", ADMIN_PAGE
    ),
    *page_with_form(
        "calls.admin_translate_call",
        lambda w: f"/admin/calls/{w.call}/translations/call",
        lambda w: {},
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    *page_with_form(
        "calls.admin_translate_criterion",
        lambda w: f"/admin/calls/{w.call}/translations/criteria/{_criterion(w)}",
        lambda w: {},
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
    *page_with_form(
        "calls.admin_translate_question",
        lambda w: f"/admin/calls/{w.call}/translations/eligibility/{_question(w)}",
        lambda w: {},
        page=ADMIN_PAGE,
        submit=ADMIN_POST,
    ),
]
