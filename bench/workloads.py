"""What `python -m bench run` measures, one function per line group of the table (issue 8).

Each `measure_<name>(context)` returns rows with their budget; a feature that does not
exist yet gives "not available yet", never a made-up figure. Times over HTTP are taken
against the gunicorn server (2 sync workers); SQL statements are counted in-process with
the Flask test client and a `before_cursor_execute` listener on the engine.
"""

from __future__ import annotations

import importlib
import io
import random
import re
import time
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.sessions import login_id, start_session
from app.extensions import db
from bench.harness import (
    BENCH_REDIS_URL,
    BenchContext,
    CeleryWorker,
    Row,
    counting_queries,
    free_port,
    http_get,
    http_request,
    median,
    run_load,
    session_cookie,
    time_http,
)
from bench.seed import (
    BENCH_ADMIN_EMAIL,
    BENCH_EMAIL_DOMAIN,
    BENCH_PASSWORD,
    BENCH_SLUG,
    BENCH_TOTP_SECRET,
    CITIES,
    RANDOM_SEED,
    TextMaker,
    drop_accounts,
)

PROPOSAL_LINK = re.compile(rb"/admin/proposals/(\d+)")


def _path(context: BenchContext, endpoint: str, **values: Any) -> str:
    with context.app.test_request_context():
        return url_for(endpoint, **values)


def _has_endpoint(context: BenchContext, endpoint: str) -> bool:
    return endpoint in context.app.view_functions


