"""Compiling (a job, twice safe), adjusting with reasons, comparing, publishing decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.calls.models import CallState
from app.db import utcnow
from app.errors import Conflict, DomainError
from app.extensions import db
from app.jobs.models import JobState
from app.outbox.models import Notification
from app.proposals.models import ProposalState
from app.reviews.models import Review, ReviewState
from app.shortlists import services
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from app.shortlists.solver import Reason
from tests.factories import make_user
from tests.querycount import count_queries
from tests.shortlists.conftest import compile_now, job_of
from tests.shortlists.helpers import city, scored_call
from workers.shortlists import compile_shortlist as compile_task

FIVE_CONTINENTS = {"size": 6, "min_per_group": 0, "min_groups": 5, "max_per_group": 2}


def entries(shortlist: Shortlist) -> dict[str, ShortlistEntry]:
    rows = db.session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.shortlist_id == shortlist.id)
    )
    by_id = {p.id: p.city for p in db.session.scalars(select(services.Proposal))}
    return {by_id[entry.proposal_id]: entry for entry in rows}


def test_asking_for_a_compilation_queues_the_job_after_commit(admin, scored, dispatched_tasks):
    shortlist = services.request_compilation(
        actor=admin, call=scored.call, parameters=services.CompileParameters(size=3)
    )
    assert shortlist.state == ShortlistState.COMPILING
    assert dispatched_tasks == []
    db.session.commit()
    assert dispatched_tasks == [("shortlists.compile", {"job_id": shortlist.job_id})]
    assert job_of(shortlist).parameters["size"] == 3


def test_the_job_compiles_a_balanced_shortlist_that_explains_every_city(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, **FIVE_CONTINENTS)
    assert shortlist.state == ShortlistState.COMPILED
    by_city = entries(shortlist)
    chosen = {name for name, entry in by_city.items() if entry.included}
    # Lisbon and Porto share a country; Europe may have two; five continents needed.
    assert chosen == {"Lisbon", "Turin", "Nairobi", "Osaka", "Recife", "Montreal"}
    assert Reason.from_json(by_city["Porto"].why).code == "country_taken"
    assert Reason.from_json(by_city["Lisbon"].why).code == "top"
    assert [by_city[c].rank for c in ("Lisbon", "Porto", "Turin")] == [1, 2, 3]
    assert by_city["Lisbon"].score == pytest.approx(100.0)
    job = job_of(shortlist)
    assert (job.state, job.progress) == (JobState.SUCCEEDED, 100)
    assert job.started_at is not None and "6 of 8" in job.message


def test_running_the_job_twice_gives_one_shortlist(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    assert shortlist.state == ShortlistState.COMPILED
    first = {e.proposal_id: (e.rank, e.included) for e in entries(shortlist).values()}
    compile_task(job_id=shortlist.job_id)
    services.compile_shortlist(job=job_of(shortlist))  # even past the job's own guard
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count()).select_from(Shortlist).where(Shortlist.job_id == shortlist.job_id)
        )
        == 1
    )
    assert db.session.scalar(
        select(func.count()).where(ShortlistEntry.shortlist_id == shortlist.id)
    ) == len(scored.proposals)
    assert {e.proposal_id: (e.rank, e.included) for e in entries(shortlist).values()} == first
    compiled = db.session.scalar(
        select(func.count()).where(
            AuditEntry.action == "shortlist.compiled", AuditEntry.object_id == shortlist.id
        )
    )
    assert compiled == 1


def test_rules_that_cannot_be_met_fail_the_job_with_the_rule_named(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_score=80)
    assert shortlist.state == ShortlistState.FAILED
    assert [p.code for p in services.problems_of(shortlist)] == ["too_few_eligible"]
    job = job_of(shortlist)
    assert job.state == JobState.FAILED
    assert "Only 2 proposals can be chosen" in job.message
    assert not any(e.included for e in entries(shortlist).values())


def test_an_unexpected_error_marks_the_job_and_shortlist_failed(admin, scored, monkeypatch):
    shortlist = services.request_compilation(
        actor=admin, call=scored.call, parameters=services.CompileParameters(size=3)
    )
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "solve", broken)
    compile_task(job_id=shortlist.job_id)
    db.session.expire_all()
    assert job_of(shortlist).state == JobState.FAILED
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.FAILED


def test_compiling_is_refused_once_decisions_are_published(admin, scored):
    scored.call.state = CallState.DECIDED
    with pytest.raises(Conflict):
        services.request_compilation(
            actor=admin, call=scored.call, parameters=services.CompileParameters()
        )


def test_adjusting_keeps_the_reason_on_the_entry_and_in_the_audit_log(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    perth = entries(shortlist)["Perth"]
    services.adjust_entry(actor=admin, entry=perth, include=True, reason="Strong local partners")
    db.session.commit()
    assert perth.included and perth.adjustment_reason == "Strong local partners"
    assert perth.adjusted_by_id == admin.id and perth.adjusted_at is not None
    assert shortlist.state == ShortlistState.ADJUSTED
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "shortlist.entry_included")
    )
    assert audit.details == {
        "entry_id": perth.id,
        "proposal_id": perth.proposal_id,
        "reason": "Strong local partners",
    }
    breaches = services.rule_breaches(shortlist, services.queries.shortlist_rows(shortlist.id))
    assert [b.code for b in breaches] == ["size_differs"]


def test_an_adjustment_needs_a_reason_and_a_change(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    lisbon = entries(shortlist)["Lisbon"]
    with pytest.raises(DomainError) as refused:
        services.adjust_entry(actor=admin, entry=lisbon, include=False, reason="   ")
    assert refused.value.code == "reason_required"
    with pytest.raises(DomainError) as refused:
        services.adjust_entry(actor=admin, entry=lisbon, include=True, reason="again")
    assert refused.value.code == "no_change"


def test_comparing_shows_who_entered_who_left_and_the_rules_that_differ(admin, scored):
    before = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    after = compile_now(actor=admin, call=scored.call, **FIVE_CONTINENTS)
    comparison = services.compare_shortlists(before=before, after=after)
    changes = {row.city: row.change for row in comparison.rows}
    assert changes["Lisbon"] == "stayed" and changes["Osaka"] == "entered"
    assert {row.city for row in comparison.changed} == {"Osaka", "Recife", "Montreal"}
    assert "Perth" not in changes  # out in both: not part of the comparison
    assert comparison.parameter_changes["size"] == (3, 6)
    assert comparison.parameter_changes["min_groups"] == (0, 5)


def test_cities_see_nothing_before_publication(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    services.adjust_entry(
        actor=admin, entry=entries(shortlist)["Perth"], include=True, reason="Balance"
    )
    db.session.commit()
    states = {p.state for p in scored.proposals}
    assert states == {ProposalState.SUBMITTED}
    assert all(p.decided_at is None for p in scored.proposals)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_publishing_decides_every_proposal_and_emails_each_city_in_its_language(
    admin, scored, dispatched_tasks
):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    scored.proposals[0].language = "fr"
    count = services.publish_shortlist(actor=admin, shortlist=shortlist, include_comments=False)
    db.session.commit()
    assert count == len(scored.proposals)
    by_city = {p.city: p for p in scored.proposals}
    for name, entry in entries(shortlist).items():
        expected = ProposalState.SHORTLISTED if entry.included else ProposalState.DECLINED
        assert by_city[name].state == expected and by_city[name].decided_at is not None
    assert scored.call.state == CallState.DECIDED
    assert shortlist.state == ShortlistState.PUBLISHED and shortlist.published_by_id == admin.id
    notes = {n.dedup_key: n for n in db.session.scalars(select(Notification))}
    lisbon = notes[f"decision:{scored.proposals[0].id}"]
    assert (lisbon.template, lisbon.locale) == ("decision_shortlisted", "fr")
    perth = notes[f"decision:{by_city['Perth'].id}"]
    assert (perth.template, perth.locale) == ("decision_declined", "en")
    assert perth.context["city"] == "Perth" and perth.context["comments"] == []
    assert perth.context["proposal_url"].startswith("http")


def test_publishing_takes_the_same_statements_for_few_or_many_proposals(admin):
    countries = ["PT", "IT", "KE", "JP", "BR", "CA"]
    counts = []
    for size in (3, 30):
        scored = scored_call(
            [city(f"C{size}-{n}", countries[n % 6], "Europe", 3, 4) for n in range(size)]
        )
        shortlist = compile_now(
            actor=admin, call=scored.call, size=2, min_per_group=0, max_per_country=None
        )
        with count_queries() as counted:
            queued = services.publish_shortlist(
                actor=admin, shortlist=shortlist, include_comments=True
            )
            db.session.flush()
        counts.append(counted)
        keys = db.session.scalars(
            select(Notification.dedup_key).where(Notification.call_id == scored.call.id)
        )
        assert queued == size
        assert sorted(keys) == sorted(f"decision:{p.id}" for p in scored.proposals)
    few, many = counts
    assert few.count == many.count, str(many)


def test_only_comments_reviewers_marked_shareable_go_to_the_city(admin, scored):
    lisbon = scored.proposals[0]
    reviews = [r for r in scored.reviews if r.assignment.proposal_id == lisbon.id]
    reviews[0].comment_for_applicant, reviews[0].comment_shareable = "Lovely venue.", True
    reviews[1].comment_for_applicant, reviews[1].comment_shareable = "Private remark.", False
    db.session.flush()
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    without = services.decision_messages(shortlist, include_comments=False)
    with_comments = services.decision_messages(shortlist, include_comments=True)
    assert next(m for m in without if m.proposal_id == lisbon.id).context["comments"] == []
    message = next(m for m in with_comments if m.proposal_id == lisbon.id)
    assert message.context["comments"] == ["Lovely venue."]


def test_the_preview_renders_both_decisions_and_queues_nothing(admin, scored):
    reviews = [r for r in scored.reviews if r.assignment.proposal_id == scored.proposals[0].id]
    reviews[0].comment_for_applicant, reviews[0].comment_shareable = "Lovely venue.", True
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    messages, samples = services.preview_decisions(shortlist, include_comments=True)
    assert len(messages) == 8
    shortlisted, declined = samples
    assert shortlisted.message.city == "Lisbon" and "shortlisted" in shortlisted.subject
    assert "Lovely venue." in shortlisted.text
    assert declined.message.city == "Porto" and "not on the shortlist" in declined.text
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_publishing_is_refused_while_the_call_is_open_or_after_another_publication(admin, scored):
    first = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    second = compile_now(actor=admin, call=scored.call, size=2, min_per_group=0)
    scored.call.state = CallState.OPEN
    with pytest.raises(DomainError) as refused:
        services.publish_shortlist(actor=admin, shortlist=first, include_comments=False)
    assert refused.value.code == "call_not_closed"
    scored.call.state = CallState.IN_REVIEW
    services.publish_shortlist(actor=admin, shortlist=first, include_comments=False)
    with pytest.raises(Conflict):
        services.publish_shortlist(actor=admin, shortlist=second, include_comments=False)
    with pytest.raises(Conflict):
        services.adjust_entry(
            actor=admin, entry=entries(first)["Perth"], include=True, reason="too late"
        )


def test_withdrawn_proposals_are_not_decided_or_emailed(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    perth = scored.proposals[-1]
    perth.withdrawn_at, perth.withdrawal_reason = utcnow(), "Changed plans"
    perth.state = ProposalState.WITHDRAWN
    db.session.flush()
    services.publish_shortlist(actor=admin, shortlist=shortlist, include_comments=False)
    assert perth.state == ProposalState.WITHDRAWN and perth.decided_at is None
    keys = set(db.session.scalars(select(Notification.dedup_key)))
    assert f"decision:{perth.id}" not in keys and len(keys) == 7


def test_reviews_of_other_users_do_not_leak_into_messages(admin, scored):
    stranger = make_user()
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    emails = {
        m.recipient_email for m in services.decision_messages(shortlist, include_comments=True)
    }
    assert stranger.email not in emails
    owners = {p.owner_id for p in scored.proposals}
    assert {
        m.recipient_id for m in services.decision_messages(shortlist, include_comments=True)
    } == owners
    assert db.session.scalar(select(func.count()).select_from(Review)) == len(scored.reviews)


def test_compiling_reports_its_progress_step_by_step(admin, scored):
    shortlist = services.request_compilation(
        actor=admin,
        call=scored.call,
        parameters=services.CompileParameters(size=2, min_per_group=0),
    )
    seen = []
    services.compile_shortlist(
        job=job_of(shortlist), progress=lambda done, total, message: seen.append((done, total))
    )
    assert seen == [(1, 4), (2, 4), (3, 4)]
    assert (job_of(shortlist).state, job_of(shortlist).progress) == (JobState.SUCCEEDED, 100)


def _reviews_of(scored, name: str) -> list[Review]:
    proposal = next(p for p in scored.proposals if p.city == name)
    return [r for r in scored.reviews if r.assignment.proposal_id == proposal.id]


def test_a_compiled_shortlist_matches_the_reviews_it_was_computed_from(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    assert services.review_changes(shortlist) == []
    assert {e.reviews_counted for e in entries(shortlist).values()} == {2}


def test_publishing_after_a_review_changed_asks_for_a_new_compilation_or_a_reason(admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    # Perth's reviewer changes their mind: Perth would now rank first, yet it is out.
    for score in _reviews_of(scored, "Perth")[0].scores:
        score.value = score.scale_max
    db.session.flush()
    changes = services.review_changes(shortlist)
    assert [(c.city, c.reviews_then, c.reviews_now) for c in changes] == [("Perth", 2, 2)]
    with pytest.raises(DomainError) as refused:
        services.publish_shortlist(actor=admin, shortlist=shortlist, include_comments=False)
    assert refused.value.code == "reviews_changed" and refused.value.field == "changes_reason"
    assert "Perth" in refused.value.message
    assert shortlist.state == ShortlistState.COMPILED
    services.publish_shortlist(
        actor=admin,
        shortlist=shortlist,
        include_comments=False,
        changes_reason="The jury met on the old scores",
    )
    assert shortlist.state == ShortlistState.PUBLISHED
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shortlist.published"))
    assert audit.details["published_despite_changes"] == {
        "reason": "The jury met on the old scores",
        "proposal_ids": [scored.proposals[-1].id],
    }


def test_a_review_submitted_or_no_longer_counting_makes_the_shortlist_stale(admin, scored):
    from tests.factories import make_assignment, make_review
    from tests.shortlists.helpers import uniform

    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    lisbon, osaka = scored.proposals[0], scored.proposals[4]
    make_review(
        assignment=make_assignment(proposal=osaka, reviewer=admin), scores=uniform(scored.call, 5)
    )
    reopened = _reviews_of(scored, "Lisbon")[0]
    reopened.state, reopened.submitted_at = ReviewState.DRAFT, None
    reopened.recommendation = None
    db.session.flush()
    changes = {
        c.proposal_id: (c.reviews_then, c.reviews_now) for c in services.review_changes(shortlist)
    }
    assert changes == {lisbon.id: (2, 1), osaka.id: (2, 3)}
    again = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    assert services.review_changes(again) == []
    services.publish_shortlist(actor=admin, shortlist=again, include_comments=False)
    assert again.state == ShortlistState.PUBLISHED


def test_compiling_again_keeps_the_rules_and_the_earlier_shortlist(admin, scored, dispatched_tasks):
    first = compile_now(actor=admin, call=scored.call, size=3, min_score=90)
    assert first.state == ShortlistState.FAILED
    again = services.compile_again(actor=admin, shortlist=first)
    db.session.commit()
    assert again.id != first.id and again.parameters == first.parameters
    assert job_of(again).parameters["shortlist_id"] == again.id
    assert dispatched_tasks[-1] == ("shortlists.compile", {"job_id": again.job_id})
    audit = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "shortlist.compile_requested", AuditEntry.object_id == again.id
        )
    )
    assert audit.details["again_of"] == first.id
    with pytest.raises(DomainError):
        services.compile_again(actor=admin, shortlist=again)  # still compiling


def test_an_unexpected_error_says_during_which_step_the_job_stopped(admin, scored):
    shortlist = services.request_compilation(
        actor=admin, call=scored.call, parameters=services.CompileParameters(size=3)
    )
    job = job_of(shortlist)
    job.message = "Choosing the shortlist"  # the last step its reporter wrote
    services.record_job_failure(job, RuntimeError("solver crashed"))
    assert job.message.startswith(
        "The job stopped on an unexpected error during this step: Choosing the shortlist."
    )
    assert shortlist.state == ShortlistState.FAILED


def test_default_rules_fit_the_call(admin):
    eleven = scored_call(
        [city(f"A{n}", f"{chr(65 + n)}Z", ["Europe", "Asia"][n % 2], 3) for n in range(11)]
    )
    assert services.default_parameters(eleven.call) == services.CompileParameters(
        size=10, max_per_country=1, min_per_group=1
    )
    shared = scored_call([city(f"B{n}", ["PT", "IT"][n % 2], "Europe", 3) for n in range(6)])
    assert services.default_parameters(shared.call) == services.CompileParameters(
        size=6, max_per_country=None, min_per_group=1
    )
    spread = scored_call([city(f"D{n}", f"{chr(65 + n)}Y", f"Continent {n}", 3) for n in range(12)])
    defaults = services.default_parameters(spread.call)
    assert (defaults.size, defaults.min_per_group) == (10, 0)  # 12 continents, 10 places
    for call in (eleven.call, shared.call, spread.call):
        assert (
            services.rule_conflicts(call=call, parameters=services.default_parameters(call)) == []
        )
