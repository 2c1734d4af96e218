"""Rankings, shortlists, compilations, exports and the jobs that run them: what the
administrators' pages show and start (app/shortlists/views.py, app/jobs/views.py).

Only administrators see a call's ranking and shortlists, compile and export (the pages'
permission functions); everyone else is told they do not exist (404). A job is seen by the
person who started it, as on its page. Compiling and exporting start a background job and
answer 202 with it; the program follows the job at its `links.self` until it succeeds, then
reads the shortlist (`links.shortlist`) or downloads the file (`result.url`). While the job
has not finished, its file answers 409 with the code "not_ready"; a job that failed, or
that writes no file, has none (404).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_babel import gettext as _

from app.api.base import api_blueprint, api_error, current_person
from app.api.schemas import Error
from app.api.schemas_shortlists import (
    CompileIn,
    ExportIn,
    JobOut,
    RankingOut,
    RankingQuery,
    ShortlistOut,
    ShortlistSummaryOut,
)
from app.calls.models import Call
from app.errors import Conflict, NotFound
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.jobs.permissions import can_download_job_result, can_view_job
from app.jobs.views import send_result
from app.proposals.continents import CONTINENT_LABELS
from app.shortlists import exporters, queries, services
from app.shortlists.models import Shortlist
from app.shortlists.permissions import can_compile_shortlist, can_export, can_view_scores
from app.shortlists.scoring import Ranking, ScoringOptions, rank_proposals, scale_of
from app.shortlists.services import CompileParameters
from app.shortlists.solver import Reason, describe

bp = api_blueprint(
    "api_shortlists",
    __name__,
    description="Rankings, shortlists, compilations, exports and their jobs (administrators).",
)

ACCEPTED = "the job started; follow it at the Location header"


def _group_label(group: str | None) -> str:
    """A continent or region as the shortlist page words it."""
    if not group:
        return _("No region given")
    return str(CONTINENT_LABELS.get(group, group))


def _call_for(call_id: int, allowed=can_view_scores) -> Call:
    """The call, if the token's owner may do `allowed` with it; else 404."""
    call = db.session.get(Call, call_id)
    if call is None or not allowed(current_person(), call):
        raise NotFound(_("There is no such call."))
    return call


def _shortlist_for(shortlist_id: int) -> Shortlist:
    shortlist = db.session.get(Shortlist, shortlist_id)
    call = db.session.get(Call, shortlist.call_id) if shortlist is not None else None
    if shortlist is None or call is None or not can_view_scores(current_person(), call):
        raise NotFound(_("There is no such shortlist."))
    return shortlist


def _job_for(job_id: int, allowed=can_view_job) -> Job:
    job = jobs.job_of_user(job_id, current_person())
    if job is None or not allowed(current_person(), job):
        raise NotFound(_("There is no such job."))
    return job


# --- documents ------------------------------------------------------------------------------


def _ranking_document(call: Call, ranking: Ranking) -> dict[str, Any]:
    """The ranking page's numbers: each criterion's mean on its own scale, the totals on
    0-100; the calibrated total only when calibrating (the page shows it only then)."""
    calibrated = ranking.options.calibrate
    return {
        "call_id": call.id,
        "options": ranking.options.as_parameters(),
        "criteria": ranking.criteria,
        "proposals": [
            {
                "rank": p.rank,
                "raw_rank": p.raw_rank,
                "proposal_id": p.proposal_id,
                "city": p.city,
                "country_code": p.country_code,
                "continent": p.continent,
                "score": p.score,
                "total": p.total,
                "total_calibrated": p.total_calibrated if calibrated else None,
                "spread": p.spread,
                "disagreement": p.disagreement,
                "reviews_submitted": p.reviews_submitted,
                "reviews_pending": p.reviews_pending,
                "reviews_missing": p.reviews_missing,
                "criteria": {
                    criterion.key: scale_of(criterion, p.criteria.get(criterion.id))
                    for criterion in ranking.criteria
                },
            }
            for p in ranking.proposals
        ],
    }


def _shortlist_summary(shortlist: Shortlist, size: int) -> dict[str, Any]:
    return {
        "id": shortlist.id,
        "call_id": shortlist.call_id,
        "state": shortlist.state.value,
        "created_at": shortlist.created_at,
        "compiled_at": shortlist.compiled_at,
        "published_at": shortlist.published_at,
        "size": size,
        "job_id": shortlist.job_id,
        "links": {"self": url_for("api_shortlists.OneShortlist", shortlist_id=shortlist.id)},
    }


def _entry(row) -> dict[str, Any]:
    reason = Reason.from_json(row.why)
    return {
        "rank": row.rank,
        "proposal_id": row.proposal_id,
        "city": row.city,
        "country_code": row.country_code,
        "continent": row.continent,
        "score": row.score,
        "included": row.included,
        "why": describe(reason, _group_label),
        "why_code": reason.code if reason else None,
        "adjusted_at": row.adjusted_at,
        "adjustment_reason": row.adjustment_reason,
    }


def _job_document(job: Job) -> dict[str, Any]:
    links = {"self": url_for("api_shortlists.OneJob", job_id=job.id)}
    shortlist_id = (job.parameters or {}).get("shortlist_id")
    if job.kind == services.COMPILE_JOB_KIND and isinstance(shortlist_id, int):
        links["shortlist"] = url_for("api_shortlists.OneShortlist", shortlist_id=shortlist_id)
    result = None
    path = jobs.result_file(job)
    if path is not None:
        result = {
            "name": job.result_name or path.name,
            "url": url_for("api_shortlists.JobResult", job_id=job.id),
        }
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state.value,
        "progress": job.progress,
        "message": job.message or "",
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "result": result,
        "links": links,
    }