def _module(name: str):
    """The module if it exists yet, else None (another helper may still be writing it)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None
        raise


def _admin() -> User:
    return db.session.scalar(select(User).where(User.email == BENCH_ADMIN_EMAIL))


def admin_cookie(context: BenchContext) -> str:
    """The bench administrator logs in through the gunicorn server's login form.

    A real login (not a forged cookie), so the web worker pays what a login costs,
    password hashing included, and its peak memory shows it.
    """
    app = context.app
    name = app.config["SESSION_COOKIE_NAME"]
    login_url = context.server.base_url + _path(context, "accounts.login")
    status, headers, body = http_get(login_url)
    cookie = session_cookie(headers, name)
    parser = FormParser()
    parser.feed(body.decode())
    form = next(f for f in parser.forms if any(x.get("type") == "password" for x in f["fields"]))
    data = {field["name"]: field.get("value", "") for field in form["fields"] if field.get("name")}
    for field in form["fields"]:
        if field.get("type") == "email" or field.get("name") == "email":
            data[field["name"]] = BENCH_ADMIN_EMAIL
        elif field.get("type") == "password":
            data[field["name"]] = BENCH_PASSWORD
        elif field.get("type") == "checkbox":
            data.pop(field["name"], None)
    action = form["action"] or urlsplit(login_url).path
    status, headers, _body = http_request(
        "POST", context.server.base_url + action, cookie=cookie, form=data
    )
    cookie = session_cookie(headers, name) or cookie
    challenge_url = context.server.base_url + _path(context, "accounts.two_factor_challenge")
    if status == 302 and headers.get("Location", "").endswith(urlsplit(challenge_url).path):
        # Administrators type the code of their authenticator after the password.
        status, headers = _answer_challenge(challenge_url, cookie, name)
    logged_in = session_cookie(headers, name)
    if status != 302 or logged_in is None:
        raise RuntimeError(f"the bench administrator could not log in (HTTP {status})")
    return logged_in


def _answer_challenge(url: str, cookie: str, cookie_name: str):
    import pyotp

    status, headers, body = http_get(url, cookie=cookie)
    parser = FormParser()
    parser.feed(body.decode())
    form = next(f for f in parser.forms if any(x.get("name") == "code" for x in f["fields"]))
    data = {field["name"]: field.get("value", "") for field in form["fields"] if field.get("name")}
    data["code"] = pyotp.TOTP(BENCH_TOTP_SECRET).now()
    cookie = session_cookie(headers, cookie_name) or cookie
    status, headers, _body = http_request("POST", url, cookie=cookie, form=data)
    return status, headers


def admin_client(context: BenchContext) -> FlaskClient:
    client = context.app.test_client()
    # A session of its own, as the login form starts (app/accounts/sessions.py).
    admin = _admin()
    _session, key = start_session(user=admin, user_agent="", address=None, remembered=False)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_id(admin, key)
        session["_fresh"] = True
    return client


def serve(client: FlaskClient, method: str, path: str, data: dict | None = None):
    """One in-process request with its own application context, as a server gives each.

    The bench keeps an application context open; a request would reuse it, and with it
    `g` (the logged-in user, the CSRF token, the locale) of the request before.
    """
    with client.application.app_context():
        response = client.open(path, method=method, data=data)
        response.get_data()  # a streamed body runs its statements as it is read
    return response


def counted_get(context: BenchContext, client: FlaskClient, path: str) -> tuple[int, float, bytes]:
    """Queries and seconds of one in-process GET (after one warm-up GET)."""
    serve(client, "GET", path)
    db.session.remove()
    with counting_queries(db.engine) as counted:
        started = time.perf_counter()
        response = serve(client, "GET", path)
        body = response.get_data()
        elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return counted.count, elapsed, body


# --------------------------------------------------------------------------- public page


def measure_public(context: BenchContext) -> list[Row]:
    budget = ">= 25 % of hello-world"
    measure = "public call page, 8 clients"
    if not _has_endpoint(context, "calls.public_call"):
        return [Row.unavailable(measure, budget, "no calls.public_call endpoint")]
    page_url = context.server.base_url + _path(context, "calls.public_call", slug=BENCH_SLUG)
    hello_url = context.hello.base_url + "/"
    time_http(page_url, runs=1)  # answers 200, or the measure stops here
    run_load(hello_url, seconds=1)
    run_load(page_url, seconds=1)
    page_runs, hello_runs = [], []
    for _ in range(context.runs):
        hello_runs.append(run_load(hello_url, seconds=context.duration))
        page_runs.append(run_load(page_url, seconds=context.duration))
    errors = sum(run.errors for run in page_runs + hello_runs)
    page = {
        key: median([getattr(run, key) for run in page_runs])
        for key in ("requests_per_second", "p50_ms", "p95_ms")
    }
    hello = {
        key: median([getattr(run, key) for run in hello_runs])
        for key in ("requests_per_second", "p50_ms", "p95_ms")
    }
    ratio = page["requests_per_second"] / hello["requests_per_second"]
    return [
        Row(
            "hello-world (yardstick), 8 clients",
            f"{hello['requests_per_second']:.0f} req/s, p50 {hello['p50_ms']:.1f} ms, "
            f"p95 {hello['p95_ms']:.1f} ms",
            "-",
            "-",
            hello,
        ),
        Row.judged(
            measure,
            f"{page['requests_per_second']:.0f} req/s, p50 {page['p50_ms']:.1f} ms, "
            f"p95 {page['p95_ms']:.1f} ms = {ratio:.0%} of hello-world",
            budget,
            ratio >= 0.25 and errors == 0,
            ratio=ratio,
            errors=errors,
            **page,
        ),
    ]


# --------------------------------------------------------------------------- lists


def _list_row(
    context: BenchContext, measure: str, endpoint: str, values: dict[str, Any], expected: int
) -> Row:
    budget = "< 0.3 s, <= 10 queries"
    if not _has_endpoint(context, endpoint):
        return Row.unavailable(measure, budget, f"no {endpoint} endpoint")
    path = _path(context, endpoint, **values)
    queries, in_process, _body = counted_get(context, admin_client(context), path)
    timed = time_http(
        context.server.base_url + path, runs=context.runs, cookie=context.admin_cookie
    )
    shown = len(set(PROPOSAL_LINK.findall(timed.body)))
    complete = shown >= expected
    result = f"{timed.median:.3f} s over HTTP, {queries} queries, {shown} rows"
    if not complete:
        result += f" (expected {expected})"
    return Row.judged(
        measure,
        result,
        budget,
        timed.median < 0.3 and queries <= 10 and complete,
        http_seconds=timed.seconds,
        in_process_seconds=in_process,
        queries=queries,
        rows_shown=shown,
        bytes=len(timed.body),
    )


def measure_lists(context: BenchContext) -> list[Row]:
    expected = _bench_proposal_count(context)
    call_id = context.call_id
    return [
        _list_row(
            context,
            "proposal list, all rows",
            "proposals.admin_list",
            {"call_id": call_id, "all": 1},
            expected,
        ),
        _list_row(
            context,
            "proposal list, all rows, filtered",
            "proposals.admin_list",
            {"call_id": call_id, "all": 1, "state": "submitted", "q": "city"},
            expected,
        ),
        _list_row(
            context,
            "review dashboard, all rows",
            "reviews.dashboard",
            {"call_id": call_id, "all": 1},
            expected,
        ),
    ]


def _bench_proposal_count(context: BenchContext) -> int:
    from sqlalchemy import func

    from app.proposals.models import Proposal

    return db.session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.call_id == context.call_id)
    )


# --------------------------------------------------------------------------- exports


EXPORT_BUDGETS = {
    "csv": (1.0, "< 1 s, constant queries"),
    "xlsx": (3.0, "< 3 s, constant queries"),
    "json": (None, "constant queries"),
}
# "A constant number": the query-count tests prove it does not grow with the rows; here
# a small fixed ceiling catches a statement per row or per review at once.
CONSTANT_QUERIES = 10
EXPORT_RUNS = 3  # each a few seconds: three keep the bench within minutes


def measure_exports(context: BenchContext) -> list[Row]:
    """Each format through the administrators' download (HTTP, so the web worker's memory
    sees it) and through the exporter function in-process (queries, size)."""
    exporters = _module("app.shortlists.exporters")
    rows = []
    for kind, (seconds_budget, budget) in EXPORT_BUDGETS.items():
        measure = f"export of all reviews, {kind.upper()}"
        if exporters is None or not hasattr(exporters, "write_export"):
            rows.append(Row.unavailable(measure, budget, "no app.shortlists.exporters"))
            continue
        rows.append(_export_row(context, exporters, kind, measure, seconds_budget, budget))
    return rows


def _export_row(context, exporters, kind, measure, seconds_budget, budget) -> Row:
    from app.calls.models import Call

    runs = min(context.runs, EXPORT_RUNS)
    in_process, size, queries = [], 0, 0
    for _ in range(runs):
        db.session.remove()
        call = db.session.get(Call, context.call_id)
        out = io.BytesIO()
        with counting_queries(db.engine) as counted:
            started = time.perf_counter()
            exporters.write_export(kind, call=call, out=out)
            in_process.append(time.perf_counter() - started)
        size, queries = out.tell(), counted.count
    reviews = _submitted_review_count(context)
    http = None
    if _has_endpoint(context, "shortlists.download_export"):
        path = _path(
            context, "shortlists.download_export", call_id=context.call_id, export_format=kind
        )
        http = time_http(context.server.base_url + path, runs=runs, cookie=context.admin_cookie)
    seconds = http.median if http else median(in_process)
    where = "over HTTP" if http else "in-process"
    result = (
        f"{seconds:.2f} s {where} ({median(in_process):.2f} s in-process), "
        f"{size / 1e6:.1f} MB, {queries} queries, {reviews:,} reviews"
    )
    met = queries <= CONSTANT_QUERIES and (seconds_budget is None or seconds < seconds_budget)
    return Row.judged(
        measure,
        result,
        budget,
        met,
        http_seconds=http.seconds if http else None,
        in_process_seconds=in_process,
        bytes=size,
        queries=queries,
        reviews=reviews,
    )


def _submitted_review_count(context: BenchContext) -> int:
    from sqlalchemy import func

    from app.proposals.models import Proposal
    from app.reviews.models import Assignment, Review, ReviewState

    return db.session.scalar(
        select(func.count())
        .select_from(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == context.call_id, Review.state == ReviewState.SUBMITTED)
    )


# --------------------------------------------------------------------------- one proposal


APPLY_BUDGET = "< 0.3 s"
APPLY_QUERIES_MEASURE = "one new proposal: queries per request of the form"
APPLY_QUERIES_BUDGET = "<= 3 a form page, <= 4 a save"
# The city's form keeps a page per section and a draft saved at every step, so the flow's
# budget is per request: the person's account and proposal read, the proposal written.
FORM_PAGE_QUERIES = 3
FORM_SAVE_QUERIES = 4
APPLICANT_EMAILS = f"apply-%@{BENCH_EMAIL_DOMAIN}"
APPLY_MEASURE = "one new proposal over HTTP (register, fill, submit)"


class FormParser(HTMLParser):
    """The forms of a page as a browser sees them: action, method, fields and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
                "buttons": [],
            }
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self._form["buttons"].append(a)
            else:
                fields.append({"tag": "input", **a, "type": kind})
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form["buttons"].append(a)
        elif tag == "textarea":
            self._textarea = {"tag": "textarea", **a, "value": ""}
            fields.append(self._textarea)
        elif tag == "select":
            self._select = {"tag": "select", **a, "options": [], "value": None}
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data


