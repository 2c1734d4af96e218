"""The administrators' audit trail: who did what, to which object, when; filtered, paged, and
exported as CSV. Every refused request is recorded in it too.

The page is the audit's (blueprint "audit", templates/audit/), but it lives in accounts:
only administrators may read it, and the guard that says so (`role_required`) and the
roles are accounts', which sit above the audit. The reading itself, the filters, the
labels and the file are in app/audit/, which never imports accounts.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.audit import export, queries
from app.audit.forms import AuditFilterForm
from app.audit.labels import action_label, details_lines, subject_label
from app.audit.refusals import listen_for_refusals
from app.core.i18n import zone_named
from app.core.navigation import nav_entry
from app.core.urls import page_url_maker

bp = Blueprint("audit", __name__)
bp.record_once(
    nav_entry(position=35, role=Role.ADMINISTRATOR, endpoint="audit.trail", label=_l("Audit trail"))
)
bp.record_once(listen_for_refusals)

administrators_only = role_required(Role.ADMINISTRATOR)


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm(formdata=request.args)


def _chosen_filters(form: AuditFilterForm) -> queries.AuditFilters:
    return form.filters(zone_named(current_user.timezone))


@bp.get("/admin/audit")
@administrators_only
def trail():
    form = _filter_form()
    # Filters that do not read are shown with their errors, and the whole trail below.
    filters = _chosen_filters(form) if form.validate() else queries.AuditFilters()
    result = queries.trail_page(filters, page=request.args.get("page", 1, type=int))
    chosen = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "audit/trail.html",
        form=form,
        result=result,
        action_label=action_label,
        subject_label=subject_label,
        details_lines=details_lines,
        page_url=page_url_maker("audit.trail"),
        export_url=url_for("audit.export_csv", **chosen) if not form.errors else None,
    )


@bp.get("/admin/audit/export.csv")
@administrators_only
def export_csv():
    form = _filter_form()
    if not form.validate():
        abort(400)
    rows = export.iter_audit_csv(_chosen_filters(form))
    response = Response(stream_with_context(rows), content_type="text/csv; charset=utf-8")
    response.headers.set("Content-Disposition", "attachment", filename=export.file_name())
    response.headers["Cache-Control"] = "private, no-store"
    return response
