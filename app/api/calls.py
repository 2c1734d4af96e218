"""Calls, with their criteria and eligibility questions: what each person may see of them
on the pages (a draft only administrators)."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from app.api.base import api_blueprint, current_person
from app.api.schemas import CallOut, CallSummaryOut
from app.calls.models import Call, CallState
from app.calls.permissions import can_manage_calls, can_view_call
from app.errors import NotFound
from app.extensions import db

bp = api_blueprint("api_calls", __name__, description="Calls, their criteria and questions.")


def visible_call(call_id: int) -> Call:
    """The call, if the token's owner may see it; else 404 (as the pages answer)."""
    call = db.session.get(Call, call_id)
    if call is None or not can_view_call(current_person(), call):
        raise NotFound("There is no such call.")
    return call


@bp.route("/calls")
class Calls(MethodView):
    @bp.etag
    @bp.response(200, CallSummaryOut(many=True))
    def get(self):
        """The calls the token's owner may see, newest first."""
        query = select(Call).order_by(Call.opens_at.desc(), Call.id.desc())
        if not can_manage_calls(current_person()):
            query = query.where(Call.state != CallState.DRAFT)
        return db.session.scalars(query).all()


@bp.route("/calls/<int:call_id>")
class OneCall(MethodView):
    @bp.etag
    @bp.response(200, CallOut)
    def get(self, call_id: int):
        """A call with its criteria and eligibility questions, in every language."""
        return visible_call(call_id)