class Browser:
    """Fills a page's main form as a careful person would, through the Flask test client.

    Every request is timed and its SQL statements counted; looking up the confirmation
    link (what the person would read in their mailbox) is not.
    """

    def __init__(self, context: BenchContext, email: str, password: str):
        self.client = context.app.test_client()
        self.email = email
        self.password = password
        self.text = TextMaker(random.Random(RANDOM_SEED))
        self.city = CITIES[0]
        self.requests: list[tuple[str, str, int, float, int]] = []

    def request(self, method: str, path: str, data: dict | None = None):
        db.session.remove()
        with counting_queries(db.engine) as counted:
            started = time.perf_counter()
            response = serve(self.client, method, path, data)
            elapsed = time.perf_counter() - started
        self.requests.append((method, path, response.status_code, elapsed, counted.count))
        if response.status_code >= 400 or (method == "POST" and response.status_code == 200):
            errors = re.findall(
                r'class="error-message"[^>]*>(.*?)<', response.get_data(as_text=True), re.S
            )
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {errors}")
        return response

    def get(self, path: str):
        return self.request("GET", path)

    def fill_and_post(self, page_path: str, page) -> Any:
        """POST the page's main form (the POST form with the most fields), filled in."""
        parser = FormParser()
        parser.feed(page.get_data(as_text=True))
        forms = [
            form
            for form in parser.forms
            if form["method"] == "post"
            and not any(skip in form["action"] for skip in ("/locale", "/logout"))
            and not any(field.get("type") == "file" for field in form["fields"])
        ]
        if not forms:
            return None
        form = max(forms, key=lambda candidate: len(candidate["fields"]))
        data = self.values(form)
        return self.request("POST", form["action"] or page_path, data)

    def values(self, form: dict[str, Any]) -> dict[str, str]:
        data: dict[str, str] = {}
        for field in form["fields"]:
            name = field.get("name")
            if not name:
                continue
            value = self.value_for(field)
            if value is not None and (field.get("type") != "radio" or name not in data):
                data[name] = value
        buttons = [button for button in form["buttons"] if button.get("name")]
        for button in buttons:
            if button.get("value") == "next":
                data[button["name"]] = "next"
                break
        return data

    def value_for(self, field: dict[str, Any]) -> str | None:
        kind, name = field.get("type", ""), field.get("name", "")
        limit = int(field["maxlength"]) if field.get("maxlength", "").isdigit() else None
        if field["tag"] == "select":
            if field["value"]:
                return field["value"]
            if "country" in name:
                return self.city.country_code
            return next((option for option in field["options"] if option), "")
        if field["tag"] == "textarea":
            if field["value"].strip():
                return field["value"]
            if "address" in name:
                return f"12 Market Street, {self.city.city}"
            # A narrative answer is long; other notes are a paragraph.
            words = (150, 300) if name.startswith("narrative") else (40, 90)
            text = self.text.paragraph(self.city, min_words=words[0], max_words=words[1])
            return text[: limit or 2000].rsplit(" ", 1)[0]
        if kind in ("hidden",) or field.get("value"):
            return field.get("value", "")
        if kind == "radio":
            return field.get("value")
        if kind == "checkbox":
            return field.get("value") or "y"
        if kind == "email":
            return self.email
        if kind == "password":
            return self.password
        if kind == "tel":
            return "+351 21 000 0000"
        if kind == "number":
            return "70"
        samples = {
            "city": self.city.city,
            "region": self.city.region,
            "email_domain": BENCH_EMAIL_DOMAIN,
            "organisation": f"City of {self.city.city}",
            "name": "Ana Bench",
        }
        for key, sample in samples.items():
            if key in name:
                return sample
        return "Tuesday to Saturday, 10:00-21:00"

    def follow(self, response):
        """GET where a redirect points, as a browser would."""
        while response is not None and response.status_code in (301, 302, 303):
            location = urlsplit(response.headers["Location"])
            response = self.get(location.path + (f"?{location.query}" if location.query else ""))
        return response


