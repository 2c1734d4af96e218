"""Routes of the shortlists domain: ranking, pictures, compiling, adjusting, comparing,
publishing decisions and exports. Administrators only; cities never see these pages."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.calls.models import Call
from app.core.actions import show_refusal
from app.errors import DomainError
from app.extensions import db
from app.proposals.continents import CONTINENT_LABELS
from app.shortlists import charts, exporters, queries, services
from app.shortlists.exporters.words import SHORTLIST_STATE_LABELS
from app.shortlists.forms import (
    GROUP_BY_WORDS,
    METHOD_WORDS,
    AdjustForm,
    CompileForm,
    ExportForm,
    PublishForm,
    PublishPreviewForm,
    ScoringOptionsForm,
)
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from app.shortlists.permissions import (
    can_adjust_shortlist,
    can_compile_shortlist,
    can_export,
    can_publish_shortlist,
    can_view_scores,
)
from app.shortlists.scoring import rank_proposals, scale_of
from app.shortlists.solver import Reason, describe

bp = Blueprint("shortlists", __name__)
administrators_only = role_required(Role.ADMINISTRATOR)

# The pages and the exports name a shortlist's state alike.
STATE_LABELS = SHORTLIST_STATE_LABELS


@bp.app_context_processor
def _shortlist_helpers() -> dict:
    return {
        "describe_reason": lambda text: describe(Reason.from_json(text), _group_label),
        "scale_of": scale_of,
        "shortlist_states": STATE_LABELS,
        "has_endpoint": lambda endpoint: endpoint in current_app.view_functions,
    }


def _group_label(group: str | None) -> str:
    if not group:
        return _("No region given")
    return str(CONTINENT_LABELS.get(group, group))


def _call_or_404(call_id: int, allowed: Callable = can_view_scores) -> Call:
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    if not allowed(current_user, call):
        abort(403)
    return call


def _shortlist_or_404(shortlist_id: int) -> tuple[Shortlist, Call]:
    shortlist = db.session.get(Shortlist, shortlist_id)
    if shortlist is None:
        abort(404)
    return shortlist, _call_or_404(shortlist.call_id)


def _job_page(job_id: int | None, fallback: str) -> str:
    if job_id is not None and "jobs.show" in current_app.view_functions:
        return url_for("jobs.show", job_id=job_id)
    return fallback


def _refused(error: DomainError, back: str):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(back)


# --- the ranking and the pictures -------------------------------------------------------


@bp.get("/admin/calls/<int:call_id>/ranking")
@administrators_only
def ranking(call_id: int):
    call = _call_or_404(call_id)
    form = ScoringOptionsForm(request.args)
    valid = form.validate() if request.args else True
    options = form.scoring_options() if valid else None
    return render_template(
        "shortlists/ranking.html",
        call=call,
        form=form,
        ranking=rank_proposals(call, options),
        group_label=_group_label,
    ), (200 if valid else 400)


@bp.get("/admin/calls/<int:call_id>/charts", endpoint="charts")
@administrators_only
def show_charts(call_id: int):
    call = _call_or_404(call_id)
    return render_template(
        "shortlists/charts.html", call=call, charts=charts.call_charts(call, _group_label)
    )


# --- shortlists ---------------------------------------------------------------------------


def _index_page(call: Call, form: CompileForm, status: int = 200):
    return render_template(
        "shortlists/index.html",
        call=call,
        form=form,
        spread=services.proposal_spread(call),
        shortlists=queries.shortlists_of_call(call.id),
        can_compile=can_compile_shortlist(current_user, call),
    ), status


@bp.get("/admin/calls/<int:call_id>/shortlists")
@administrators_only
def index(call_id: int):
    call = _call_or_404(call_id)
    defaults = services.default_parameters(call)
    form = CompileForm(
        data={
            "size": defaults.size,
            "min_per_group": defaults.min_per_group,
            "max_per_country": defaults.max_per_country,
        }
    )
    return _index_page(call, form)


@bp.post("/admin/calls/<int:call_id>/shortlists", endpoint="compile")
@administrators_only
def compile_shortlist(call_id: int):
    call = _call_or_404(call_id, can_compile_shortlist)
    form = CompileForm()
    if not form.validate():
        return _index_page(call, form, 400)
    parameters = form.parameters()
    conflicts = services.rule_conflicts(call=call, parameters=parameters, group_label=_group_label)
    if conflicts:
        for conflict in conflicts:
            form[conflict.field].errors.append(conflict.message)
        return _index_page(call, form, 400)
    try:
        shortlist = services.request_compilation(
            actor=current_user, call=call, parameters=parameters
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _index_page(call, form, 400)
    db.session.commit()
    # No "being compiled" flash: the job page says how it goes, and a job run at once (tasks
    # in-process) may already have failed when that page shows.
    return redirect(
        _job_page(shortlist.job_id, url_for("shortlists.detail", shortlist_id=shortlist.id))
    )


@bp.post("/admin/shortlists/<int:shortlist_id>/compile-again")
@administrators_only
def compile_again(shortlist_id: int):
    shortlist, call = _shortlist_or_404(shortlist_id)
    if not can_compile_shortlist(current_user, call):
        abort(403)
    try:
        again = services.compile_again(actor=current_user, shortlist=shortlist)
    except DomainError as error:
        return _refused(error, url_for("shortlists.detail", shortlist_id=shortlist.id))
    db.session.commit()
    return redirect(_job_page(again.job_id, url_for("shortlists.detail", shortlist_id=again.id)))


@bp.get("/admin/shortlists/<int:shortlist_id>")
@administrators_only
def detail(shortlist_id: int):
    shortlist, call = _shortlist_or_404(shortlist_id)
    rows = queries.shortlist_rows(shortlist.id)
    return render_template(
        "shortlists/detail.html",
        call=call,
        shortlist=shortlist,
        rows=rows,
        chosen=[row for row in rows if row.included],
        problems=services.problems_of(shortlist),
        breaches=services.rule_breaches(shortlist, rows) if rows else [],
        parameters=services.CompileParameters.from_dict(shortlist.parameters),
        group_words=GROUP_BY_WORDS,
        method_words=METHOD_WORDS,
        others=[
            row.Shortlist
            for row in queries.shortlists_of_call(call.id)
            if row.Shortlist.id != shortlist.id and row.Shortlist.state != ShortlistState.COMPILING
        ],
        can_adjust=can_adjust_shortlist(current_user, shortlist),
        can_publish=can_publish_shortlist(current_user, shortlist),
        can_compile_again=can_compile_shortlist(current_user, call)
        and shortlist.state != ShortlistState.COMPILING
        and call.state not in services.DECIDED_CALL_STATES,
        form=AdjustForm(),
        group_label=_group_label,
    )


@bp.post("/admin/shortlists/<int:shortlist_id>/entries/<int:entry_id>")
@administrators_only
def adjust(shortlist_id: int, entry_id: int):
    shortlist, _call = _shortlist_or_404(shortlist_id)
    entry = db.session.get(ShortlistEntry, entry_id)
    if entry is None or entry.shortlist_id != shortlist.id:
        abort(404)
    back = url_for("shortlists.detail", shortlist_id=shortlist.id, _anchor=f"entry-{entry.id}")
    form = AdjustForm()
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    try:
        services.adjust_entry(
            actor=current_user,
            entry=entry,
            include=form.include.data == "1",
            reason=form.reason.data,
        )
    except DomainError as error:
        return _refused(error, back)
    db.session.commit()
    flash(
        _("The proposal is now in the shortlist.")
        if entry.included
        else _("The proposal is now out of the shortlist."),
        "success",
    )
    return redirect(back)


@bp.get("/admin/shortlists/<int:shortlist_id>/compare")
@administrators_only
def compare(shortlist_id: int):
    shortlist, call = _shortlist_or_404(shortlist_id)
    other_id = request.args.get("with", type=int)
    other = db.session.get(Shortlist, other_id) if other_id else None
    if other is None or other.call_id != call.id:
        flash(_("Choose an earlier compilation of this call to compare with."), "error")
        return redirect(url_for("shortlists.detail", shortlist_id=shortlist.id))
    return render_template(
        "shortlists/compare.html",
        call=call,
        comparison=services.compare_shortlists(before=other, after=shortlist),
        group_label=_group_label,
    )


@bp.get("/admin/shortlists/<int:shortlist_id>/publish")
@administrators_only
def publish_preview(shortlist_id: int):
    shortlist, call = _shortlist_or_404(shortlist_id)
    options = PublishPreviewForm(request.args)
    # The publishing form is a real POST form with its CSRF token; only the preview's own
    # option is read from the query string.
    form = PublishForm(include_comments=bool(options.include_comments.data))
    return _publish_page(call, shortlist, form, options)


def _publish_page(
    call: Call,
    shortlist: Shortlist,
    form: PublishForm,
    options: PublishPreviewForm | None = None,
    status: int = 200,
):
    if not can_publish_shortlist(current_user, shortlist):
        flash(_("This shortlist cannot be published."), "error")
        return redirect(url_for("shortlists.detail", shortlist_id=shortlist.id))
    include_comments = bool(form.include_comments.data)
    if options is None:
        options = PublishPreviewForm(formdata=None, include_comments=include_comments)
    messages, samples = services.preview_decisions(shortlist, include_comments=include_comments)
    rows = queries.shortlist_rows(shortlist.id)
    return render_template(
        "shortlists/publish.html",
        call=call,
        shortlist=shortlist,
        form=form,
        options=options,
        messages=messages,
        samples=samples,
        breaches=services.rule_breaches(shortlist, rows),
        checks=services.publication_checks(shortlist),
        can_compile_again=can_compile_shortlist(current_user, call),
        group_label=_group_label,
    ), status


@bp.post("/admin/shortlists/<int:shortlist_id>/publish")
@administrators_only
def publish(shortlist_id: int):
    shortlist, call = _shortlist_or_404(shortlist_id)
    form = PublishForm()
    if not form.validate():
        return _publish_page(call, shortlist, form, status=400)
    try:
        count = services.publish_shortlist(
            actor=current_user,
            shortlist=shortlist,
            include_comments=form.include_comments.data,
            changes_reason=form.changes_reason.data,
        )
    except DomainError as error:
        # Shown again with what was entered, the refusal on its field.
        show_refusal(form, error)
        return _publish_page(call, shortlist, form, status=error.status_code)
    db.session.commit()
    flash(_("Decisions published; %(count)s emails are on their way.", count=count), "success")
    return redirect(url_for("shortlists.detail", shortlist_id=shortlist.id))


# --- exports ------------------------------------------------------------------------------


@bp.get("/admin/calls/<int:call_id>/exports")
@administrators_only
def exports(call_id: int):
    call = _call_or_404(call_id, can_export)
    return render_template(
        "shortlists/exports.html",
        call=call,
        form=ExportForm(),
        formats=exporters.FORMATS.values(),
        dossier=queries.dossier_shortlist(call.id),
    )


@bp.post("/admin/calls/<int:call_id>/exports")
@administrators_only
def start_export(call_id: int):
    call = _call_or_404(call_id, can_export)
    form = ExportForm()
    back = url_for("shortlists.exports", call_id=call.id)
    if not form.validate():
        flash(_("Choose one of the formats."), "error")
        return redirect(back)
    try:
        job = services.start_export(
            actor=current_user, call=call, export_format=form.export_format.data
        )
    except DomainError as error:
        return _refused(error, back)
    db.session.commit()
    return redirect(_job_page(job.id, back))


@bp.get("/admin/calls/<int:call_id>/exports/<export_format>")
@administrators_only
def download_export(call_id: int, export_format: str):
    """The file straight away: a streaming format row by row as it is read, the others
    built whole first."""
    call = _call_or_404(call_id, can_export)
    chosen = exporters.FORMATS.get(export_format)
    if chosen is None:
        abort(404)
    try:
        shortlist = chosen.shortlist_of(call)
    except DomainError as error:
        return _refused(error, url_for("shortlists.exports", call_id=call.id))
    services.record_download(
        actor=current_user._get_current_object(),
        call=call,
        export_format=chosen.name,
        shortlist=shortlist,
    )
    _commit_keeping_loaded()
    if chosen.stream is not None:
        response = Response(stream_with_context(chosen.stream(call, shortlist=shortlist)))
    else:
        response = _built_file(chosen, call, shortlist)
    response.content_type = chosen.content_type
    response.headers.set("Content-Disposition", "attachment", filename=chosen.file_name(call))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _commit_keeping_loaded() -> None:
    """Commit the download's audit entry before the file is sent, without expiring what the
    file is written from: the stream reads the call and the person's language after the
    view returns, and the person (Flask-Login's) is not attached to this session."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _built_file(chosen: exporters.ExportFormat, call: Call, shortlist: Shortlist | None):
    """The file built in a temporary file and sent from it: a BytesIO and its copy kept the
    whole file in the web worker's memory twice (docs/PERFORMANCE.md, memory). The server
    closes the file, which deletes it, when it closes the response (also after a HEAD or an
    abandoned download); a test reading the response closes it too."""
    out = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the response)
    try:
        exporters.write_export(chosen.name, call=call, out=out, shortlist=shortlist)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    # Not conditional: every request builds a new file, so a range of an earlier one is void.
    response = send_file(out, mimetype=chosen.content_type, conditional=False)
    response.content_length = size
    return response
