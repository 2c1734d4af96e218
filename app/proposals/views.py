"""Routes of the proposals domain: the city's form, its files and status, and the
administrators' pages of proposals: the calls with their proposals counted, a call's
proposal list, closing a call, and one proposal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.calls.forms import CALL_STATE_LABELS
from app.calls.models import Call, CallState
from app.calls.services import available_transitions, ensure_accepting_proposals
from app.core.actions import apply_and_redirect
from app.core.forms import UNSTORABLE_MESSAGE, unstorable_fields
from app.core.i18n import zone_named
from app.core.navigation import nav_entry
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.proposals import closing, presenting, queries, sections, services, storage
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.forms import (
    ATTACHMENT_KIND_LABELS,
    PROPOSAL_STATE_LABELS,
    ClarificationAnswerForm,
    ClarificationQuestionForm,
    ConfirmForm,
    ProposalFilterForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    make_eligibility_form,
    make_section_form,
    section_form_data,
)
from app.proposals.history import proposal_history
from app.proposals.models import AttachmentKind, Proposal
from app.proposals.permissions import (
    can_answer_clarification,
    can_apply,
    can_edit_proposal,
    can_request_clarification,
    can_view_proposal,
    can_withdraw_proposal,
)

bp = Blueprint("proposals", __name__)
bp.record_once(
    nav_entry(
        position=10, role=Role.ADMINISTRATOR, endpoint="proposals.admin_calls", label=_l("Calls")
    )
)
bp.record_once(
    nav_entry(
        position=50,
        role=Role.APPLICANT,
        endpoint="proposals.my_proposals",
        label=_l("My proposals"),
    )
)


# -- loading and authorising ------------------------------------------------------------------


def _applicant():
    if not can_apply(current_user):
        abort(403)
    return current_user._get_current_object()


def _own_proposal(proposal_id: int, *, lock: bool = False) -> Proposal:
    """The applicant's own proposal; anyone else's, or none, is a 404."""
    user = _applicant()
    proposal = queries.owned_proposal(proposal_id, owner_id=user.id, for_update=lock)
    if proposal is None:
        abort(404)
    return proposal


def _section_or_404(key: str) -> sections.Section:
    section = sections.get_section(key)
    if section is None:
        abort(404)
    return section


administrators_only = role_required(Role.ADMINISTRATOR)


def _administrator():
    if not current_user.has_role(Role.ADMINISTRATOR):
        abort(403)
    return current_user._get_current_object()


def _json_error(status: int, code: str, message: str, **extra):
    return jsonify(error={"code": code, "message": message, **extra}), status


def _session_ended():
    return _json_error(
        401,
        "login_required",
        _("Your session has ended. Log in again in a new tab; your text is kept here."),
        login_url=url_for("accounts.login"),
    )


def json_login_required(view):
    """Like login_required, but an expired session gets 401 JSON the page can act on."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _session_ended()
        return view(*args, **kwargs)

    return wrapper


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    # An autosave from a page whose session ended: say so, so the page can keep the text.
    if request.endpoint == "proposals.autosave":
        if not current_user.is_authenticated:
            return _session_ended()
        return _json_error(400, "csrf_expired", _("Please try again."))
    return render_template("proposals/csrf_error.html", error=error), 400


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    proposal_id = (request.view_args or {}).get("proposal_id")
    if request.endpoint == "proposals.autosave":
        return _json_error(413, "too_large", _("This section is too large to save."))
    return render_template("proposals/too_large.html", proposal_id=proposal_id), 413


# -- starting -----------------------------------------------------------------------------------


def _first_section_url(proposal: Proposal) -> str:
    return url_for(
        "proposals.edit_section", proposal_id=proposal.id, section=sections.FIRST_SECTION
    )