def _accepted(job: Job):
    """202 with the job, which the Location header names."""
    document = _job_document(job)
    return document, 202, {"Location": document["links"]["self"]}


# --- the ranking ----------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/ranking")
class CallRanking(MethodView):
    @bp.etag
    @bp.arguments(RankingQuery, location="query", as_kwargs=False)
    @bp.response(200, RankingOut)
    def get(self, options: ScoringOptions, call_id: int):
        """The call's ranking: every submitted proposal scored and ranked.

        The ranking page's numbers, with its options (mean or median, calibration,
        confidence weights)."""
        call = _call_for(call_id)
        return _ranking_document(call, rank_proposals(call, options))


# --- shortlists -----------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/shortlists")
class CallShortlists(MethodView):
    @bp.etag
    @bp.response(200, ShortlistSummaryOut(many=True))
    def get(self, call_id: int):
        """Every shortlist of the call, newest first; `size` is how many proposals are in."""
        call = _call_for(call_id)
        return [
            _shortlist_summary(row.Shortlist, row.included)
            for row in queries.shortlists_of_call(call.id)
        ]

    @bp.arguments(CompileIn)
    @bp.response(202, JobOut, description=ACCEPTED)
    def post(self, parameters: CompileParameters, call_id: int):
        """Compile a shortlist: starts a background job (202).

        The rules are the compile form's; a rule left out takes the form's default. Rules
        that the call's reviewed proposals cannot meet are refused first (422), each on its
        field."""
        call = _call_for(call_id, can_compile_shortlist)
        conflicts = services.rule_conflicts(
            call=call, parameters=parameters, group_label=_group_label
        )
        if conflicts:
            fields: dict[str, list[str]] = {}
            for conflict in conflicts:
                fields.setdefault(conflict.field, []).append(conflict.message)
            return api_error(
                422,
                "invalid_input",
                _("Some values were refused."),
                field=conflicts[0].field,
                fields=fields,
            )
        shortlist = services.request_compilation(
            actor=current_person(), call=call, parameters=parameters
        )
        job_id = shortlist.job_id
        db.session.commit()
        return _accepted(db.session.get_one(Job, job_id))


@bp.route("/shortlists/<int:shortlist_id>")
class OneShortlist(MethodView):
    @bp.etag
    @bp.response(200, ShortlistOut)
    def get(self, shortlist_id: int):
        """A shortlist with its rules and every proposal by rank.

        Each proposal in or out, and why, as the shortlist page says it."""
        shortlist = _shortlist_for(shortlist_id)
        entries = [_entry(row) for row in queries.shortlist_rows(shortlist.id)]
        return {
            **_shortlist_summary(shortlist, sum(1 for entry in entries if entry["included"])),
            "parameters": shortlist.parameters,
            "problems": [
                describe(problem, _group_label) for problem in services.problems_of(shortlist)
            ],
            "entries": entries,
        }


# --- exports --------------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/exports")
class CallExports(MethodView):
    @bp.arguments(ExportIn)
    @bp.response(202, JobOut, description=ACCEPTED)
    def post(self, body: dict[str, str], call_id: int):
        """Export the call's reviews: starts a background job (202) whose result is the file."""
        call = _call_for(call_id, can_export)
        job = services.start_export(
            actor=current_person(), call=call, export_format=body["export_format"]
        )
        job_id = job.id
        db.session.commit()
        return _accepted(db.session.get_one(Job, job_id))


# --- jobs -----------------------------------------------------------------------------------


@bp.route("/jobs/<int:job_id>")
class OneJob(MethodView):
    @bp.etag
    @bp.response(200, JobOut)
    def get(self, job_id: int):
        """A job its owner started: its state, its progress and, once done, its file."""
        return _job_document(_job_for(job_id))


FILE = {"type": "string", "format": "binary"}
JSON_FILE = {"description": "the JSON export's document"}  # any JSON


def _documents_each_file_type(view):
    """The file answers in its format's own type (one 200 per type in the document)."""
    for chosen in exporters.FORMATS.values():
        view = bp.alt_response(
            200,
            schema=JSON_FILE if chosen.content_type == "application/json" else FILE,
            content_type=chosen.content_type,
            description="the file",
        )(view)
    return view


def _content_type(job: Job, path) -> str | None:
    chosen = exporters.FORMATS.get((job.parameters or {}).get("format") or "")
    if chosen is not None:
        return chosen.content_type.split(";")[0]  # send_file adds the charset of a text
    return mimetypes.guess_type(job.result_name or path.name)[0]


@bp.route("/jobs/<int:job_id>/result")
class JobResult(MethodView):
    @bp.response(200, FILE, content_type="application/octet-stream", description="the file")
    @_documents_each_file_type
    @bp.alt_response(409, schema=Error, description="the job has not finished (code not_ready)")
    def get(self, job_id: int):
        """The job's file, once the job succeeded (a failed job has none: 404)."""
        job = _job_for(job_id, can_download_job_result)
        if job.state not in jobs.FINISHED_STATES:
            raise Conflict(
                _("The job has not finished: its file is not ready yet."), code="not_ready"
            )
        path = jobs.result_file(job)
        if path is None:
            raise NotFound(_("This job has no file."))
        return send_result(job, path, mimetype=_content_type(job, path))
