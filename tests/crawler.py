"""A crawler that meets the site as a person does: pages reached by links, forms as rendered.

For one logged-in client (or an anonymous one) it starts from the home page, follows
same-site links breadth-first and parses every <form> with lxml.html: its method, its
action and every input, select and textarea with the value the page rendered. Tests then
check the forms (every POST form carries a CSRF token) or post them back with one value
changed (tests/core/test_hostile_input.py), so a new page or a new field is covered by
itself.

The crawl is bounded: a few URLs per endpoint and query shape, a page limit, and no logout,
downloads or exports (a download is not a page, and preparing one is the exports' tests).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.accounts.models import User
from app.demo.seed import ADMIN_EMAIL, seed_demo
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import Proposal, ProposalState
from app.reviews.models import Assignment, AssignmentState
from app.shortlists import services as shortlist_services
from app.shortlists.models import Shortlist, ShortlistState
from tests.client import log_in
from tests.factories import make_proposal
from tests.shortlists.helpers import city, scored_call
from workers.shortlists import compile_shortlist as compile_task

# Pages a person would not "visit": leaving the session, and files to download.
SKIPPED_ENDPOINTS = {
    "accounts.logout",
    "static",
    "proposals.download_attachment",
    "reviews.download_attachment",
    "shortlists.download_export",
    "jobs.download",
    "jobs.status",  # the JSON the job page polls
    "notifications.preview_html",  # the email as a file, shown in an iframe
    "core.healthz",
    "core.readyz",
    "proposals.session_status",
}
TEXT_INPUT_TYPES = {"text", "search", "email", "url", "tel", "password", "number", ""}
PER_SHAPE = 2  # URLs visited per (endpoint, query parameter names)
MAX_PAGES = 150


@dataclass(frozen=True)
class FormInput:
    """One control of a form, as the page rendered it."""

    name: str
    tag: str  # input, select, textarea, button
    type: str  # the input's type ("textarea", "select", "select-multiple" for the others)
    value: str
    checked: bool = False  # a checkbox or radio that is checked, an option that is selected
    options: tuple[str, ...] = ()

    @property
    def is_text(self) -> bool:
        """A control a person types into."""
        return self.tag == "textarea" or (self.tag == "input" and self.type in TEXT_INPUT_TYPES)


@dataclass(frozen=True)
class CrawledForm:
    page: str  # the URL of the page the form is on
    method: str  # GET or POST
    action: str  # path and query, resolved against the page
    inputs: tuple[FormInput, ...]
    endpoint: str
    attributes: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted({control.name for control in self.inputs}))

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """Forms of one endpoint with the same fields are one case."""
        return (self.method, self.endpoint, self.names)

    def has_token(self) -> bool:
        # A form with a prefix (two on one page) names it "<prefix>-csrf_token", which
        # Flask-WTF reads as well.
        return any(
            control.name == "csrf_token" or control.name.endswith("-csrf_token")
            for control in self.inputs
        )

    def text_inputs(self) -> list[FormInput]:
        return [control for control in self.inputs if control.is_text]

    def data(self, **changed: str) -> MultiDict:
        """What a browser sends for this form as rendered (the first submit button pressed),
        with the named controls set to other values."""
        sent: MultiDict = MultiDict()
        pressed = False
        for control in self.inputs:
            if control.name in changed:
                if control.name not in sent:
                    sent.add(control.name, changed[control.name])
                continue
            if control.tag == "button" or control.type in {"submit", "image"}:
                if not pressed:
                    sent.add(control.name, control.value)
                    pressed = True
                continue
            if control.type in {"checkbox", "radio"}:
                if control.checked:
                    sent.add(control.name, control.value or "on")
                continue
            if control.type in {"file", "reset"}:
                continue
            sent.add(control.name, control.value)
        return sent


@dataclass
class Page:
    url: str
    status: int
    endpoint: str
    html: str = ""
    links: list[str] = field(default_factory=list)
    forms: list[CrawledForm] = field(default_factory=list)


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)

    def forms(self) -> list[CrawledForm]:
        return [form for page in self.pages for form in page.forms]

    def unique_forms(self) -> list[CrawledForm]:
        seen: dict[tuple, CrawledForm] = {}
        for form in self.forms():
            seen.setdefault(form.key, form)
        return list(seen.values())

    def links_with_query(self) -> list[str]:
        seen: dict[tuple, str] = {}
        for page in self.pages:
            if urlsplit(page.url).query:
                parts = urlsplit(page.url)
                shape = (parts.path, tuple(sorted(k for k, _ in parse_qsl(parts.query))))
                seen.setdefault(shape, page.url)
        return list(seen.values())


def route_of(app: Flask, url: str) -> tuple[str, dict] | None:
    """The endpoint and arguments a same-site URL leads to, or None (another site, no route)."""
    parts = urlsplit(url)
    server = app.config.get("SERVER_NAME") or "localhost"
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", server):
        return None
    adapter = app.url_map.bind(server)
    try:
        return adapter.match(parts.path or "/", method="GET")
    except HTTPException:
        return None


def endpoint_of(app: Flask, url: str) -> str | None:
    route = route_of(app, url)
    return route[0] if route else None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_forms(app: Flask, page_url: str, html: str) -> list[CrawledForm]:
    document = lxml.html.document_fromstring(html)
    forms = []
    for element in document.forms:
        method = (element.get("method") or "get").upper()
        action = _path(urljoin(page_url, element.get("action") or page_url))
        adapter = app.url_map.bind(app.config.get("SERVER_NAME") or "localhost")
        try:
            endpoint, _arguments = adapter.match(urlsplit(action).path, method=method)
        except HTTPException:
            endpoint = f"? {action}"
        inputs = []
        for control in element.xpath(".//input|.//select|.//textarea|.//button"):
            name = control.get("name")
            if not name or control.get("disabled") is not None:
                continue
            tag = control.tag
            if tag == "textarea":
                # A browser drops the line break that follows <textarea>; the parser keeps it.
                text = re.sub(r"^\r?\n", "", control.text or "")
                inputs.append(FormInput(name, tag, "textarea", text))
            elif tag == "select":
                options = tuple(option.get("value", option.text_content()) for option in control)
                selected = [
                    option.get("value", option.text_content())
                    for option in control.xpath(".//option")
                    if option.get("selected") is not None
                ]
                multiple = control.get("multiple") is not None
                if multiple:
                    for value in selected:
                        inputs.append(FormInput(name, tag, "select-multiple", value, True, options))
                else:
                    value = selected[0] if selected else (options[0] if options else "")
                    inputs.append(FormInput(name, tag, "select", value, True, options))
            elif tag == "button":
                if (control.get("type") or "submit").lower() == "submit":
                    inputs.append(FormInput(name, tag, "submit", control.get("value", "")))
            else:
                kind = (control.get("type") or "text").lower()
                inputs.append(
                    FormInput(
                        name,
                        tag,
                        kind,
                        control.get("value", ""),
                        checked=control.get("checked") is not None,
                    )
                )
        forms.append(
            CrawledForm(
                page=page_url,
                method=method,
                action=action,
                inputs=tuple(inputs),
                endpoint=endpoint,
                attributes=dict(element.attrib),
            )
        )
    return forms


def _links(page_url: str, html: str) -> list[str]:
    document = lxml.html.document_fromstring(html)
    return [urljoin(page_url, href) for href in document.xpath("//a/@href")]


def _shape(app: Flask, url: str) -> tuple | None:
    """Pages of one shape differ only by ids: one endpoint, the same words in the path (a
    section, an export format), the same query parameter names."""
    route = route_of(app, url)
    if route is None or route[0] in SKIPPED_ENDPOINTS:
        return None
    endpoint, arguments = route
    words = tuple(sorted((k, v) for k, v in arguments.items() if isinstance(v, str)))
    query = urlsplit(url).query
    names = tuple(sorted(k for k, _ in parse_qsl(query, keep_blank_values=True)))
    return (endpoint, words, names)


def crawl(
    app: Flask,
    client: FlaskClient,
    *,
    start: tuple[str, ...] = ("/",),
    max_pages: int = MAX_PAGES,
) -> Crawl:
    """Every page reachable from `start` by same-site links, breadth-first, within bounds."""

    def fetch(url: str) -> Fetched:
        response = client.get(url)
        return Fetched(response.status_code, response.mimetype, response.get_data(as_text=True))

    return crawl_with(app, fetch, start=start, max_pages=max_pages)


@dataclass(frozen=True)
class Fetched:
    """What one GET gave: the test client's response, or the page a browser shows."""

    status: int
    mimetype: str
    html: str
    url: str | None = None  # where the browser landed, when it followed a redirect