def measure_apply(context: BenchContext) -> list[Row]:
    needed = ("accounts.register", "accounts.verify_email", "accounts.login")
    needed += ("proposals.start", "proposals.edit_section", "proposals.submit")
    missing = [endpoint for endpoint in needed if not _has_endpoint(context, endpoint)]
    if missing:
        reason = f"no {', '.join(missing)}"
        return [
            Row.unavailable(APPLY_MEASURE, APPLY_BUDGET, reason),
            Row.unavailable(APPLY_QUERIES_MEASURE, APPLY_QUERIES_BUDGET, reason),
        ]
    # A first city warms the process up (templates compiled, caches filled), as the first
    # visitors of a running server would; the figure is the median of the cities after it.
    flows: list[Browser] = []
    try:
        for number in range(context.runs + 1):
            email = f"apply-{int(time.time() * 1000)}-{number}@{BENCH_EMAIL_DOMAIN}"
            browser = Browser(context, email, "a long bench passphrase 2026")
            _apply_flow(context, browser)
            flows.append(browser)
    finally:
        # The new cities and their proposals go, so the workload stays at its size.
        db.session.rollback()
        drop_accounts(APPLICANT_EMAILS)
        db.session.commit()
    measured = sorted(flows[1:], key=lambda flow: sum(r[3] for r in flow.requests))
    browser = measured[len(measured) // 2]
    posts = [request for request in browser.requests if request[0] == "POST"]
    total_seconds = sum(request[3] for request in browser.requests)
    total_queries = sum(request[4] for request in browser.requests)
    post_seconds = sum(request[3] for request in posts)
    post_queries = sum(request[4] for request in posts)
    phases = _apply_phases(browser.requests)
    described = ", ".join(
        f"{name} {len(requests)} requests {sum(r[4] for r in requests)} queries"
        for name, requests in phases.items()
    )
    most = max(browser.requests, key=lambda request: request[4])
    form_pages, form_saves = _form_requests(browser.requests)
    most_page = max((request[4] for request in form_pages), default=0)
    most_save = max((request[4] for request in form_saves), default=0)
    return [
        Row.judged(
            APPLY_MEASURE,
            f"{total_seconds:.3f} s, {total_queries} queries in {len(browser.requests)} "
            f"requests ({described}; at most {most[4]} in one request, {most[0]} "
            f"{_generic_path(most[1])}; {len(posts)} POSTs: {post_queries} queries)",
            APPLY_BUDGET,
            total_seconds < 0.3,
            seconds=total_seconds,
            queries=total_queries,
            post_seconds=post_seconds,
            post_queries=post_queries,
            phases={
                name: {"requests": len(requests), "queries": sum(r[4] for r in requests)}
                for name, requests in phases.items()
            },
            all_runs_seconds=[sum(r[3] for r in flow.requests) for flow in flows[1:]],
            warm_up_seconds=sum(r[3] for r in flows[0].requests),
            requests=[
                {"method": m, "path": p, "status": s, "seconds": t, "queries": q}
                for m, p, s, t, q in browser.requests
            ],
        ),
        Row.judged(
            APPLY_QUERIES_MEASURE,
            f"form pages at most {most_page}, saves at most {most_save} "
            f"({_queries_per_request(browser.requests)})",
            APPLY_QUERIES_BUDGET,
            most_page <= FORM_PAGE_QUERIES and most_save <= FORM_SAVE_QUERIES,
            most_page_queries=most_page,
            most_save_queries=most_save,
        ),
    ]


def _form_requests(requests: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The pages of the city's form (a section each) and the saves of those pages."""
    sections = [request for request in requests if "/sections/" in request[1]]
    return (
        [request for request in sections if request[0] == "GET"],
        [request for request in sections if request[0] == "POST"],
    )


def _queries_per_request(requests: list[tuple]) -> str:
    return ", ".join(f"{m} {_generic_path(p)} {q}" for m, p, _s, _t, q in requests)


def _generic_path(path: str) -> str:
    path = re.sub(r"/verify-email/[^/?]+", "/verify-email/<token>", path)
    return re.sub(r"/\d+/", "/<id>/", path.split("?")[0])


def _apply_phases(requests: list[tuple]) -> dict[str, list[tuple]]:
    """The flow's requests in its three parts: the account, filling the form, submitting."""
    phases: dict[str, list[tuple]] = {"account": [], "fill": [], "submit": []}
    for request in requests:
        path = request[1].split("?")[0]  # "/login?next=/calls/x/apply" is the account's
        if "/submit" in path:
            phases["submit"].append(request)
        elif "/sections/" in path or path.endswith("/apply"):
            phases["fill"].append(request)
        else:
            phases["account"].append(request)
    return phases


def _apply_flow(context: BenchContext, browser: Browser) -> None:
    from app.proposals.models import Proposal, ProposalState

    # From the call's Apply button, logged out: the log-in page, and its link to register.
    start = _path(context, "proposals.start", slug=BENCH_SLUG)
    login_page = browser.follow(browser.get(start))
    register = _link_starting(login_page, _path(context, "accounts.register"))
    browser.follow(browser.fill_and_post(register, browser.get(register)))
    link = _confirmation_link(browser.email)
    page = browser.follow(browser.fill_and_post(link, browser.get(link)))  # to the login page
    page = browser.follow(browser.fill_and_post(browser.requests[-1][1], page))  # the call again
    page = browser.follow(browser.fill_and_post(start, page))
    # Section after section with "Save and continue", until the submit page.
    for _step in range(30):
        path = browser.requests[-1][1]
        response = browser.fill_and_post(path, page)
        if response is None:  # a page without a form to fill (attachments): go on
            response = browser.get(_next_link(context, page, path))
        page = browser.follow(response)
        if "/submitted" in browser.requests[-1][1]:
            break
    proposal = db.session.scalar(
        select(Proposal).join(User, User.id == Proposal.owner_id).where(User.email == browser.email)
    )
    if proposal is None or proposal.state != ProposalState.SUBMITTED:
        raise RuntimeError("the flow did not end with a submitted proposal")


def _link_starting(page, prefix: str) -> str:
    """The page's link to `prefix`; the one that keeps where the visitor was going first."""
    parser = FormParser()
    parser.feed(page.get_data(as_text=True))
    links = [link for link in parser.links if link.startswith(prefix)]
    return max(links, key=lambda link: "next=" in link)


def _next_link(context: BenchContext, page, path: str) -> str:
    parser = FormParser()
    parser.feed(page.get_data(as_text=True))
    proposal_id = int(re.search(r"/proposals/(\d+)/", path).group(1))
    submit = _path(context, "proposals.submit", proposal_id=proposal_id)
    later = [link for link in parser.links if f"/proposals/{proposal_id}/" in link]
    return submit if submit in later or not later else later[-1]


def _confirmation_link(email: str) -> str:
    """The link in the confirmation email, read from the outbox like from a mailbox."""
    from app.outbox.models import Notification

    db.session.remove()
    context = db.session.scalar(
        select(Notification.context)
        .where(Notification.recipient_email == email, Notification.template == "verify_email")
        .order_by(Notification.id.desc())
    )
    if not context or "link" not in context:
        raise RuntimeError("no confirmation email in the outbox")
    link = urlsplit(context["link"])
    return link.path + (f"?{link.query}" if link.query else "")


# --------------------------------------------------------------------------- solvers


ASSIGNMENT_MEASURE = "automatic assignment, all proposals x 3"
SHORTLIST_MEASURE = "shortlist compilation, all proposals"


def measure_assignment(context: BenchContext) -> list[Row]:
    """Plan the whole call from scratch (as before any review), then roll everything back.

    The plan is the administrators' "preview": automatic conflicts recorded, the call's
    state loaded, the min-cost flow solved. The figure to meet is the solver's time; the
    whole preview is shown beside it.
    """
    budget = "< 10 s, optimal"
    assigning = _module("app.reviews.assigning")
    if assigning is None or not hasattr(assigning, "plan_automatic_assignment"):
        return [Row.unavailable(ASSIGNMENT_MEASURE, budget, "no plan_automatic_assignment")]
    from app.calls.models import Call

    db.session.remove()
    try:
        _forget_reviews(context.call_id)
        call = db.session.get(Call, context.call_id)
        started = time.perf_counter()
        plan = assigning.plan_automatic_assignment(actor=_admin(), call=call)
        preview_seconds = time.perf_counter() - started
        check = _check_plan(context.call_id, plan)
    finally:
        db.session.rollback()
    solver_seconds = plan.solution.seconds
    pairs = len(plan.new_pairs)
    result = (
        f"{solver_seconds:.2f} s solver ({preview_seconds:.2f} s whole preview), "
        f"{pairs:,} pairs, {len(plan.shortfalls)} short, {check or 'all rules hold'}"
    )
    return [
        Row.judged(
            ASSIGNMENT_MEASURE,
            result,
            budget,
            solver_seconds < 10 and not plan.shortfalls and not check,
            solver_seconds=solver_seconds,
            preview_seconds=preview_seconds,
            pairs=pairs,
            shortfalls=len(plan.shortfalls),
            cost=plan.solution.cost,
            language_mismatches=plan.solution.language_mismatches,
            stats=getattr(plan.solution, "stats", None),
        )
    ]


def _forget_reviews(call_id: int) -> None:
    """Inside the measure's transaction only: the call as it was before anyone reviewed."""
    from sqlalchemy import delete

    from app.proposals.models import Proposal
    from app.reviews.models import Assignment, Review, Score

    proposals = select(Proposal.id).where(Proposal.call_id == call_id)
    assignments = select(Assignment.id).where(Assignment.proposal_id.in_(proposals))
    reviews = select(Review.id).where(Review.assignment_id.in_(assignments))
    db.session.execute(delete(Score).where(Score.review_id.in_(reviews)))
    db.session.execute(delete(Review).where(Review.id.in_(reviews)))
    db.session.execute(delete(Assignment).where(Assignment.id.in_(assignments)))


def _check_plan(call_id: int, plan) -> str:
    """What the plan breaks, if anything: k each, limits, conflicts."""
    from app.proposals.models import Proposal
    from app.reviews.models import ConflictOfInterest, ReviewerProfile

    proposals = set(db.session.scalars(select(Proposal.id).where(Proposal.call_id == call_id)))
    limits = {
        reviewer_id: limit
        for reviewer_id, limit in db.session.execute(
            select(ReviewerProfile.user_id, ReviewerProfile.max_proposals)
        )
    }
    conflicts = set(
        db.session.execute(
            select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id).where(
                ConflictOfInterest.lifted_at.is_(None)
            )
        ).tuples()
    )
    per_proposal = Counter(proposal_id for proposal_id, _ in plan.new_pairs)
    load = Counter(reviewer_id for _, reviewer_id in plan.new_pairs)
    problems = []
    if set(per_proposal) != proposals or set(per_proposal.values()) != {plan.k}:
        problems.append("not k reviewers each")
    if any(load[r] > limits.get(r, 0) for r in load):
        problems.append("a limit exceeded")
    if any(pair in conflicts for pair in plan.new_pairs):
        problems.append("a conflict assigned")
    return ", ".join(problems)


def measure_shortlist(context: BenchContext) -> list[Row]:
    """Compile a constrained shortlist of the whole call, as the background job does."""
    budget = "< 2 s"
    services = _module("app.shortlists.services")
    if services is None or not hasattr(services, "compile_shortlist"):
        return [Row.unavailable(SHORTLIST_MEASURE, budget, "no compile_shortlist")]
    from app.calls.models import Call, CallState
    from app.jobs.models import Job

    parameters = services.CompileParameters(
        size=30, group_by="continent", min_per_group=3, max_per_country=2, min_groups=6
    )
    timings: list[float] = []
    outcome: dict[str, Any] = {}
    for _ in range(max(1, min(context.runs, 3))):
        db.session.remove()
        try:
            call = db.session.get(Call, context.call_id)
            call.state = CallState.IN_REVIEW  # compiled once the call has closed
            shortlist = services.request_compilation(
                actor=_admin(), call=call, parameters=parameters
            )
            job = db.session.get(Job, shortlist.job_id)
            db.session.flush()
            started = time.perf_counter()
            shortlist = services.compile_shortlist(job=job)
            timings.append(time.perf_counter() - started)
            outcome = {
                "state": str(shortlist.state),
                "selected": sum(entry.included for entry in shortlist.entries),
                "entries": len(shortlist.entries),
            }
        finally:
            db.session.rollback()
    seconds = median(timings)
    compiled = outcome.get("state") == "compiled" and outcome.get("selected") == parameters.size
    result = (
        f"{seconds:.2f} s (scoring + solver + {outcome.get('entries', 0):,} entries written), "
        f"{outcome.get('selected', 0)} chosen: 30, >= 3 per continent, <= 2 per country"
    )
    return [
        Row.judged(
            SHORTLIST_MEASURE,
            result,
            budget,
            seconds < 2 and compiled,
            seconds=timings,
            **outcome,
        )
    ]


# --------------------------------------------------------------------------- notifications


NOTIFICATION_MESSAGES = 5000
STALL_SECONDS = 30
NOTIFICATION_PREFIX = "bench-throughput:"
NOTIFICATION_HEADER = re.compile(rb"^X-Dialogue-Cafe-Notification:\s*(\d+)", re.MULTILINE)


class SmtpSink:
    """An aiosmtpd handler that only counts: which outbox row each message came from."""

    def __init__(self) -> None:
        self.arrivals: Counter[int] = Counter()
        self.unlabelled = 0
        self.last_arrival = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        match = NOTIFICATION_HEADER.search(envelope.content)
        if match:
            self.arrivals[int(match.group(1))] += 1
        else:
            self.unlabelled += 1
        self.last_arrival = time.perf_counter()
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        return sum(self.arrivals.values()) + self.unlabelled


def measure_notifications(context: BenchContext) -> list[Row]:
    measure = f"notifications: {NOTIFICATION_MESSAGES:,} via Celery + Redis to SMTP"
    budget = ">= 200/s, each exactly once"
    if _module("app.outbox.delivery") is None:
        return [Row.unavailable(measure, budget, "no outbox delivery yet")]
    try:
        import redis
        from aiosmtpd.controller import Controller
    except ImportError as error:
        return [Row.unavailable(measure, budget, f"{error.name} is not installed")]
    broker = redis.Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=2)
    try:
        broker.ping()
    except redis.RedisError as error:
        return [Row.unavailable(measure, budget, f"Redis at {BENCH_REDIS_URL}: {error}")]

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    keys_before = set(broker.keys("*"))
    _delete_bench_notifications()
    controller.start()
    worker = CeleryWorker(context.database_url, smtp_port=controller.port)
    try:
        worker.start(context.app)
        ids = _queue_messages(context)
        started = time.perf_counter()
        context.app.config["TASK_DISPATCH"] = "celery"
        try:
            db.session.commit()  # the outbox hands every message to the broker after commit
        finally:
            context.app.config["TASK_DISPATCH"] = "record"
        handed_over = time.perf_counter() - started
        # Wait for every message, or until nothing has arrived for a while (a stall).
        last_count, last_change = -1, time.monotonic()
        while sink.received < len(ids) and time.monotonic() - last_change < STALL_SECONDS:
            worker.check_alive()
            if sink.received != last_count:
                last_count, last_change = sink.received, time.monotonic()
            time.sleep(0.2)
        elapsed = sink.last_arrival - started
        time.sleep(2)  # a duplicate would arrive now
        sent = _sent_count(ids)
    finally:
        worker.stop(keep_log=context.output_dir / "celery-worker.log")
        controller.stop()
        _delete_bench_notifications()
        db.session.commit()
        _delete_new_keys(broker, keys_before)
    once = sent == len(ids) and sink.unlabelled == 0 and set(sink.arrivals) == set(ids)
    once = once and all(count == 1 for count in sink.arrivals.values())
    duplicates = sum(count - 1 for count in sink.arrivals.values() if count > 1)
    rate = sink.received / elapsed if elapsed > 0 else 0.0
    result = (
        f"{rate:.0f} messages/s ({sink.received:,} arrived in {elapsed:.1f} s, "
        f"{duplicates} duplicates, {len(ids) - sent} not marked sent)"
    )
    return [
        Row.judged(
            measure,
            result,
            budget,
            rate >= 200 and once,
            messages_per_second=rate,
            seconds=elapsed,
            handed_to_broker_seconds=handed_over,
            arrived=sink.received,
            distinct=len(sink.arrivals),
            duplicates=duplicates,
            marked_sent=sent,
            worker_concurrency=CeleryWorker.CONCURRENCY,
        )
    ]


