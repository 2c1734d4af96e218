"""Routes of the calls domain: the public call page and the administrators' call set-up."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts.models import Role
from app.accounts.permissions import role_required
from app.calls import queries, services
from app.calls.forms import (
    CALL_STATE_LABELS,
    TRANSITION_LABELS,
    CallForm,
    CriterionForm,
    EligibilityQuestionForm,
    make_translations_form,
    translation_field_name,
    translations_form_data,
)
from app.calls.markdown import render_markdown
from app.calls.models import Call, Criterion, EligibilityQuestion, TranslatableMixin
from app.calls.page_cache import PageCache
from app.calls.permissions import can_view_call
from app.calls.texts import (
    FIELD_LABELS,
    ONE_LINE_FIELDS,
    language_note,
    main_language,
    missing_translations,
    other_languages,
    part_label,
    text_in,
    translatable_parts,
    value_in,
)
from app.core.actions import apply_and_redirect, save_form
from app.core.i18n import text_direction, zone_named
from app.db import utcnow

bp = Blueprint("calls", __name__)
bp.add_app_template_filter(render_markdown, "markdown")
# A call text for its reader: {{ criterion|in_language("name") }} (app/calls/texts.py).
bp.add_app_template_filter(text_in, "in_language")
bp.add_app_template_filter(language_note, "language_note")  # {{ call|language_note }}
bp.add_app_template_filter(text_direction, "direction")  # "rtl" for Arabic

administrators_only = role_required(Role.ADMINISTRATOR)


def _zone() -> str:
    return zone_named(current_user.timezone).key


def _call_or_404(call_id: int) -> Call:
    call = queries.call_for_editing(call_id)
    if call is None:
        abort(404)
    return call


def _criterion_or_404(call: Call, criterion_id: int) -> Criterion:
    for criterion in call.criteria:
        if criterion.id == criterion_id:
            return criterion
    abort(404)


def _question_or_404(call: Call, question_id: int) -> EligibilityQuestion:
    for question in call.eligibility_questions:
        if question.id == question_id:
            return question
    abort(404)


def _offset() -> int:
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return -1 if direction == "up" else 1


def _form_status() -> int:
    """A form shown again after a POST was refused (a successful POST redirects)."""
    return 400 if request.method == "POST" else 200


# --- the public page --------------------------------------------------------------------


@bp.get("/")
def index():
    """The home page: what Dialogue Cafés are, and the calls open now."""
    return render_template("calls/index.html", open_calls=queries.open_calls())


@bp.get("/calls/<slug>")
def public_call(slug: str):
    """The call for everyone. Visitors without an account share a rendered copy per
    language, zone and minute (page_cache.py); everything else renders per request."""
    # Measured without the shared copy (bench, 2 cores, 2026-12, median of 3): a render costs
    # 5.5-6 ms of CPU against 0.7 ms for a copy, and the page served 177 requests/s, 7 % of
    # the hello-world's, against 1,318 and 47 % with it; the budget is 25 %.
    now = utcnow()
    shareable = not (
        current_user.is_authenticated or request.query_string or session.get("_flashes")
    )
    if not shareable:
        return _render_public_call(queries.public_call(slug), now)
    pages = _public_pages()
    version = pages.version(slug, lambda: queries.public_call_version(slug))
    if version is None or not can_view_call(current_user, version):
        abort(404)
    key = (
        version.id,
        version.updated_at,
        str(get_locale()),
        str(get_timezone()),
        now.replace(second=0, microsecond=0),
        now < version.opens_at,
        now < version.closes_at,
        services.is_accepting_proposals(version, at=now),
    )
    token = generate_csrf()
    page = pages.get(key, token=token)
    if page is None:
        page = _render_public_call(queries.public_call(slug), now)
        pages.put(key, page, token=token)
    return page


def _public_pages() -> PageCache:
    app = current_app
    if "calls_public_pages" not in app.extensions:
        app.extensions["calls_public_pages"] = PageCache(
            app.config["PUBLIC_CALL_CACHE_SIZE"],
            version_seconds=app.config["PUBLIC_CALL_VERSION_SECONDS"],
        )
    return app.extensions["calls_public_pages"]


def _render_public_call(call: Call | None, now: datetime) -> str:
    if call is None or not can_view_call(current_user, call):
        abort(404)
    return render_template(
        "calls/public_call.html",
        call=call,
        accepting=services.is_accepting_proposals(call, at=now),
        not_yet_open=now < call.opens_at,
        time_left=call.closes_at - now if now < call.closes_at else None,
        display_zone=str(get_timezone()),
        # Visitors without an account see UTC from the server; calls.js shows their zone.
        localise_in_browser=not current_user.is_authenticated,
    )


# --- administrators: calls --------------------------------------------------------------


@bp.route("/admin/calls/new", methods=["GET", "POST"])
@administrators_only
def admin_create():
    zone = _zone()
    form = CallForm(zone=zone, data=CallForm.initial_data(None, zone))
    created: list[Call] = []
    if form.validate_on_submit() and save_form(
        form,
        lambda: created.append(services.create_call(actor=current_user, **form.settings())),
        aliases=CallForm.SERVICE_FIELDS,
    ):
        flash(_("The call was created in draft, with the seven default criteria."), "success")
        return redirect(url_for("calls.admin_edit", call_id=created[0].id))
    return render_template("calls/admin_create.html", form=form, zone=zone), _form_status()


@bp.route("/admin/calls/<int:call_id>", methods=["GET", "POST"])
@administrators_only
def admin_edit(call_id: int):
    call = _call_or_404(call_id)
    zone = _zone()
    form = CallForm(zone=zone, data=CallForm.initial_data(call, zone))
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.update_call(actor=current_user, call=call, **form.settings()),
        aliases=CallForm.SERVICE_FIELDS,
    ):
        flash(_("The call's settings were saved."), "success")
        return redirect(url_for("calls.admin_edit", call_id=call.id))
    return render_template(
        "calls/admin_edit.html",
        call=call,
        form=form,
        zone=zone,
        missing_count=len(missing_translations(call)),
        call_states=CALL_STATE_LABELS,
        transitions=[
            (action, TRANSITION_LABELS[action]) for action in services.available_transitions(call)
        ],
    ), _form_status()


@bp.post("/admin/calls/<int:call_id>/state/<action>")
@administrators_only
def admin_change_state(call_id: int, action: str):
    if action not in services.TRANSITIONS:
        abort(404)
    call = _call_or_404(call_id)
    if action == "close":
        # Closing emails every city at once: it always goes through its confirmation page.
        return redirect(url_for("proposals.admin_close_call", call_id=call.id))
    target = services.TRANSITIONS[action][1]
    change_state = services.STATE_SERVICES[action]
    return apply_and_redirect(
        lambda: change_state(actor=current_user, call=call),
        done=_("The call is now “%(state)s”.", state=CALL_STATE_LABELS[target]),
        back=url_for("calls.admin_edit", call_id=call.id),
    )


# --- administrators: criteria -----------------------------------------------------------


@bp.get("/admin/calls/<int:call_id>/criteria")
@administrators_only
def admin_criteria(call_id: int):
    call = _call_or_404(call_id)
    return render_template(
        "calls/admin_criteria.html", call=call, frozen=services.criteria_are_frozen(call.id)
    )


@bp.route("/admin/calls/<int:call_id>/criteria/new", methods=["GET", "POST"])
@administrators_only
def admin_criterion_new(call_id: int):
    call = _call_or_404(call_id)
    form = CriterionForm()
    if form.validate_on_submit() and save_form(
        form, lambda: services.add_criterion(actor=current_user, call=call, **form.values())
    ):
        flash(_("The criterion was added."), "success")
        return redirect(url_for("calls.admin_criteria", call_id=call.id))
    return render_template(
        "calls/admin_criterion.html",
        call=call,
        form=form,
        criterion=None,
        frozen=services.criteria_are_frozen(call.id),
    ), _form_status()


@bp.route("/admin/calls/<int:call_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@administrators_only
def admin_criterion_edit(call_id: int, criterion_id: int):
    call = _call_or_404(call_id)
    criterion = _criterion_or_404(call, criterion_id)
    form = CriterionForm(data=CriterionForm.initial_data(criterion))
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.update_criterion(actor=current_user, criterion=criterion, **form.values()),
    ):
        flash(_("The criterion was saved."), "success")
        return redirect(url_for("calls.admin_criteria", call_id=call.id))
    return render_template(
        "calls/admin_criterion.html",
        call=call,
        form=form,
        criterion=criterion,
        frozen=services.criteria_are_frozen(call.id),
    ), _form_status()


@bp.post("/admin/calls/<int:call_id>/criteria/<int:criterion_id>/move")
@administrators_only
def admin_criterion_move(call_id: int, criterion_id: int):
    call = _call_or_404(call_id)
    criterion = _criterion_or_404(call, criterion_id)
    offset = _offset()
    return apply_and_redirect(
        lambda: services.move_criterion(actor=current_user, criterion=criterion, offset=offset),
        done=_("The criteria were reordered."),
        back=url_for("calls.admin_criteria", call_id=call.id, _anchor=f"criterion-{criterion.id}"),
    )


@bp.post("/admin/calls/<int:call_id>/criteria/<int:criterion_id>/remove")
@administrators_only
def admin_criterion_remove(call_id: int, criterion_id: int):
    call = _call_or_404(call_id)
    criterion = _criterion_or_404(call, criterion_id)
    return apply_and_redirect(
        lambda: services.remove_criterion(actor=current_user, criterion=criterion),
        done=_("The criterion “%(name)s” was removed.", name=criterion.name),
        back=url_for("calls.admin_criteria", call_id=call.id),
    )


# --- administrators: eligibility questions ----------------------------------------------


@bp.get("/admin/calls/<int:call_id>/eligibility")
@administrators_only
def admin_questions(call_id: int):
    call = _call_or_404(call_id)
    return render_template("calls/admin_questions.html", call=call)


@bp.route("/admin/calls/<int:call_id>/eligibility/new", methods=["GET", "POST"])
@administrators_only
def admin_question_new(call_id: int):
    call = _call_or_404(call_id)
    form = EligibilityQuestionForm()
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.add_eligibility_question(actor=current_user, call=call, **form.values()),
    ):
        flash(_("The question was added."), "success")
        return redirect(url_for("calls.admin_questions", call_id=call.id))
    return render_template(
        "calls/admin_question.html", call=call, form=form, question=None
    ), _form_status()


@bp.route("/admin/calls/<int:call_id>/eligibility/<int:question_id>", methods=["GET", "POST"])
@administrators_only
def admin_question_edit(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    question = _question_or_404(call, question_id)
    form = EligibilityQuestionForm(data=EligibilityQuestionForm.initial_data(question))
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.update_eligibility_question(
            actor=current_user, question=question, **form.values()
        ),
    ):
        flash(_("The question was saved."), "success")
        return redirect(url_for("calls.admin_questions", call_id=call.id))
    return render_template(
        "calls/admin_question.html", call=call, form=form, question=question
    ), _form_status()


@bp.post("/admin/calls/<int:call_id>/eligibility/<int:question_id>/move")
@administrators_only
def admin_question_move(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    question = _question_or_404(call, question_id)
    offset = _offset()
    return apply_and_redirect(
        lambda: services.move_eligibility_question(
            actor=current_user, question=question, offset=offset
        ),
        done=_("The questions were reordered."),
        back=url_for("calls.admin_questions", call_id=call.id, _anchor=f"question-{question.id}"),
    )


@bp.post("/admin/calls/<int:call_id>/eligibility/<int:question_id>/remove")
@administrators_only
def admin_question_remove(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    question = _question_or_404(call, question_id)
    return apply_and_redirect(
        lambda: services.remove_eligibility_question(actor=current_user, question=question),
        done=_("The question was removed."),
        back=url_for("calls.admin_questions", call_id=call.id),
    )


# --- administrators: translations -------------------------------------------------------


@bp.get("/admin/calls/<int:call_id>/translations")
@administrators_only
def admin_translations(call_id: int):
    """Every text of the call in every language of the call, the missing ones marked."""
    call = _call_or_404(call_id)
    return render_template(
        "calls/admin_translations.html",
        call=call,
        main=main_language(call),
        locales=other_languages(call),
        parts=[
            (obj, part_label(obj), _translate_url(call, obj)) for obj in translatable_parts(call)
        ],
        missing=missing_translations(call),
        field_labels=FIELD_LABELS,
        language_names=services.PROPOSAL_LANGUAGES,
        value_in=value_in,
    )


def _translate_url(call: Call, obj: TranslatableMixin) -> str:
    if isinstance(obj, Criterion):
        return url_for("calls.admin_translate_criterion", call_id=call.id, criterion_id=obj.id)
    if isinstance(obj, EligibilityQuestion):
        return url_for("calls.admin_translate_question", call_id=call.id, question_id=obj.id)
    return url_for("calls.admin_translate_call", call_id=call.id)


def _edit_translations(call: Call, obj: TranslatableMixin):
    """The form that writes one object's texts in the call's other languages, side by side
    with the main language's."""
    locales = other_languages(call)
    form = make_translations_form(obj.TRANSLATABLE_FIELDS, locales)(
        data=translations_form_data(obj, locales)
    )
    if form.validate_on_submit() and save_form(
        form,
        lambda: services.save_translations(actor=current_user, obj=obj, values=form.values()),
    ):
        flash(_("The translations were saved."), "success")
        return redirect(url_for("calls.admin_translations", call_id=call.id))
    return render_template(
        "calls/admin_translate.html",
        call=call,
        obj=obj,
        form=form,
        label=part_label(obj),
        main=main_language(call),
        locales=locales,
        field_labels=FIELD_LABELS,
        language_names=services.PROPOSAL_LANGUAGES,
        one_line=ONE_LINE_FIELDS,
        field_name=translation_field_name,
    ), _form_status()


@bp.route("/admin/calls/<int:call_id>/translations/call", methods=["GET", "POST"])
@administrators_only
def admin_translate_call(call_id: int):
    call = _call_or_404(call_id)
    return _edit_translations(call, call)


@bp.route(
    "/admin/calls/<int:call_id>/translations/criteria/<int:criterion_id>", methods=["GET", "POST"]
)
@administrators_only
def admin_translate_criterion(call_id: int, criterion_id: int):
    call = _call_or_404(call_id)
    return _edit_translations(call, _criterion_or_404(call, criterion_id))


@bp.route(
    "/admin/calls/<int:call_id>/translations/eligibility/<int:question_id>",
    methods=["GET", "POST"],
)
@administrators_only
def admin_translate_question(call_id: int, question_id: int):
    call = _call_or_404(call_id)
    return _edit_translations(call, _question_or_404(call, question_id))
