"""Links: absolute ones for emails, built from the configured server name (never the Host
header), and safe `next=` redirects (only paths on this site, never another host)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.routing import IntegerConverter, Map


def external_url(endpoint: str, **values) -> str:
    config = current_app.config
    adapter = current_app.url_map.bind(
        config["SERVER_NAME"],
        url_scheme=config["PREFERRED_URL_SCHEME"],
        script_name=config.get("APPLICATION_ROOT") or "/",
    )
    return adapter.build(endpoint, values, force_external=True)


def safe_next_url(target: str | None) -> str | None:
    """The target if it is a local path, else None."""
    if not target:
        return None
    target = target.strip()
    # Browsers treat backslashes like slashes: "/\\evil.example" leaves the site.
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def page_url_maker(endpoint: str) -> Callable[[int], str]:
    """The address of another page of this list, its filters kept (the pager's links)."""
    arguments: dict[str, Any] = {
        key: value for key, value in request.args.items() if key != "page" and value
    }
    return lambda page: url_for(endpoint, **arguments, page=page)


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number a database id can be (PostgreSQL's integer
    ends at 2**31 - 1). A longer one is a page not found, not an error of the database."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


MAX_ROW_ID = 2**31 - 1
