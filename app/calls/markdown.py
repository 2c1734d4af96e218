"""Markdown written by administrators, rendered to HTML and sanitised on the server."""

from __future__ import annotations

from functools import lru_cache

import markdown as python_markdown
import nh3
from markupsafe import Markup

# What a call description may use: text structure, links and simple tables. No images
# (they would load from elsewhere, which the CSP refuses anyway), no raw HTML behaviour.
ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["tables", "sane_lists"]


def sanitise_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and link schemes; drop scripts and styles."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


@lru_cache(maxsize=256)
def _render(text: str) -> str:
    # A fresh converter per text: Python-Markdown instances keep state between calls.
    html = python_markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return sanitise_html(html)


def render_markdown(text: object | None) -> Markup:
    """Safe HTML for a Markdown text (a string, or a call text in a language); the same text
    is rendered once per process.

    Cached by content, so the public call page does no Markdown work per request and an
    edited description is simply a new key.
    """
    if not text:
        return Markup("")
    return Markup(_render(str(text)))  # noqa: S704 - sanitised by nh3 just above