@bp.route("/calls/<slug>/apply", methods=["GET", "POST"])
@login_required
def start(slug: str):
    user = _applicant()
    call = queries.call_by_slug(slug)
    if call is None or call.state == CallState.DRAFT:
        abort(404)
    # A POST finds an existing draft under the account's lock, in start_proposal.
    existing = None
    if request.method == "GET":
        existing = queries.active_proposal_for(call_id=call.id, owner_id=user.id)
    if existing is not None:
        flash(_("You already have a proposal for this call. Here it is."), "info")
        return redirect(_first_section_url(existing))
    form = make_eligibility_form(call)()
    if request.method == "POST" and form.validate():
        try:
            proposal, created = services.start_proposal(
                actor=user, call=call, eligibility=form.answers()
            )
        except services.Ineligible as ineligible:
            db.session.rollback()
            return render_template(
                "proposals/ineligible.html", call=call, questions=ineligible.questions
            )
        # The link and the words before the commit, which expires the proposal and the user.
        first_section_url = _first_section_url(proposal)
        if created:
            message = _("Your draft proposal is ready. It is saved as you type."), "success"
        else:
            message = _("You already have a proposal for this call. Here it is."), "info"
        db.session.commit()
        flash(*message)
        return redirect(first_section_url)
    ensure_accepting_proposals(call)
    return render_template("proposals/start.html", call=call, form=form)


# -- the form, section by section ---------------------------------------------------------------


def _saved_label(proposal: Proposal) -> str:
    return format_time(proposal.updated_at, "short")


def _render_section(
    proposal: Proposal,
    section: sections.Section,
    form,
    *,
    status: int = 200,
    error: str | None = None,
    upload_form: UploadForm | None = None,
):
    call = proposal.call
    context = {
        "proposal": proposal,
        "call": call,
        "section": section,
        "sections": sections.SECTIONS,
        "completeness": sections.completeness(proposal, call),
        "next_section": sections.next_section(section.key),
        "form": form,
        "editable": can_edit_proposal(current_user, proposal),
        "can_withdraw": can_withdraw_proposal(current_user, proposal),
        "unsubmitted_changes": services.has_unsubmitted_changes(proposal),
        "saved_label": _saved_label(proposal),
        "error": error,
    }
    if section.kind == sections.SectionKind.ATTACHMENTS:
        context["attachments"] = queries.active_attachments(proposal.id)
        context["upload_form"] = upload_form or UploadForm()
        context["delete_form"] = ConfirmForm()
    return render_template("proposals/edit_section.html", **context), status


def _form_for(proposal: Proposal, section: sections.Section, *, extra_rows: int = 0):
    form_class = make_section_form(section, proposal.call)
    if request.method == "POST":
        return form_class()
    return form_class(
        formdata=None, data=section_form_data(proposal, section, extra_partner_rows=extra_rows)
    )


@bp.get("/proposals/<int:proposal_id>/sections/<section>")
@login_required
def edit_section(proposal_id: int, section: str):
    proposal = _own_proposal(proposal_id)
    current = _section_or_404(section)
    extra_rows = 1 if request.args.get("add_partner") else 0
    return _render_section(proposal, current, _form_for(proposal, current, extra_rows=extra_rows))


def _save(proposal: Proposal, section: sections.Section, form):
    """Parse and save one section. Returns (result, errors) or raises a DomainError."""
    data, parse_errors = form.section_input()
    if data.partners is not None:
        # Partner rows are saved all or none: a row that cannot be stored keeps them all out,
        # before they are compared with the stored ones.
        refused = {
            field_id: str(UNSTORABLE_MESSAGE)
            for field_id in unstorable_fields(form)
            if field_id.startswith("partners-")
        }
        refused.update(sections.unknown_partner_kinds(data.partners))
        if refused:
            raise InvalidInput(
                _("Nothing was saved. Please correct the answers marked below."), fields=refused
            )
    action = request.form.get("partner_action", "")
    if data.partners is not None and action.startswith("remove-"):
        index = action.removeprefix("remove-")
        if index.isdigit() and int(index) < len(data.partners):
            del data.partners[int(index)]
    result = services.save_section(
        actor=current_user._get_current_object(),
        proposal=proposal,
        section_key=section.key,
        data=data,
        expected_version=form.sent_version(),
    )
    return result, {**parse_errors, **result.errors}


