"""Call descriptions: Markdown rendered on the server and sanitised by an allow-list."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from app.calls.markdown import render_markdown


def test_markdown_formatting_is_rendered():
    html = render_markdown("## Who\n\nCities **and** *partners*:\n\n- one\n- two\n")
    assert "<h2>Who</h2>" in html
    assert "<strong>and</strong>" in html
    assert "<em>partners</em>" in html
    assert "<li>one</li>" in html
    assert isinstance(html, Markup)


def test_script_elements_are_removed_with_their_content():
    html = render_markdown("Hello <script>alert('x')</script> world")
    assert "<script" not in html
    assert "alert" not in html
    assert "Hello" in html


@pytest.mark.parametrize(
    "source",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">text</p>',
        '<a href="https://example.org" onmouseover="alert(1)">link</a>',
    ],
)
def test_event_handler_attributes_are_removed(source):
    html = render_markdown(source)
    assert "onerror" not in html
    assert "onclick" not in html
    assert "onmouseover" not in html
    assert "alert" not in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox(1))",
    ],
)
def test_links_with_script_schemes_lose_their_target(source):
    html = render_markdown(source)
    assert "href" not in html
    assert "click" in html


def test_safe_links_are_kept_and_cannot_reach_the_opener():
    html = render_markdown("[the network](https://dialoguecafe.org) or [mail](mailto:a@b.org)")
    assert 'href="https://dialoguecafe.org"' in html
    assert 'href="mailto:a@b.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_styles_iframes_and_forms_are_removed():
    html = render_markdown(
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input name="p"></form><span style="x">ok</span>'
    )
    for forbidden in ("<style", "display:none", "<iframe", "<form", "<input", "style="):
        assert forbidden not in html
    assert "ok" in html


def test_empty_description_renders_nothing():
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_the_jinja_filter_renders_sanitised_html(app):
    template = app.jinja_env.from_string("{{ text|markdown }}")
    html = template.render(text="**bold** <script>x()</script>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