def _queue_messages(context: BenchContext) -> list[int]:
    """5,000 'the call has closed' messages to the bench's cities, as closing a call sends."""
    from app.outbox.services import OutboxMessage, queue_notifications

    call_url = context.server.base_url + _path(context, "calls.public_call", slug=BENCH_SLUG)
    owners = db.session.execute(
        select(User.id, User.email, User.name)
        .where(User.email.like(f"city-%@{BENCH_EMAIL_DOMAIN}"))
        .order_by(User.id)
    ).all()
    messages = []
    for number in range(NOTIFICATION_MESSAGES):
        owner = owners[number % len(owners)]
        messages.append(
            OutboxMessage(
                recipient_email=owner.email,
                recipient_id=owner.id,
                template="call_closed",
                dedup_key=f"{NOTIFICATION_PREFIX}{number}",
                call_id=context.call_id,
                context={
                    "call_title": "Dialogue Café — Call for Interest to Cities (benchmark)",
                    "recipient_name": owner.name,
                    "audience": "applicant",
                    "submitted_count": 2000,
                    "city_count": 106,
                    "proposals_url": call_url,
                    "call_url": call_url,
                },
            )
        )
    return queue_notifications(messages)


def _sent_count(ids: list[int]) -> int:
    from sqlalchemy import func

    from app.outbox.models import Notification, NotificationStatus

    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.dedup_key.like(f"{NOTIFICATION_PREFIX}%"),
            Notification.status == NotificationStatus.SENT,
        )
    )


