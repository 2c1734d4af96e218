"""The administrators' pages: ranking, pictures, compiling, adjusting, publishing, exports."""

from __future__ import annotations

import io
import re
import tempfile

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from app.calls.models import CallState
from app.extensions import db
from app.proposals.models import ProposalState
from app.shortlists import exporters
from app.shortlists.models import Shortlist, ShortlistEntry, ShortlistState
from tests.querycount import count_queries
from tests.shortlists.conftest import compile_now
from tests.shortlists.helpers import city, form_posting_to, scored_call, token_of
from workers.shortlists import compile_shortlist as compile_task


def test_ranking_shows_every_proposal_with_its_scores_spread_and_missing_reviews(
    admin_client, scored
):
    response = admin_client.get(f"/admin/calls/{scored.call.id}/ranking")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("Lisbon") < page.index("Porto") < page.index("Perth")
    assert "Culture of peace" in page and "100.00" in page and "Spread" in page
    assert "Calibrated" not in page


def test_ranking_shows_raw_and_calibrated_side_by_side(admin_client, scored):
    response = admin_client.get(
        f"/admin/calls/{scored.call.id}/ranking?method=mean&calibrate=y"
        "&min_reviews_for_calibration=2"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Calibrated" in page and "Raw rank" in page


def test_ranking_refuses_confidence_weighting_with_the_median_politely(admin_client, scored):
    response = admin_client.get(
        f"/admin/calls/{scored.call.id}/ranking?method=median&weight_by_confidence=y"
    )
    assert response.status_code == 400
    assert "Confidence weighting applies to the mean only." in response.get_data(as_text=True)


def _page_queries(client, path: str) -> int:
    with count_queries() as counted:
        response = client.get(path)
        assert response.status_code == 200
        response.get_data()  # a streamed body runs its queries as it is read
    return counted.count


def test_ranking_and_shortlist_pages_run_a_constant_number_of_queries(admin_client, admin):
    def cities(prefix: str, count: int) -> list:
        return [
            city(f"{prefix}{i}", f"{chr(65 + i % 26)}{chr(65 + i // 26)}", "Europe", 3, 4)
            for i in range(count)
        ]

    small, large = scored_call(cities("S", 10)), scored_call(cities("L", 200))
    counts = []
    for scored in (small, large):
        shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
        assert shortlist.state == ShortlistState.COMPILED, shortlist.message
        counts.append(
            [
                _page_queries(admin_client, f"/admin/calls/{scored.call.id}/ranking"),
                _page_queries(admin_client, f"/admin/shortlists/{shortlist.id}"),
                _page_queries(admin_client, f"/admin/calls/{scored.call.id}/charts"),
                _page_queries(admin_client, f"/admin/calls/{scored.call.id}/exports/csv"),
            ]
        )
    assert counts[0] == counts[1]
    assert max(counts[1]) <= 12, counts


def test_compiling_from_the_page_starts_a_job_and_shows_its_progress(
    admin_client, scored, dispatched_tasks
):
    response = admin_client.post(
        f"/admin/calls/{scored.call.id}/shortlists",
        data={
            "size": "6",
            "min_per_group": "0",
            "min_groups": "5",
            "max_per_group": "2",
            "max_per_country": "1",
            "group_by": "continent",
            "method": "mean",
        },
    )
    shortlist = db.session.query(Shortlist).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/jobs/{shortlist.job_id}/view")
    assert dispatched_tasks == [("shortlists.compile", {"job_id": shortlist.job_id})]
    compile_task(job_id=shortlist.job_id)
    db.session.expire_all()  # the worker wrote through its own session
    page = admin_client.get(f"/admin/shortlists/{shortlist.id}").get_data(as_text=True)
    assert "Compiled" in page
    assert "Out: PT already has its place (Lisbon)." in page
    assert "In: among the highest scores." in page


def test_a_wrong_compile_form_is_shown_again_with_its_errors_and_values(admin_client, scored):
    response = admin_client.post(
        f"/admin/calls/{scored.call.id}/shortlists",
        data={"size": "0", "min_per_group": "3", "max_per_group": "2", "min_score": "55.5"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The maximum per region cannot be below the minimum." in page
    assert 'value="55.50"' in page or 'value="55.5"' in page
    assert db.session.query(Shortlist).count() == 0


def test_a_failed_compilation_says_which_rule_cannot_be_met(admin_client, admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_score=90)
    page = admin_client.get(f"/admin/shortlists/{shortlist.id}").get_data(as_text=True)
    assert "No shortlist meets these rules" in page
    assert "Only 1 proposal can be chosen" in page


def test_adjusting_needs_a_reason_and_then_shows_it(admin_client, admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    perth = (
        db.session.query(ShortlistEntry)
        .filter_by(shortlist_id=shortlist.id, proposal_id=scored.proposals[-1].id)
        .one()
    )
    path = f"/admin/shortlists/{shortlist.id}/entries/{perth.id}"
    refused = admin_client.post(path, data={"include": "1", "reason": ""}, follow_redirects=True)
    assert "Say why you change the shortlist." in refused.get_data(as_text=True)
    assert not perth.included
    response = admin_client.post(path, data={"include": "1", "reason": "Only café in Oceania"})
    assert response.status_code == 302
    page = admin_client.get(f"/admin/shortlists/{shortlist.id}").get_data(as_text=True)
    assert "Only café in Oceania" in page
    assert "4 cities are in the shortlist; 3 were asked for." in page


def test_comparing_two_compilations_lists_who_entered(admin_client, admin, scored):
    before = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    after = compile_now(actor=admin, call=scored.call, size=4, min_per_group=0)
    page = admin_client.get(f"/admin/shortlists/{after.id}/compare?with={before.id}").get_data(
        as_text=True
    )
    assert re.search(r"Osaka.*entered", page, re.S)
    assert "size" in page
    missing = admin_client.get(f"/admin/shortlists/{after.id}/compare")
    assert missing.status_code == 302


def test_publishing_previews_then_decides_and_emails(admin_client, admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    preview = admin_client.get(f"/admin/shortlists/{shortlist.id}/publish")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Lisbon is shortlisted to host a Dialogue Café" in page
    assert "The decision on the proposal of Porto" in page
    assert re.search(r"\), in English</h4>", page)  # the language by name, never its code
    unconfirmed = admin_client.post(f"/admin/shortlists/{shortlist.id}/publish", data={})
    assert unconfirmed.status_code == 400
    assert scored.proposals[0].state == ProposalState.SUBMITTED
    response = admin_client.post(f"/admin/shortlists/{shortlist.id}/publish", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.PUBLISHED
    assert scored.proposals[0].state == ProposalState.SHORTLISTED
    assert scored.call.state == CallState.DECIDED
    again = admin_client.get(f"/admin/shortlists/{shortlist.id}/publish")
    assert again.status_code == 302  # nothing left to publish


def _publish_form(client, shortlist) -> tuple[str, str]:
    """The preview page and its publishing form, as the organiser sees them."""
    page = client.get(f"/admin/shortlists/{shortlist.id}/publish").get_data(as_text=True)
    return page, form_posting_to(page, f"/admin/shortlists/{shortlist.id}/publish")


def test_the_publishing_form_carries_its_own_csrf_token(admin_client, admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    _page, form = _publish_form(admin_client, shortlist)
    token = token_of(form)
    assert token is not None
    response = admin_client.post(
        f"/admin/shortlists/{shortlist.id}/publish", data={"confirm": "y"}, csrf_token=token
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.PUBLISHED


def test_publishing_an_open_call_is_refused_with_a_message(admin_client, admin, scored):
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    scored.call.state = CallState.OPEN
    db.session.commit()
    page, form = _publish_form(admin_client, shortlist)
    assert "Close the call before publishing decisions." in page  # said before trying
    response = admin_client.post(
        f"/admin/shortlists/{shortlist.id}/publish",
        data={"confirm": "y", "include_comments": "y"},
        csrf_token=token_of(form),
    )
    refused = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Close the call before publishing decisions." in refused
    publishing = form_posting_to(refused, f"/admin/shortlists/{shortlist.id}/publish")
    assert re.search(
        r'<input[^>]*checked[^>]*name="confirm"|name="confirm"[^>]*checked', publishing
    )
    assert scored.proposals[0].state == ProposalState.SUBMITTED


def test_csv_download_streams_with_a_bom_and_a_file_name(admin_client, scored):
    response = admin_client.get(f"/admin/calls/{scored.call.id}/exports/csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    _disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert options["filename"].startswith(f"{scored.call.slug}-reviews-")
    assert response.get_data().startswith("\ufeffRank,".encode())


def test_xlsx_download_is_a_workbook(admin_client, scored):
    # A built file is sent from a temporary file that closing the response closes.
    with admin_client.get(f"/admin/calls/{scored.call.id}/exports/xlsx") as response:
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook["Scores"].max_row == 1 + len(scored.reviews)


@pytest.mark.parametrize("export_format", list(exporters.FORMATS))
def test_every_format_downloads_as_its_registry_entry_says(
    admin_client, admin, scored, export_format
):
    compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    chosen = exporters.FORMATS[export_format]
    with admin_client.get(f"/admin/calls/{scored.call.id}/exports/{export_format}") as response:
        body = response.get_data()
    assert response.status_code == 200 and body
    assert response.headers["Content-Type"] == chosen.content_type
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    assert options["filename"].startswith(f"{scored.call.slug}-{chosen.file_kind}-")
    assert options["filename"].endswith(f".{chosen.extension}")
    if chosen.build is not None:
        assert response.content_length == len(body)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_built_download_closes_its_temporary_file_with_the_response(
    admin_client, scored, monkeypatch, method
):
    files = []

    def temporary_file():
        files.append(real_temporary_file())
        return files[-1]

    real_temporary_file = tempfile.TemporaryFile
    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    response = admin_client.open(f"/admin/calls/{scored.call.id}/exports/xlsx", method=method)
    assert response.status_code == 200 and not files[0].closed  # the server sends it first
    response.close()
    assert files[0].closed


def test_the_exports_page_links_every_format_and_the_dossier_once_there_is_a_shortlist(
    admin_client, admin, scored
):
    def linked() -> set[str]:
        page = admin_client.get(f"/admin/calls/{scored.call.id}/exports").get_data(as_text=True)
        for chosen in exporters.FORMATS.values():
            assert str(chosen.label) in page
        return set(re.findall(rf'/admin/calls/{scored.call.id}/exports/(\w+)"', page))

    needing = {name for name, chosen in exporters.FORMATS.items() if chosen.needs_shortlist}
    assert needing and linked() == set(exporters.FORMATS) - needing
    compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    assert linked() == set(exporters.FORMATS)


def test_the_dossier_needs_a_shortlist_first(admin_client, scored):
    response = admin_client.get(f"/admin/calls/{scored.call.id}/exports/pdf", follow_redirects=True)
    assert "Compile a shortlist before exporting the dossier." in response.get_data(as_text=True)
    assert admin_client.get(f"/admin/calls/{scored.call.id}/exports/doc").status_code == 404


def test_a_background_export_leads_to_the_job_page(admin_client, scored, dispatched_tasks):
    response = admin_client.post(
        f"/admin/calls/{scored.call.id}/exports", data={"export_format": "xlsx"}
    )
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert dispatched_tasks[0][0] == "shortlists.export"
    refused = admin_client.post(
        f"/admin/calls/{scored.call.id}/exports",
        data={"export_format": "pdf"},
        follow_redirects=True,
    )
    assert "Compile a shortlist before exporting the dossier." in refused.get_data(as_text=True)


def test_pictures_are_accessible_svg_without_inline_style(admin_client, admin, scored):
    compile_now(actor=admin, call=scored.call, size=3, min_per_group=0, min_score=20)
    response = admin_client.get(f"/admin/calls/{scored.call.id}/charts")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<svg") == 3 + len(scored.call.criteria)
    assert page.count("<title id=") == page.count("<svg") == page.count("<desc id=")
    assert "style=" not in page and "<script" not in page.split("</main>")[0]
    assert "The numbers as a table" in page
    assert 'class="chart-line-min"' in page and 'class="chart-dot-in"' in page
    assert '<th scope="col">Reviewer</th>' in page


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_cities_and_reviewers_cannot_see_a_compiled_shortlist(client, admin, scored, role):
    from tests.client import log_in
    from tests.factories import make_reviewer

    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    owner = db.session.get(type(admin), scored.proposals[0].owner_id)
    user = owner if role == "applicant" else make_reviewer()
    db.session.commit()
    log_in(client, user)
    assert client.get(f"/admin/shortlists/{shortlist.id}").status_code == 403
    assert client.get(f"/admin/calls/{scored.call.id}/ranking").status_code == 403
    assert client.get(f"/admin/calls/{scored.call.id}/exports/csv").status_code == 403


def _compile_from_the_page(client, call, **fields):
    client.get(f"/admin/calls/{call.id}/shortlists")
    data = {"size": "3", "min_per_group": "0", "group_by": "continent", "method": "mean"}
    return client.post(f"/admin/calls/{call.id}/shortlists", data={**data, **fields})


def test_a_failed_compile_shows_only_the_failure_and_offers_to_compile_again(
    admin_client, scored, dispatched_tasks
):
    response = _compile_from_the_page(admin_client, scored.call, min_score="90")
    failed = db.session.query(Shortlist).one()
    compile_task(job_id=failed.job_id)
    db.session.expire_all()
    job_page = admin_client.get(response.headers["Location"])
    page = job_page.get_data(as_text=True)
    assert "being compiled" not in page
    assert "No shortlist was compiled" in page
    assert "Only 1 proposal can be chosen" in page
    assert "<progress" not in page and "Stopped by an error" not in page
    assert f'href="/admin/shortlists/{failed.id}"' in page
    retry = form_posting_to(page, f"/admin/shortlists/{failed.id}/compile-again")
    again = admin_client.post(
        f"/admin/shortlists/{failed.id}/compile-again", csrf_token=token_of(retry)
    )
    assert again.status_code == 302
    second = db.session.query(Shortlist).filter(Shortlist.id != failed.id).one()
    assert again.headers["Location"].endswith(f"/jobs/{second.job_id}/view")
    assert second.parameters == failed.parameters and second.job_id != failed.job_id
    assert dispatched_tasks[-1] == ("shortlists.compile", {"job_id": second.job_id})
    assert db.session.get(Shortlist, failed.id).state == ShortlistState.FAILED  # kept


def test_a_compile_stopped_by_an_error_says_so_and_can_be_compiled_again(
    admin_client, admin, scored, monkeypatch
):
    from app.shortlists import services

    def broken(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "solve", broken)
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    page = admin_client.get(f"/admin/shortlists/{shortlist.id}").get_data(as_text=True)
    assert "The compilation stopped on an unexpected error" in page
    assert "No shortlist meets these rules" not in page
    monkeypatch.undo()
    retry = form_posting_to(page, f"/admin/shortlists/{shortlist.id}/compile-again")
    admin_client.post(f"/admin/shortlists/{shortlist.id}/compile-again", csrf_token=token_of(retry))
    second = db.session.query(Shortlist).filter(Shortlist.id != shortlist.id).one()
    compile_task(job_id=second.job_id)
    db.session.expire_all()
    assert db.session.get(Shortlist, second.id).state == ShortlistState.COMPILED


def test_the_compile_form_defaults_fit_the_call_in_front_of_it(admin_client):
    # Twelve proposals from eight countries (as the demo had): ten cities, one per country,
    # cannot be met, so the form does not propose a per-country limit.
    countries = ["PT", "PT", "IT", "IT", "KE", "KE", "JP", "BR", "CA", "AU", "FR", "FR"]
    continents = ["Europe"] * 4 + ["Africa"] * 2 + ["Asia", "South America"]
    continents += ["North America", "Oceania", "Europe", "Europe"]
    scored = scored_call([city(f"C{n}", countries[n], continents[n], 3, 4) for n in range(12)])
    page = admin_client.get(f"/admin/calls/{scored.call.id}/shortlists").get_data(as_text=True)
    assert "12 proposals of this call have a review, from 8 countries on 6 continents" in page
    assert re.search(r'name="size"[^>]*value="10"', page)
    assert re.search(r'name="min_per_group"[^>]*value="1"', page)
    assert not re.search(r'name="max_per_country"[^>]*value="\d', page)
    small = scored_call([city(f"S{n}", c, "Europe", 3) for n, c in enumerate(["PT", "IT", "FR"])])
    page = admin_client.get(f"/admin/calls/{small.call.id}/shortlists").get_data(as_text=True)
    assert re.search(r'name="size"[^>]*value="3"', page)
    assert re.search(r'name="max_per_country"[^>]*value="1"', page)


def test_the_compile_form_counts_only_proposals_that_have_a_review(admin_client):
    # Three submitted, one still without any review (as on a call whose review just began):
    # it cannot be chosen, so the form proposes two cities, not three that would fail.
    cities = [city("Porto", "PT", "Europe", 4), city("Kyoto", "JP", "Asia", 3)]
    scored = scored_call([*cities, city("Dakar", "SN", "Africa")])
    page = admin_client.get(f"/admin/calls/{scored.call.id}/shortlists").get_data(as_text=True)
    assert "2 proposals of this call have a review" in page
    assert re.search(r'name="size"[^>]*value="2"', page)


def test_rules_that_cannot_be_met_together_are_refused_before_compiling(admin_client, scored):
    # The fixture's eight cities come from seven countries.
    response = _compile_from_the_page(
        admin_client, scored.call, size="8", max_per_country="1", min_score="12.5"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "8 cities with at most 1 per country needs 8 countries; this call has 7." in page
    assert 'id="max_per_country-error"' in page
    assert re.search(r'name="min_score"[^>]*value="12.5', page)  # nothing entered is lost
    assert db.session.query(Shortlist).count() == 0
    response = _compile_from_the_page(admin_client, scored.call, size="5", min_per_group="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "At least 1 from each of 6 regions needs 6 cities, more than the 5 asked for." in page
    assert _compile_from_the_page(admin_client, scored.call, size="9").status_code == 400
    assert db.session.query(Shortlist).count() == 0


def test_the_preview_lists_changed_reviews_missing_reviews_and_open_questions(
    admin_client, admin, scored
):
    from app.proposals.models import Clarification
    from tests.factories import make_assignment, make_reviewer

    scored.call.reviews_per_proposal = 2
    shortlist = compile_now(actor=admin, call=scored.call, size=3, min_per_group=0)
    lisbon, turin, perth = scored.proposals[0], scored.proposals[2], scored.proposals[-1]
    for review in scored.reviews:
        if review.assignment.proposal_id == perth.id:
            for score in review.scores:
                score.value = score.scale_max
    make_assignment(proposal=turin, reviewer=make_reviewer())  # a third review, still due
    db.session.add(
        Clarification(proposal_id=lisbon.id, question="Who runs the venue?", asked_by_id=admin.id)
    )
    db.session.commit()
    page, form = _publish_form(admin_client, shortlist)
    assert "Reviews changed since this shortlist was compiled." in page
    assert re.search(r"Perth.*2 counted reviews, changed since", page, re.S)
    assert re.search(r"Proposals with missing reviews \(1\).*Turin.*2 of 3 reviews", page, re.S)
    assert re.search(
        r"Open clarification questions \(1\).*Lisbon.*Who runs the venue\?", page, re.S
    )
    assert form_posting_to(page, f"/admin/shortlists/{shortlist.id}/compile-again")

    path = f"/admin/shortlists/{shortlist.id}/publish"
    refused = admin_client.post(path, data={"confirm": "y"}, csrf_token=token_of(form))
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'id="changes_reason-error"' in text and "compile it again, or say why" in text
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.COMPILED
    reason = "The jury decided on the scores of 1 March"
    response = admin_client.post(path, data={"confirm": "y", "changes_reason": reason})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.PUBLISHED


def test_a_downloaded_export_is_in_the_audit_trail(admin_client, scored):
    from app.audit.models import AuditEntry

    response = admin_client.get(f"/admin/calls/{scored.call.id}/exports/json")
    response.get_data()
    (entry,) = db.session.query(AuditEntry).filter_by(action="call.exported").all()
    assert entry.details["format"] == "json" and entry.object_id == scored.call.id