def crawl_with(
    app: Flask,
    fetch: Callable[[str], Fetched],
    *,
    start: tuple[str, ...] = ("/",),
    max_pages: int = MAX_PAGES,
    per_shape: int = PER_SHAPE,
) -> Crawl:
    """The crawl with any way of getting a page (the test client, or a browser)."""
    result = Crawl()
    queue: deque[str] = deque()
    seen: set[str] = set()
    visited_of_shape: dict[tuple, int] = {}

    def enqueue(url: str) -> None:
        path = _path(url.split("#", 1)[0])
        shape = _shape(app, path)
        if shape is None or path in seen or visited_of_shape.get(shape, 0) >= per_shape:
            return
        seen.add(path)
        visited_of_shape[shape] = visited_of_shape.get(shape, 0) + 1
        queue.append(path)

    for url in start:
        enqueue(url)
    while queue and len(result.pages) < max_pages:
        url = queue.popleft()
        fetched = fetch(url)
        url = fetched.url or url
        page = Page(url=url, status=fetched.status, endpoint=endpoint_of(app, url) or "")
        result.pages.append(page)
        if fetched.mimetype != "text/html" or fetched.status != 200:
            continue
        page.html = fetched.html
        page.links = _links(url, page.html)
        page.forms = parse_forms(app, url, page.html)
        for link in page.links:
            enqueue(link)
        for form in page.forms:
            if form.method == "GET":
                # A filter form's first result page is a page a person reaches too.
                data = {k: v for k, v in form.data().items(multi=True) if k and v}
                target = urlsplit(form.action).path
                enqueue(f"{target}?{urlencode(data)}" if data else target)
    return result


