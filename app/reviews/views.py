"""Routes of the reviews domain: the reviewer's queue, reading and scoring; the
administrators' assignment pages, conflicts and progress dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.accounts.models import Role, User
from app.accounts.permissions import role_required
from app.calls.models import Call
from app.core.actions import apply_and_redirect, attach_refusal, save_form
from app.core.navigation import nav_entry
from app.core.urls import safe_next_url
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.proposals import queries as proposal_queries
from app.proposals.models import Attachment, Proposal
from app.proposals.presenting import present_proposal
from app.proposals.storage import attachment_response
from app.reviews import assigning, conflicts, numbers, profiles, queries, reminders, reviewing
from app.reviews.forms import (
    RECOMMENDATION_LABELS,
    ApplyPlanForm,
    AutoAssignForm,
    ButtonForm,
    ChooseProposalsForm,
    ChooseReviewersForm,
    ReviewerProfileForm,
    SetConflictForm,
    WithdrawForm,
    make_review_form,
)
from app.reviews.models import Assignment, ConflictOfInterest
from app.reviews.permissions import can_review_assignment

bp = Blueprint("reviews", __name__)
bp.record_once(
    nav_entry(position=40, role=Role.REVIEWER, endpoint="reviews.queue", label=_l("My reviews"))
)

reviewers_only = role_required(Role.REVIEWER)
administrators_only = role_required(Role.ADMINISTRATOR)

DEFAULT_SPREAD_THRESHOLD = numbers.DISAGREEMENT_SPREAD


@bp.app_template_filter("score_cells")
def score_cells(values) -> Markup:
    """Table cells for a row of numbers, built at once: the dashboard has thousands."""
    # Safe: every cell is a float formatted by format_score (anything else raises) or a dash.
    return Markup(  # noqa: S704
        "".join(f'<td class="num">{numbers.format_score(value)}</td>' for value in values)
    )


@bp.app_template_filter("spread_cell")
def spread_cell(value: float | None, disagreement: bool = False) -> Markup:
    """The spread's cell, the same on the dashboard and the ranking (app.reviews.numbers)."""
    if value is None:
        why = numbers.NEEDS_TWO_REVIEWS
        return Markup(
            '<td class="num"><span title="{}">{}</span>'
            '<span class="visually-hidden"> {}</span></td>'
        ).format(why, numbers.NO_VALUE, why)
    badge = (
        Markup(' <span class="badge badge-overdue">{}</span>').format(_("disagree"))
        if disagreement
        else ""
    )
    css = "num disagreement" if disagreement else "num"
    return Markup('<td class="{}">{}{}</td>').format(css, numbers.format_spread(value), badge)


