"""The API's rankings, shortlists, compilations, exports and jobs: the ranking page's own
numbers, a compilation and an export started by a program and followed through their job
to the shortlist and the file, and nothing of it for anyone but administrators."""

from __future__ import annotations

import html
import re

import pytest

from app.calls.models import CallState
from app.extensions import db
from app.reviews.numbers import format_score, format_spread
from tests.api.helpers import bearer, token_of
from tests.factories import make_user
from tests.querycount import count_queries
from tests.shortlists.helpers import city, scored_call
from workers.shortlists import compile_shortlist as compile_task
from workers.shortlists import export_call as export_task

CITIES = [
    city("Lisbon", "PT", "Europe", 5, 5, 4),
    city("Porto", "PT", "Europe", 5, 4, 2),
    city("Turin", "IT", "Europe", 4, 4),
    city("Nairobi", "KE", "Africa", 3, 5, 1),
    city("Osaka", "JP", "Asia", 3, 3),
    city("Recife", "BR", "South America", 2, 3),
    city("Montreal", "CA", "North America", 2),
    city("Perth", "AU", "Oceania", 1, 2, 3),
]


@pytest.fixture
def scored(app_context):
    result = scored_call(CITIES)
    db.session.commit()
    return result


@pytest.fixture
def admin_token(admin) -> dict[str, str]:
    return bearer(token_of(admin, can_write=True))


