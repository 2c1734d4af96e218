"""The bench's own machinery: reading URLs and cookies, filling forms, the table, the load."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.harness import (
    NOT_AVAILABLE,
    Row,
    _run_python_load,
    format_table,
    search_path_schema,
    session_cookie,
)
from bench.workloads import FormParser


def test_the_schema_is_read_from_the_search_path_option():
    url = "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Ddcc_bench"

    assert search_path_schema(url) == "dcc_bench"
    assert search_path_schema("postgresql://postgres@127.0.0.1/test") is None
    assert search_path_schema("postgresql://h/test?options=-csearch_path%3Dx;drop") is None


def test_the_session_cookie_is_taken_from_set_cookie():
    headers = {"Set-Cookie": "session=abc.def-1; HttpOnly; Path=/; SameSite=Lax"}

    assert session_cookie(headers, "session") == "session=abc.def-1"
    assert session_cookie({}, "session") is None


def test_the_table_has_one_line_per_row_with_budget_and_verdict():
    rows = [
        Row.judged("list", "0.05 s", "< 0.3 s", True),
        Row.judged("export", "4 s", "< 3 s", False),
        Row.unavailable("solver", "< 2 s", "not built"),
    ]

    lines = format_table(rows).splitlines()

    assert len(lines) == 5
    assert lines[0].startswith("| measure")
    assert set(lines[1]) <= {"|", "-"}
    assert [line.split("|")[-2].strip() for line in lines[2:]] == ["PASS", "FAIL", NOT_AVAILABLE]
    assert len({len(line) for line in lines}) == 1


def test_the_form_parser_sees_fields_values_and_buttons_like_a_browser():
    parser = FormParser()
    parser.feed(
        """
        <form method="post" action="/locale"><input type="hidden" name="next"></form>
        <form method="post">
          <input type="hidden" name="version" value="3">
          <input type="email" name="email">
          <select name="country"><option value="">Choose</option>
            <option value="PT" selected>Portugal</option></select>
          <textarea name="notes" maxlength="20">kept</textarea>
          <button type="submit" name="action" value="next">Save and continue</button>
        </form>
        <a href="/proposals/1/submit">Submit</a>
        """
    )

    assert [form["action"] for form in parser.forms] == ["/locale", ""]
    fields = {field["name"]: field for field in parser.forms[1]["fields"]}
    assert fields["version"]["value"] == "3"
    assert fields["country"]["value"] == "PT"
    assert fields["notes"]["value"] == "kept" and fields["notes"]["maxlength"] == "20"
    assert parser.forms[1]["buttons"][0]["value"] == "next"
    assert parser.links == ["/proposals/1/submit"]


@pytest.fixture
def tiny_server():
    class Hello(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # the name http.server calls
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_python_load_fallback_counts_requests_and_errors(tiny_server):
    load = _run_python_load(tiny_server, seconds=1, connections=2)

    assert load.requests > 0
    assert load.errors == 0
    assert load.p50_ms <= load.p95_ms


def test_the_application_flow_is_told_in_its_three_parts():
    from bench.workloads import _apply_phases, _generic_path

    requests = [
        ("POST", "/register", 302, 0.01, 5),
        ("POST", "/login", 302, 0.01, 3),
        ("GET", "/login?next=/calls/x/apply", 200, 0.01, 0),
        ("POST", "/calls/x/apply", 302, 0.01, 8),
        ("POST", "/proposals/7/sections/city", 302, 0.01, 4),
        ("POST", "/proposals/7/submit", 302, 0.01, 10),
        ("GET", "/proposals/7/submitted", 200, 0.01, 3),
    ]
    phases = _apply_phases(requests)
    assert {name: [r[4] for r in part] for name, part in phases.items()} == {
        "account": [5, 3, 0],
        "fill": [8, 4],
        "submit": [10, 3],
    }
    assert _generic_path("/proposals/7/sections/city?x=1") == "/proposals/<id>/sections/city"