def _or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _own_assignment_or_404(assignment_id: int) -> Assignment:
    """The reviewer's own assignment they may see; anything else does not exist for them."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_review_assignment(current_user, assignment):
        abort(404)
    return assignment


# --- reviewers --------------------------------------------------------------------------


@bp.get("/reviews")
@reviewers_only
def queue():
    rows = queries.reviewer_queue(current_user.id)
    return render_template(
        "reviews/queue.html",
        rows=rows,
        done=sum(1 for row in rows if row.state == "submitted"),
    )


def _profile_page(reviewer: User, *, admin: bool):
    form = ReviewerProfileForm()
    if request.method == "GET":
        form.fill_from(profiles.get_profile(reviewer))
    elif form.validate_on_submit() and save_form(
        form,
        lambda: profiles.update_reviewer_profile(
            actor=current_user, reviewer=reviewer, **form.values()
        ),
    ):
        flash(_("The reviewer profile is saved."), "success")
        return redirect(request.path)
    return render_template("reviews/profile.html", form=form, reviewer=reviewer, admin=admin)


@bp.route("/reviews/profile", methods=["GET", "POST"])
@reviewers_only
def profile():
    return _profile_page(current_user, admin=False)


def _review_page(assignment: Assignment, form, withdraw_form, status: int = 200):
    call = assignment.proposal.call
    revision = queries.latest_revision(assignment.proposal_id)
    query = (
        select(Attachment)
        .where(Attachment.proposal_id == assignment.proposal_id, Attachment.deleted_at.is_(None))
        .order_by(Attachment.uploaded_at)
    )
    submitted = (revision.snapshot or {}).get("attachments") if revision else None
    if isinstance(submitted, list):
        # The files of the version the reviewer reads, not ones added since.
        query = query.where(Attachment.id.in_([a.get("id") for a in submitted if a.get("id")]))
    attachments = db.session.scalars(query).all()
    snapshot = reviewing.snapshot_for_reviewer(revision, call)
    return (
        render_template(
            "reviews/review.html",
            assignment=assignment,
            proposal=assignment.proposal,
            call=call,
            review=assignment.review,
            revision=revision,
            snapshot=snapshot,
            # The same labelled reading as the city's and the organisers' pages.
            presented=present_proposal(
                {**snapshot, "id": assignment.proposal_id},
                call,
                attachments=attachments,
                for_reviewer=True,
                download_url=lambda attachment_id: url_for(
                    "reviews.download_attachment",
                    assignment_id=assignment.id,
                    attachment_id=attachment_id,
                ),
            ),
            form=form,
            withdraw_form=withdraw_form,
            others=queries.other_reviews_for(assignment, call),
            editable=call.review_deadline is None or utcnow() < call.review_deadline,
            recommendation_labels=RECOMMENDATION_LABELS,
        ),
        status,
    )


def _fill_review_form(form, review) -> None:
    if review is None:
        return
    scores = {score.criterion_id: score for score in review.scores}
    for criterion in form.criteria:
        score = scores.get(criterion.id)
        if score is not None:
            form.score_field(criterion).data = f"{score.value:g}"
            form.comment_field(criterion).data = score.comment
    form.overall_comment.data = review.overall_comment
    form.comment_for_applicant.data = review.comment_for_applicant
    form.comment_shareable.data = review.comment_shareable
    form.recommendation.data = review.recommendation.value if review.recommendation else ""
    form.confidence.data = str(review.confidence) if review.confidence else ""
    form.version.data = str(review.version)


@bp.route("/reviews/assignments/<int:assignment_id>", methods=["GET", "POST"])
@reviewers_only
def review(assignment_id: int):
    assignment = _own_assignment_or_404(assignment_id)
    criteria = list(assignment.proposal.call.criteria)
    form = make_review_form(criteria)
    if request.method == "GET":
        _fill_review_form(form, assignment.review)
        return _review_page(assignment, form, WithdrawForm(formdata=None))
    submit = request.form.get("action") == "submit"
    if form.validate_on_submit():
        data = reviewing.ReviewInput(
            scores={c.key: form.score_field(c).data for c in criteria},
            comments={c.key: form.comment_field(c).data or "" for c in criteria},
            overall_comment=form.overall_comment.data or "",
            comment_for_applicant=form.comment_for_applicant.data or "",
            comment_shareable=form.comment_shareable.data,
            recommendation=form.recommendation.data or None,
            confidence=form.confidence.data or None,
            version=int(form.version.data) if (form.version.data or "").isdigit() else None,
        )
        if save_form(
            form,
            lambda: reviewing.save_review(
                actor=current_user, assignment=assignment, data=data, submit=submit
            ),
        ):
            flash(
                _("Your review is submitted. Thank you!") if submit else _("Your draft is saved."),
                "success",
            )
            return redirect(url_for("reviews.review", assignment_id=assignment.id))
        assignment = _own_assignment_or_404(assignment_id)
    return _review_page(assignment, form, WithdrawForm(formdata=None), status=422)


@bp.get("/reviews/assignments/<int:assignment_id>/attachments/<int:attachment_id>")
@reviewers_only
def download_attachment(assignment_id: int, attachment_id: int):
    """A file of the proposal under review: the reviewer's own assignment, no conflict."""
    assignment = _own_assignment_or_404(assignment_id)
    attachment = proposal_queries.attachment_of(assignment.proposal_id, attachment_id)
    if attachment is None or attachment.deleted_at is not None:
        abort(404)
    return attachment_response(attachment)