def _delete_bench_notifications() -> None:
    from sqlalchemy import delete

    from app.outbox.models import Notification

    db.session.execute(
        delete(Notification).where(Notification.dedup_key.like(f"{NOTIFICATION_PREFIX}%"))
    )
    db.session.commit()


def _delete_new_keys(broker, keys_before: set[bytes]) -> None:
    """Remove the keys Celery made for this run (its queue, bindings, replies), nothing else."""
    ours = (CeleryWorker.QUEUE.encode(), b"_kombu.binding", b"unacked", b"celery")
    new = [key for key in set(broker.keys("*")) - keys_before if key.startswith(ours)]
    new += [key for key in broker.keys("*.reply.celery.pidbox") if key not in keys_before]
    if new:
        broker.delete(*set(new))


# --------------------------------------------------------------------------- memory


def measure_memory(context: BenchContext) -> list[Row]:
    peaks = context.server.peak_memory_mib()
    if not peaks:
        return [Row("web worker peak memory", "could not read /proc", "< 150 MiB", "FAIL")]
    peak = max(peaks)
    return [
        Row.judged(
            "web worker peak memory (VmHWM)",
            f"{peak:.0f} MiB (workers: {', '.join(f'{p:.0f}' for p in peaks)})",
            "< 150 MiB",
            peak < 150,
            peaks_mib=peaks,
        )
    ]