def _page_rows(page: str) -> list[list[str]]:
    """The ranking table's rows, each cell's text as a reader sees it."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in cells])
    return [[" ".join(words) for words in row] for row in rows]


def _as_page_shows(ranking: dict, *, calibrated: bool) -> list[list[str]]:
    """The API's numbers written as the page writes them, in the page's columns."""
    rows = []
    for p in ranking["proposals"]:
        cells = [str(p["rank"]), p["city"], format_score(p["total"])]
        if calibrated:
            cells += [format_score(p["total_calibrated"]), str(p["raw_rank"])]
        cells.append(format_spread(p["spread"]))
        cells.append(str(p["reviews_submitted"]))
        cells.append(str(p["reviews_missing"]))
        cells += [format_score(p["criteria"][c["key"]]) for c in ranking["criteria"]]
        rows.append(cells)
    return rows


def _page_cells(page: str, *, calibrated: bool) -> list[list[str]]:
    spread_column = 5 if calibrated else 3
    rows = []
    for row in _page_rows(page):
        city_words = row[1].split()
        row[1] = city_words[0]  # the city, before its country and continent
        row[spread_column] = row[spread_column].split()[0]  # "-" before why, or "disagree"
        row[spread_column + 1] = row[spread_column + 1].split()[0]  # "(+1)" pending
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("page_query", "api_query", "calibrated"),
    [
        ("", "", False),
        ("?method=median", "?method=median", False),
        (
            "?calibrate=y&min_reviews_for_calibration=1",
            "?calibrate=true&min_reviews_for_calibration=1",
            True,
        ),
    ],
)
def test_the_ranking_has_the_numbers_of_the_ranking_page(
    admin_client, admin_token, scored, page_query, api_query, calibrated
):
    call_id = scored.call.id
    page = admin_client.get(f"/admin/calls/{call_id}/ranking{page_query}")
    assert page.status_code == 200
    response = admin_client.get(f"/api/v1/calls/{call_id}/ranking{api_query}", headers=admin_token)
    assert response.status_code == 200
    ranking = response.get_json()

    assert len(ranking["proposals"]) == len(CITIES)
    assert _as_page_shows(ranking, calibrated=calibrated) == _page_cells(
        page.get_data(as_text=True), calibrated=calibrated
    )
    first = ranking["proposals"][0]
    assert (first["city"], first["country_code"], first["continent"]) == ("Lisbon", "PT", "Europe")
    assert ranking["options"]["calibrate"] is calibrated
    assert (first["total_calibrated"] is None) is not calibrated
    assert set(first["criteria"]) == {criterion.key for criterion in scored.call.criteria}


def test_the_ranking_refuses_the_options_its_page_refuses(admin_client, admin_token, scored):
    path = f"/api/v1/calls/{scored.call.id}/ranking"
    for query, field in (
        ("?method=mode", "method"),
        ("?method=median&weight_by_confidence=true", "weight_by_confidence"),
        ("?min_reviews_for_calibration=0", "min_reviews_for_calibration"),
    ):
        refused = admin_client.get(path + query, headers=admin_token)
        assert refused.status_code == 422, query
        assert refused.get_json()["error"]["code"] == "invalid_input"
        assert field in refused.get_json()["error"]["fields"], query


def test_the_ranking_answers_304_to_its_own_etag(admin_client, admin_token, scored):
    path = f"/api/v1/calls/{scored.call.id}/ranking"
    first = admin_client.get(path, headers=admin_token)
    again = admin_client.get(path, headers={**admin_token, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = admin_client.get(
        path + "?method=median", headers={**admin_token, "If-None-Match": first.headers["ETag"]}
    )
    assert other.status_code == 200


def _statements_of(client, headers, path: str) -> int:
    db.session.expire_all()
    with count_queries() as counted:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return counted.count


def test_the_ranking_and_shortlists_run_as_many_statements_for_30_proposals_as_for_3(
    client, admin, admin_token
):
    client.get("/api/v1/calls", headers=admin_token)  # the token's first use is written once
    counts = []
    for size in (3, 30):
        countries = [f"X{chr(65 + n % 26)}" for n in range(size)]
        cities = [city(f"City {n}", countries[n], "Europe", 1 + n % 5, 2) for n in range(size)]
        call = scored_call(cities).call
        db.session.commit()
        paths = (f"/api/v1/calls/{call.id}/ranking", f"/api/v1/calls/{call.id}/shortlists")
        counts.append([_statements_of(client, admin_token, path) for path in paths])
    assert counts[0] == counts[1], counts


# --- compiling ------------------------------------------------------------------------------


def _compile(client, headers, call_id: int, **rules):
    return client.post(f"/api/v1/calls/{call_id}/shortlists", json=rules, headers=headers)


def _follow(client, headers, response) -> dict:
    """The job the 202 names, read again."""
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert response.headers["Location"] == job["links"]["self"] == f"/api/v1/jobs/{job['id']}"
    return client.get(job["links"]["self"], headers=headers).get_json()


def test_a_program_compiles_a_shortlist_follows_its_job_and_reads_it(
    admin_client, admin_token, scored, dispatched_tasks
):
    call_id = scored.call.id
    started = _compile(
        admin_client, admin_token, call_id, size=4, min_per_group=0, max_per_country=1
    )
    job = _follow(admin_client, admin_token, started)
    assert (job["kind"], job["state"], job["result"]) == ("shortlist_compile", "queued", None)
    assert dispatched_tasks == [("shortlists.compile", {"job_id": job["id"]})]

    compile_task(job_id=job["id"])  # as a worker runs it
    db.session.expire_all()
    job = admin_client.get(job["links"]["self"], headers=admin_token).get_json()
    assert (job["state"], job["progress"]) == ("succeeded", 100)
    assert job["finished_at"] and job["message"]

    shortlist = admin_client.get(job["links"]["shortlist"], headers=admin_token).get_json()
    assert shortlist["state"] == "compiled" and shortlist["size"] == 4
    assert shortlist["parameters"]["size"] == 4
    chosen = [entry["city"] for entry in shortlist["entries"] if entry["included"]]
    assert chosen == ["Lisbon", "Turin", "Nairobi", "Osaka"]  # one per country
    porto = next(entry for entry in shortlist["entries"] if entry["city"] == "Porto")
    assert porto["why_code"] == "country_taken" and "PT" in porto["why"]
    page = admin_client.get(f"/admin/shortlists/{shortlist['id']}").get_data(as_text=True)
    for entry in shortlist["entries"]:
        assert html.escape(entry["why"], quote=False) in page, entry["why"]

    (listed,) = admin_client.get(
        f"/api/v1/calls/{call_id}/shortlists", headers=admin_token
    ).get_json()
    assert (listed["id"], listed["size"], listed["state"]) == (shortlist["id"], 4, "compiled")
    assert listed["published_at"] is None


def test_compile_rules_are_refused_as_the_form_refuses_them(admin_client, admin_token, scored):
    call_id = scored.call.id
    for rules, field in (
        ({"size": 0}, "size"),
        ({"size": "many"}, "size"),
        ({"min_per_group": 2, "max_per_group": 1}, "max_per_group"),
        ({"size": 2, "min_groups": 3}, "min_groups"),
        ({"group_by": "planet"}, "group_by"),
        ({"sizes": 3}, "sizes"),
        # More cities than the call's reviewed proposals: said before compiling.
        ({"size": 20, "max_per_country": None, "min_per_group": 0}, "size"),
    ):
        refused = _compile(admin_client, admin_token, call_id, **rules)
        assert refused.status_code == 422, rules
        error = refused.get_json()["error"]
        assert error["code"] == "invalid_input" and field in error["fields"], (rules, error)
    assert (
        admin_client.get(f"/api/v1/calls/{call_id}/shortlists", headers=admin_token).get_json()
        == []
    )


def test_a_call_already_decided_refuses_a_compilation_with_the_services_error(
    admin_client, admin_token, app_context
):
    call = scored_call(CITIES[:3], state=CallState.DECIDED).call
    db.session.commit()
    refused = _compile(admin_client, admin_token, call.id, size=1, max_per_country=None)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "call_decided"


# --- exports and their files ----------------------------------------------------------------


def test_a_program_exports_the_reviews_as_csv_and_downloads_the_file(
    admin_client, admin_token, scored
):
    started = admin_client.post(
        f"/api/v1/calls/{scored.call.id}/exports", json={"format": "csv"}, headers=admin_token
    )
    job = _follow(admin_client, admin_token, started)
    assert job["kind"] == "call_export" and job["result"] is None
    waiting = admin_client.get(f"/api/v1/jobs/{job['id']}/result", headers=admin_token)
    assert waiting.status_code == 409
    assert waiting.get_json()["error"]["code"] == "not_ready"

    export_task(job_id=job["id"])
    db.session.expire_all()
    job = admin_client.get(job["links"]["self"], headers=admin_token).get_json()
    assert job["state"] == "succeeded"
    assert job["result"]["url"] == f"/api/v1/jobs/{job['id']}/result"
    assert job["result"]["name"].startswith(f"{scored.call.slug}-reviews-")
    with admin_client.get(job["result"]["url"], headers=admin_token) as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"].startswith("text/csv")
        assert download.get_data().startswith("\ufeffRank,".encode())


@pytest.mark.parametrize("export_format", ["csv", "xlsx", "json"])
def test_each_file_comes_in_a_type_the_document_names(
    admin_client, admin_token, scored, export_format
):
    document = admin_client.get("/api/v1/openapi.json").get_json()
    documented = document["paths"]["/api/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]
    job = admin_client.post(
        f"/api/v1/calls/{scored.call.id}/exports",
        json={"format": export_format},
        headers=admin_token,
    ).get_json()
    export_task(job_id=job["id"])
    with admin_client.get(f"/api/v1/jobs/{job['id']}/result", headers=admin_token) as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] in documented["content"]
        assert download.headers["Content-Disposition"].startswith("attachment")


def test_an_export_refuses_an_unknown_format_and_a_dossier_without_shortlist(
    admin_client, admin_token, scored
):
    path = f"/api/v1/calls/{scored.call.id}/exports"
    unknown = admin_client.post(path, json={"format": "doc"}, headers=admin_token)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["field"] == "format"
    dossier = admin_client.post(path, json={"format": "pdf"}, headers=admin_token)
    assert dossier.status_code == 400
    assert dossier.get_json()["error"]["code"] == "no_shortlist"


def test_a_failed_job_has_no_file(admin_client, admin, admin_token, scored):
    started = admin_client.post(
        f"/api/v1/calls/{scored.call.id}/exports", json={"format": "csv"}, headers=admin_token
    )
    job = started.get_json()
    from app.jobs.models import Job
    from app.jobs.services import fail_job

    fail_job(db.session.get(Job, job["id"]), message="Stopped.")
    db.session.commit()
    missing = admin_client.get(f"/api/v1/jobs/{job['id']}/result", headers=admin_token)
    assert missing.status_code == 404
    assert admin_client.get(job["links"]["self"], headers=admin_token).get_json()["state"] == (
        "failed"
    )


# --- who may ----------------------------------------------------------------------------------


def test_a_read_only_token_starts_nothing(client, admin, scored):
    read_only = bearer(token_of(admin))
    assert client.get(f"/api/v1/calls/{scored.call.id}/ranking", headers=read_only).status_code == (
        200
    )
    for path, body in (
        (f"/api/v1/calls/{scored.call.id}/shortlists", {"size": 3}),
        (f"/api/v1/calls/{scored.call.id}/exports", {"format": "csv"}),
    ):
        refused = client.post(path, json=body, headers=read_only)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "read_only_token"


def test_a_citys_token_finds_none_of_it(client, admin, admin_token, scored):
    call_id = scored.call.id
    job = client.post(
        f"/api/v1/calls/{call_id}/exports", json={"format": "csv"}, headers=admin_token
    ).get_json()
    listed = _compile(client, admin_token, call_id, size=3, min_per_group=0).get_json()
    shortlist_id = listed["links"]["shortlist"].rsplit("/", 1)[1]
    city_token = bearer(token_of(make_user(), can_write=True))
    for method, path, body in (
        ("GET", f"/api/v1/calls/{call_id}/ranking", None),
        ("GET", f"/api/v1/calls/{call_id}/shortlists", None),
        ("POST", f"/api/v1/calls/{call_id}/shortlists", {"size": 3}),
        ("GET", f"/api/v1/shortlists/{shortlist_id}", None),
        ("POST", f"/api/v1/calls/{call_id}/exports", {"format": "csv"}),
        ("GET", f"/api/v1/jobs/{job['id']}", None),
        ("GET", f"/api/v1/jobs/{job['id']}/result", None),
    ):
        response = client.open(path, method=method, json=body, headers=city_token)
        assert response.status_code == 404, (method, path)
        assert response.get_json()["error"]["code"] == "not_found"