# -- the world the crawls run in ----------------------------------------------------------------


@dataclass
class CrawlWorld:
    """The demo call, a closed call with a compiled shortlist, and one person per role."""

    users: dict[str, User | None]  # role -> the person (None for anonymous)


CRAWL_ROLES = ("anonymous", "city", "reviewer", "administrator")


def build_world() -> CrawlWorld:
    """Real data: the demo seed (an open call, cities in every state, reviews), plus a closed
    call with scores and a compiled shortlist, and a question the city has to answer."""
    seed_demo()
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    # A city with a draft in the open call (every section of the form to fill) ...
    draft = db.session.scalar(
        select(Proposal).where(Proposal.state == ProposalState.DRAFT).order_by(Proposal.id).limit(1)
    )
    applicant = db.session.get(User, draft.owner_id)
    # ... a reviewer with a review still in progress ...
    reviewer = db.session.scalar(
        select(User)
        .join(Assignment, Assignment.reviewer_id == User.id)
        .where(Assignment.state == AssignmentState.IN_PROGRESS)
        .order_by(User.id)
        .limit(1)
    )
    scored = scored_call(
        [
            city("Lisbon", "PT", "Europe", 5, 4),
            city("Nairobi", "KE", "Africa", 3, 4),
            city("Osaka", "JP", "Asia", 3, 3),
        ]
    )
    # ... and a submitted proposal in the closed call with a question to answer.
    asked = make_proposal(call=scored.call, owner=applicant, state=ProposalState.SUBMITTED)
    asked.submitted_at = scored.proposals[0].submitted_at
    proposal_services.request_clarification(
        actor=admin, proposal=asked, question="Which room would hold the video wall?"
    )
    shortlist = shortlist_services.request_compilation(
        actor=admin,
        call=scored.call,
        parameters=shortlist_services.CompileParameters(size=3, max_per_country=None),
    )
    for person in (admin, applicant, reviewer):
        person.locale = "en"  # the messages the tests look for are the English ones
    db.session.commit()
    compile_task(job_id=shortlist.job_id)
    db.session.expire_all()
    # A compiled shortlist has the pages to adjust and publish it.
    assert db.session.get(Shortlist, shortlist.id).state == ShortlistState.COMPILED
    return CrawlWorld(
        users={
            "anonymous": None,
            "city": db.session.get(User, applicant.id),
            "reviewer": db.session.get(User, reviewer.id),
            "administrator": db.session.get(User, admin.id),
        }
    )


def client_for(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        log_in(client, user)
    return client