@bp.post("/proposals/<int:proposal_id>/sections/<section>")
@login_required
def save_section(proposal_id: int, section: str):
    proposal = _own_proposal(proposal_id, lock=True)
    current = _section_or_404(section)
    if current.kind == sections.SectionKind.ATTACHMENTS:
        abort(404)
    form = _form_for(proposal, current)
    try:
        result, errors = _save(proposal, current, form)
    except services.ProposalConflict as conflict:
        db.session.rollback()
        return render_template(
            "proposals/conflict.html",
            proposal=proposal,
            section=current,
            form=form,
            conflict=conflict,
            differing={difference.name for difference in conflict.differences},
        ), 409
    except DomainError as refused:
        db.session.rollback()
        proposal = _own_proposal(proposal_id)
        if isinstance(refused, InvalidInput):
            form.attach_errors(refused.fields)
        return _render_section(
            proposal, current, form, status=refused.status_code, error=refused.message
        )
    # Read before the commit, which expires the user and the proposal (no reload for a redirect).
    saved_label = format_time(result.saved_at, "short")
    partner_count = len(proposal.partners)
    db.session.commit()
    if errors:
        form.version.data = str(result.version)
        form.attach_errors(errors)
        return _render_section(
            proposal,
            current,
            form,
            status=422,
            error=_("Saved, except the answers marked below. Please correct them."),
        )
    flash(_("Saved at %(time)s.", time=saved_label), "success")
    action = request.form.get("partner_action") or request.form.get("action", "")
    if action == "add":
        return redirect(
            url_for(
                "proposals.edit_section",
                proposal_id=proposal_id,
                section=current.key,
                add_partner=1,
                _anchor=f"partners-{partner_count}-organisation",
            )
        )
    following = sections.next_section(current.key)
    if action == "next" and following is not None:
        return redirect(
            url_for("proposals.edit_section", proposal_id=proposal_id, section=following.key)
        )
    if action == "next":
        return redirect(url_for("proposals.submit", proposal_id=proposal_id))
    return redirect(url_for("proposals.edit_section", proposal_id=proposal_id, section=current.key))


@bp.post("/proposals/<int:proposal_id>/sections/<section>/autosave")
@json_login_required
def autosave(proposal_id: int, section: str):
    if not can_apply(current_user):
        return _json_error(403, "forbidden", _("Only city accounts can edit proposals."))
    proposal = queries.owned_proposal(proposal_id, owner_id=current_user.id, for_update=True)
    current = sections.get_section(section)
    if proposal is None or current is None or current.kind == sections.SectionKind.ATTACHMENTS:
        return _json_error(404, "not_found", _("There is no such proposal or section."))
    form = _form_for(proposal, current)
    unstorable = unstorable_fields(form)
    if unstorable:
        # The page keeps the text and shows the message; the person removes the character.
        return _json_error(422, "unstorable_character", str(UNSTORABLE_MESSAGE), fields=unstorable)
    try:
        result, errors = _save(proposal, current, form)
    except services.ProposalConflict as conflict:
        db.session.rollback()
        return _json_error(
            409,
            conflict.code,
            conflict.message,
            version=conflict.current_version,
            fields=[difference.__dict__ for difference in conflict.differences],
        )
    except DomainError as refused:
        db.session.rollback()
        fields = refused.fields if isinstance(refused, InvalidInput) else {}
        return _json_error(refused.status_code, refused.code, refused.message, fields=fields)
    db.session.commit()
    return jsonify(
        version=result.version,
        changed=result.changed,
        saved_at=result.saved_at.isoformat(),
        saved_label=_saved_label(proposal),
        errors=errors,
        complete=sections.completeness(proposal, proposal.call),
    )


@bp.get("/proposals/session")
@json_login_required
def session_status():
    """A fresh CSRF token for a page that outlived its session (after logging in again)."""
    return jsonify(csrf_token=generate_csrf())


# -- submitting and withdrawing -----------------------------------------------------------------


def _render_submit(proposal: Proposal, *, problems=None, error=None, status=200):
    form = SubmitForm(formdata=None, data={"version": str(proposal.version)})
    if problems is None:
        problems = sections.all_problems(proposal, proposal.call)
    return render_template(
        "proposals/submit.html",
        proposal=proposal,
        call=proposal.call,
        sections=sections.SECTIONS,
        completeness=sections.completeness(proposal, proposal.call),
        problems=problems,
        form=form,
        error=error,
        editable=can_edit_proposal(current_user, proposal),
        unsubmitted_changes=services.has_unsubmitted_changes(proposal),
        presented=presenting.present_proposal(
            proposal,
            proposal.call,
            attachments=queries.active_attachments(proposal.id),
            download_url=_attachment_url(proposal),
        ),
    ), status