@bp.post("/reviews/assignments/<int:assignment_id>/withdraw")
@reviewers_only
def withdraw(assignment_id: int):
    assignment = _own_assignment_or_404(assignment_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        service = (
            reviewing.recuse_from_assignment
            if form.kind.data == "conflict"
            else reviewing.decline_assignment
        )
        if save_form(
            form,
            lambda: service(actor=current_user, assignment=assignment, reason=form.reason.data),
        ):
            flash(_("You no longer review this proposal."), "success")
            return redirect(url_for("reviews.queue"))
        assignment = _own_assignment_or_404(assignment_id)
    review_form = make_review_form(list(assignment.proposal.call.criteria))
    _fill_review_form(review_form, assignment.review)
    return _review_page(assignment, review_form, form, status=422)


# --- administrators: progress -----------------------------------------------------------


def _spread_threshold() -> float:
    try:
        value = float(request.args.get("spread", DEFAULT_SPREAD_THRESHOLD))
    except ValueError:
        return DEFAULT_SPREAD_THRESHOLD
    return value if value == value and 0 <= value < 1e6 else DEFAULT_SPREAD_THRESHOLD


@bp.get("/admin/calls/<int:call_id>/reviews")
@administrators_only
def dashboard(call_id: int):
    call = _or_404(Call, call_id)
    sort = request.args.get("sort", "city")
    dashboard = queries.review_dashboard(
        call,
        spread_threshold=_spread_threshold(),
        sort=sort if sort in queries.DASHBOARD_SORTS else "city",
        only_disagreements=request.args.get("disagreements") == "1",
    )
    return render_template(
        "reviews/dashboard.html", dashboard=dashboard, call=call, button_form=ButtonForm()
    )


@bp.post("/admin/calls/<int:call_id>/reviews/remind/<int:reviewer_id>")
@administrators_only
def remind(call_id: int, reviewer_id: int):
    call = _or_404(Call, call_id)
    reviewer = _or_404(User, reviewer_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    queued: list[bool] = []
    response = apply_and_redirect(
        lambda: queued.append(
            reminders.remind_reviewer(actor=current_user, call=call, reviewer=reviewer)
        ),
        done=None,
        back=url_for("reviews.dashboard", call_id=call.id),
    )
    if queued:
        flash(
            _("A reminder is on its way to %(name)s.", name=reviewer.name)
            if queued[0]
            else _("%(name)s was already reminded today.", name=reviewer.name),
            "success" if queued[0] else "info",
        )
    return response


# --- administrators: automatic assignment -----------------------------------------------


@bp.get("/admin/calls/<int:call_id>/reviews/auto-assign")
@administrators_only
def auto_assign(call_id: int):
    call = _or_404(Call, call_id)
    return render_template("reviews/auto_assign.html", call=call, form=AutoAssignForm())


def _preview_page(call: Call, *, replan_unstarted: bool, error: DomainError | None = None):
    """The plan as it stands now; after a refused apply, with the refusal beside the box
    it concerns (or at the top), so the administrator decides on what applying would do."""
    plan = assigning.plan_automatic_assignment(
        actor=current_user, call=call, replan_unstarted=replan_unstarted
    )
    apply_form = ApplyPlanForm(
        formdata=None,
        data=ApplyPlanForm.encode(
            plan.new_pairs,
            plan.removals,
            [ending.assignment_id for ending in plan.recusals],
            replan_unstarted,
        ),
    )
    if error is not None and not attach_refusal(apply_form, error):
        flash(error.message, "error")
    return render_template(
        "reviews/auto_assign_preview.html",
        call=call,
        plan=plan,
        apply_form=apply_form,
        shortfall_message=assigning.shortfall_message,
    )


@bp.post("/admin/calls/<int:call_id>/reviews/auto-assign/preview")
@administrators_only
def auto_assign_preview(call_id: int):
    call = _or_404(Call, call_id)
    form = AutoAssignForm()
    if not form.validate_on_submit():
        return render_template("reviews/auto_assign.html", call=call, form=form), 422
    # Only computes: nothing is committed, the conflicts it finds are shown, not recorded.
    return _preview_page(call, replan_unstarted=form.replan_unstarted.data)


@bp.post("/admin/calls/<int:call_id>/reviews/auto-assign/apply")
@administrators_only
def auto_assign_apply(call_id: int):
    call = _or_404(Call, call_id)
    form = ApplyPlanForm()
    back = url_for("reviews.auto_assign", call_id=call.id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    made: list = []
    try:
        made = assigning.apply_automatic_assignment(
            actor=current_user,
            call=call,
            new_pairs=form.pair_list(),
            removals=form.removal_list(),
            recusals=form.recusal_list(),
            confirm_recusals=form.confirm_recusals.data,
        )
    except DomainError as error:
        db.session.rollback()
        page = _preview_page(call, replan_unstarted=form.replans_unstarted(), error=error)
        return page, error.status_code if error.status_code == 409 else 422
    db.session.commit()
    flash(_("%(count)s assignments made.", count=len(made)), "success")
    return redirect(url_for("reviews.dashboard", call_id=call.id))


# --- administrators: assignments by hand and conflicts ---------------------------------


@bp.route("/admin/proposals/<int:proposal_id>/reviewers", methods=["GET", "POST"])
@administrators_only
def proposal_reviewers(proposal_id: int):
    proposal = _or_404(Proposal, proposal_id)
    form = ChooseReviewersForm()
    if form.validate_on_submit() and save_form(
        form,
        lambda: assigning.assign_pairs(
            actor=current_user,
            call=proposal.call,
            pairs=[(proposal.id, reviewer_id) for reviewer_id in form.reviewer_ids.data or []],
        ),
    ):
        flash(_("The reviewers are assigned."), "success")
        return redirect(request.path)
    return _reviewers_page(proposal, form=form, status=200 if request.method == "GET" else 422)


def _reviewers_page(
    proposal: Proposal,
    *,
    form: ChooseReviewersForm | None = None,
    conflict_form: SetConflictForm | None = None,
    status: int = 200,
):
    """The proposal's reviewers page; a refused form is shown again with what was typed."""
    page = queries.proposal_assignment_page(proposal)
    conflict_form = conflict_form or SetConflictForm(formdata=None)
    conflict_form.reviewer_id.choices = [
        SelectChoice(str(r.reviewer_id), r.name) for r in page.candidates if not r.conflicted
    ]
    return render_template(
        "reviews/proposal_reviewers.html",
        proposal=proposal,
        page=page,
        form=form or ChooseReviewersForm(formdata=None),
        conflict_form=conflict_form,
        button_form=ButtonForm(formdata=None),
    ), status


@bp.route("/admin/calls/<int:call_id>/reviewers/<int:reviewer_id>", methods=["GET", "POST"])
@administrators_only
def reviewer_assignments(call_id: int, reviewer_id: int):
    call = _or_404(Call, call_id)
    reviewer = _or_404(User, reviewer_id)
    form = ChooseProposalsForm()
    if form.validate_on_submit() and save_form(
        form,
        lambda: assigning.assign_pairs(
            actor=current_user,
            call=call,
            pairs=[(proposal_id, reviewer.id) for proposal_id in form.proposal_ids.data or []],
        ),
    ):
        flash(_("The proposals are assigned."), "success")
        return redirect(request.path)
    page = queries.reviewer_assignment_page(call, reviewer)
    return render_template(
        "reviews/reviewer_assignments.html",
        call=call,
        reviewer=reviewer,
        page=page,
        form=form,
        button_form=ButtonForm(formdata=None),
    ), (200 if request.method == "GET" else 422)


@bp.post("/admin/assignments/<int:assignment_id>/remove")
@administrators_only
def remove_assignment(assignment_id: int):
    assignment = _or_404(Assignment, assignment_id)
    back = safe_next_url(request.form.get("next")) or url_for(
        "reviews.proposal_reviewers", proposal_id=assignment.proposal_id
    )
    return apply_and_redirect(
        lambda: assigning.remove_assignment(actor=current_user, assignment=assignment),
        done=_("The reviewer is taken off this proposal."),
        back=back,
    )


@bp.post("/admin/proposals/<int:proposal_id>/conflicts")
@administrators_only
def set_conflict(proposal_id: int):
    proposal = _or_404(Proposal, proposal_id)
    form = SetConflictForm()
    back = url_for("reviews.proposal_reviewers", proposal_id=proposal.id)
    if not form.validate_on_submit():
        # The page again, with the reason as typed and what is wrong with it beside it.
        return _reviewers_page(proposal, conflict_form=form, status=422)
    reviewer = db.session.get(User, form.reviewer_id.data)
    if reviewer is None:
        abort(404)
    return apply_and_redirect(
        lambda: conflicts.set_conflict(
            actor=current_user, proposal=proposal, reviewer=reviewer, reason=form.reason.data
        ),
        done=_("The conflict of interest is recorded."),
        back=back,
    )


@bp.post("/admin/conflicts/<int:conflict_id>/lift")
@administrators_only
def lift_conflict(conflict_id: int):
    conflict = _or_404(ConflictOfInterest, conflict_id)
    return apply_and_redirect(
        lambda: conflicts.lift_conflict(actor=current_user, conflict=conflict),
        done=_("The conflict of interest is lifted."),
        back=url_for("reviews.proposal_reviewers", proposal_id=conflict.proposal_id),
    )


@bp.route("/admin/reviewers/<int:reviewer_id>/profile", methods=["GET", "POST"])
@administrators_only
def admin_profile(reviewer_id: int):
    reviewer = db.session.scalar(
        select(User).where(User.id == reviewer_id).options(selectinload(User.roles))
    )
    if reviewer is None or not reviewer.has_role(Role.REVIEWER):
        abort(404)
    return _profile_page(reviewer, admin=True)