@bp.get("/proposals/<int:proposal_id>/submit")
@login_required
def submit(proposal_id: int):
    return _render_submit(_own_proposal(proposal_id))


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
def submit_post(proposal_id: int):
    proposal = _own_proposal(proposal_id)  # submit_proposal locks the row itself
    form = SubmitForm()
    if not form.validate():
        abort(400)
    try:
        result = services.submit_proposal(
            actor=current_user._get_current_object(),
            proposal=proposal,
            expected_version=form.version.data and int(form.version.data),
        )
    except services.IncompleteProposal as incomplete:
        db.session.rollback()
        return _render_submit(_own_proposal(proposal_id), problems=incomplete.problems, status=422)
    except DomainError as refused:
        db.session.rollback()
        return _render_submit(
            _own_proposal(proposal_id), error=refused.message, status=refused.status_code
        )
    db.session.commit()
    if not result.created:
        flash(_("This proposal was already submitted; nothing changed since."), "info")
    return redirect(url_for("proposals.submitted", proposal_id=proposal_id))


@bp.get("/proposals/<int:proposal_id>/submitted")
@login_required
def submitted(proposal_id: int):
    proposal = _own_proposal(proposal_id)
    revision = queries.latest_revision(proposal.id)
    if revision is None:
        return redirect(url_for("proposals.submit", proposal_id=proposal.id))
    return render_template(
        "proposals/submitted.html",
        proposal=proposal,
        call=proposal.call,
        revision=revision,
        editable=can_edit_proposal(current_user, proposal),
    )


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    proposal = _own_proposal(proposal_id, lock=request.method == "POST")
    form = WithdrawForm()
    if request.method == "POST" and form.validate():
        try:
            services.withdraw_proposal(
                actor=current_user._get_current_object(),
                proposal=proposal,
                reason=form.reason.data,
            )
        except DomainError as refused:
            db.session.rollback()
            proposal = _own_proposal(proposal_id)
            if refused.field == "reason":
                form.reason.errors = [refused.message]
            return render_template(
                "proposals/withdraw.html",
                proposal=proposal,
                form=form,
                error=None if refused.field else refused.message,
                allowed=can_withdraw_proposal(current_user, proposal),
            ), refused.status_code
        db.session.commit()
        flash(_("Your proposal is withdrawn. Nothing was deleted."), "success")
        return redirect(url_for("proposals.my_proposals"))
    return render_template(
        "proposals/withdraw.html",
        proposal=proposal,
        form=form,
        error=None,
        allowed=can_withdraw_proposal(current_user, proposal),
    ), (422 if form.errors else 200)


# -- attachments --------------------------------------------------------------------------------


@bp.post("/proposals/<int:proposal_id>/attachments")
@login_required
def upload_attachment(proposal_id: int):
    proposal = _own_proposal(proposal_id, lock=True)
    section = _section_or_404("attachments")
    form = UploadForm()
    if not form.validate():
        return _render_section(proposal, section, None, status=422, upload_form=form)
    try:
        attachment = services.add_attachment(
            actor=current_user._get_current_object(),
            proposal=proposal,
            stream=form.file.data.stream,
            filename=form.file.data.filename,
            kind=AttachmentKind(form.kind.data),
        )
    except DomainError as refused:
        db.session.rollback()
        form.file.errors = [refused.message]
        return _render_section(
            _own_proposal(proposal_id),
            section,
            None,
            status=refused.status_code if refused.status_code != 400 else 422,
            upload_form=form,
        )
    db.session.commit()
    flash(_("“%(name)s” is attached.", name=attachment.original_name), "success")
    return redirect(url_for("proposals.edit_section", proposal_id=proposal.id, section=section.key))


@bp.post("/proposals/<int:proposal_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(proposal_id: int, attachment_id: int):
    proposal = _own_proposal(proposal_id, lock=True)
    attachment = queries.attachment_of(proposal.id, attachment_id)
    if attachment is None or attachment.deleted_at is not None:
        abort(404)
    ConfirmForm().validate() or abort(400)
    services.delete_attachment(
        actor=current_user._get_current_object(), proposal=proposal, attachment=attachment
    )
    db.session.commit()
    flash(_("“%(name)s” is removed.", name=attachment.original_name), "success")
    return redirect(
        url_for("proposals.edit_section", proposal_id=proposal.id, section="attachments")
    )


def _attachment_url(proposal: Proposal) -> Callable[[int], str]:
    return lambda attachment_id: url_for(
        "proposals.download_attachment", proposal_id=proposal.id, attachment_id=attachment_id
    )


@bp.get("/proposals/<int:proposal_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(proposal_id: int, attachment_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(current_user, proposal):
        abort(404)
    attachment = queries.attachment_of(proposal.id, attachment_id)
    if attachment is None:
        abort(404)
    if attachment.deleted_at is not None and not current_user.has_role(Role.ADMINISTRATOR):
        abort(404)
    return storage.attachment_response(attachment)


# -- status and clarifications ------------------------------------------------------------------


@bp.get("/proposals")
@login_required
def my_proposals():
    user = _applicant()
    return render_template(
        "proposals/my_proposals.html", proposals=queries.proposals_of_owner(user.id)
    )


@bp.route(
    "/proposals/<int:proposal_id>/clarifications/<int:clarification_id>",
    methods=["GET", "POST"],
)
@login_required
def answer_clarification(proposal_id: int, clarification_id: int):
    proposal = _own_proposal(proposal_id, lock=request.method == "POST")
    clarification = queries.clarification_of(proposal.id, clarification_id)
    if clarification is None:
        abort(404)
    form = ClarificationAnswerForm()
    allowed = can_answer_clarification(current_user, proposal, clarification)
    if request.method == "POST" and allowed and form.validate():
        services.answer_clarification(
            actor=current_user._get_current_object(),
            proposal=proposal,
            clarification=clarification,
            answer=form.answer.data,
        )
        db.session.commit()
        flash(_("Thank you. Your answer is sent to the organisers."), "success")
        return redirect(url_for("proposals.my_proposals"))
    status = 200
    if request.method == "POST":
        status = 422 if allowed else 409
    return render_template(
        "proposals/answer_clarification.html",
        proposal=proposal,
        clarification=clarification,
        form=form,
        allowed=allowed,
    ), status


# -- administrators -----------------------------------------------------------------------------


def _render_admin_detail(proposal: Proposal, form: ClarificationQuestionForm, status: int = 200):
    history = proposal_history(proposal.id)
    people = queries.user_names(
        {proposal.owner_id}
        | {item.asked_by_id for item in proposal.clarifications}
        | {item.answered_by_id for item in proposal.clarifications}
        | {revision.submitted_by_id for revision in proposal.revisions}
    )
    return render_template(
        "proposals/admin_detail.html",
        proposal=proposal,
        call=proposal.call,
        # Removed files too: the organisers keep the record of what was sent.
        presented=presenting.present_proposal(
            proposal,
            proposal.call,
            attachments=proposal.attachments,
            download_url=_attachment_url(proposal),
        ),
        history=history,
        people=people,
        form=form,
        can_ask=can_request_clarification(current_user, proposal),
    ), status


@bp.get("/admin/proposals/<int:proposal_id>")
@login_required
def admin_detail(proposal_id: int):
    _administrator()
    proposal = queries.proposal_for_admin(proposal_id)
    if proposal is None:
        abort(404)
    return _render_admin_detail(proposal, ClarificationQuestionForm(formdata=None))


@bp.post("/admin/proposals/<int:proposal_id>/clarifications")
@login_required
def request_clarification(proposal_id: int):
    actor = _administrator()
    proposal = queries.lock_proposal(proposal_id)
    if proposal is None:
        abort(404)
    form = ClarificationQuestionForm()
    if form.validate():
        try:
            services.request_clarification(
                actor=actor, proposal=proposal, question=form.question.data
            )
        except DomainError as refused:
            db.session.rollback()
            form.question.errors = [refused.message]
        else:
            db.session.commit()
            flash(_("Your question is sent to the city."), "success")
            return redirect(url_for("proposals.admin_detail", proposal_id=proposal_id))
    proposal = queries.proposal_for_admin(proposal_id)
    if proposal is None:
        abort(404)
    return _render_admin_detail(proposal, form, status=422)


@bp.get("/admin/calls")
@administrators_only
def admin_calls():
    """Every call, with its proposals counted by state."""
    return render_template(
        "proposals/admin_calls.html",
        summaries=queries.call_summaries(),
        call_states=CALL_STATE_LABELS,
        proposal_states=PROPOSAL_STATE_LABELS,
    )


@bp.get("/admin/calls/<int:call_id>/proposals")
@administrators_only
def admin_list(call_id: int):
    """One call's proposals, filtered, a page at a time or all at once."""
    call = db.get_or_404(Call, call_id)
    form = ProposalFilterForm(formdata=request.args)
    form.validate()
    filters = queries.ProposalFilters(
        state=form.valid_or_empty("state") or "",
        country=(form.valid_or_empty("country") or "").upper(),
        region=form.valid_or_empty("region") or "",
        search=(form.valid_or_empty("q") or "").strip(),
        after=form.valid_or_empty("after"),
        show_all=bool(form.valid_or_empty("all")),
    )
    page = queries.proposal_list(call_id=call.id, filters=filters)
    # The filters other links keep: the place and search, and (for paging) the state.
    place_args = {
        name: value
        for name, value in (
            ("country", filters.country),
            ("region", filters.region),
            ("q", filters.search),
        )
        if value
    }
    filter_args = place_args | ({"state": filters.state} if filters.state else {})
    territories = get_locale().territories
    return render_template(
        "proposals/admin_list.html",
        call=call,
        form=form,
        page=page,
        place_args=place_args,
        filter_args=filter_args,
        zone=zone_named(current_user.timezone),
        # Resolved once, not once per row: the list may show thousands of rows.
        proposal_states={state: str(label) for state, label in PROPOSAL_STATE_LABELS.items()},
        country_names={code: territories.get(code, code) for code in page.countries},
        detail_url=_url_around("proposals.admin_detail", "proposal_id"),
    )


_SENTINEL_ID = 987_654_321


def _url_around(endpoint: str, name: str) -> tuple[Markup, Markup]:
    """An endpoint's URL split around one integer argument, to build thousands of links
    by concatenation (url_for per row is a measurable share of a long list); escaped once."""
    values: dict[str, Any] = {name: _SENTINEL_ID}
    prefix, suffix = url_for(endpoint, **values).split(str(_SENTINEL_ID))
    return Markup.escape(prefix), Markup.escape(suffix)


@bp.route("/admin/calls/<int:call_id>/close", methods=["GET", "POST"])
@administrators_only
def admin_close_call(call_id: int):
    """Closing by hand, after a page that says what it will do (emails cannot be unsent)."""
    call = db.get_or_404(Call, call_id)
    back = url_for("calls.admin_edit", call_id=call.id)
    if request.method == "POST":
        return apply_and_redirect(
            lambda: closing.close_call(actor=current_user, call=call),
            done=_("The call is now “%(state)s”.", state=CALL_STATE_LABELS[CallState.CLOSED]),
            back=back,
        )
    if "close" not in available_transitions(call):
        flash(_("This call is not open, so there is nothing to close."), "error")
        return redirect(back)
    return render_template(
        "proposals/admin_close_call.html",
        call=call,
        summary=closing.closing_summary(call),
        back=back,
    )


@bp.context_processor
def _proposal_labels():
    return {
        "state_labels": {state.value: label for state, label in sections.STATE_LABELS.items()},
        "attachment_labels": {kind.value: label for kind, label in ATTACHMENT_KIND_LABELS.items()},
        "continent_labels": CONTINENT_LABELS,
        # The same rule as the routes: a link is shown only where it leads somewhere.
        "can_edit_proposal": can_edit_proposal,
    }
