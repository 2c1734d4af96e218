"""The role x route access table: each domain lists its routes in tests/<domain>/access_table.py.

A route names, for every role of the `world` fixture, the status that role must get.
tests/test_access.py runs every cell and fails when a route of the app is missing here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = (
    "anonymous",
    "applicant",  # owns world.proposal (submitted) and world.draft
    "other_applicant",  # owns world.other_proposal
    "reviewer",  # assigned to world.proposal
    "other_reviewer",  # not assigned to anything
    "administrator",
)


@dataclass
class World:
    """The people and objects every access check runs against (ids only)."""

    users: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class RouteAccess:
    endpoint: str
    path: Callable[[World], str]
    expect: dict[str, int]
    method: str = "GET"
    data: Callable[[World], dict] | None = None
    name: str = ""
    # An API route: each role calls it with its own writing token (anonymous with none),
    # `data` sent as the JSON body.
    api: bool = False

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise ValueError(f"{self.endpoint}: no expectation for {sorted(missing)}")

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{(' ' + self.name) if self.name else ''}"


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def only(
    *allowed: str, ok: int = 200, anonymous: int = 302, others: int = 403, **exceptions: int
) -> dict[str, int]:
    """`allowed` roles get `ok`; anonymous is sent to log in; the rest get `others`."""
    expect = {role: (ok if role in allowed else others) for role in ROLES}
    if "anonymous" not in allowed:
        expect["anonymous"] = anonymous
    expect.update(exceptions)
    return expect


def logged_in(ok: int = 200, anonymous: int = 302) -> dict[str, int]:
    return only(*[role for role in ROLES if role != "anonymous"], ok=ok, anonymous=anonymous)


def administrators(ok: int = 200) -> dict[str, int]:
    """Administrators get `ok`; visitors are sent to log in; every other role gets 403."""
    return only("administrator", ok=ok)


def post_route(
    endpoint: str,
    path: Callable[[World], str],
    expect: dict[str, int],
    data: Callable[[World], dict] | None = None,
    *,
    name: str = "",
) -> RouteAccess:
    """A POST; `data` builds the form from the world (None sends no body)."""
    return RouteAccess(endpoint, path, expect, method="POST", data=data, name=name)


def page_with_form(
    endpoint: str,
    path: Callable[[World], str],
    data: Callable[[World], dict],
    *,
    page: dict[str, int],
    submit: dict[str, int],
) -> tuple[RouteAccess, RouteAccess]:
    """A page (GET) and the POST of its form to the same path: two rows, one path."""
    return RouteAccess(endpoint, path, page), post_route(endpoint, path, submit, data)


def api_route(
    endpoint: str,
    path: Callable[[World], str],
    expect: dict[str, int],
    *,
    method: str = "GET",
    data: Callable[[World], dict] | None = None,
    name: str = "",
) -> RouteAccess:
    """A route of /api/v1, called with the role's token (tests/api/helpers.py)."""
    return RouteAccess(endpoint, path, expect, method=method, data=data, name=name, api=True)


def api_only(*allowed: str, ok: int = 200, others: int = 404) -> dict[str, int]:
    """With a token, `allowed` roles get `ok` and the others `others` (the API answers 404
    for what a person may not see, as the pages do); without one, 401."""
    return only(*allowed, ok=ok, anonymous=401, others=others)


def collect_routes() -> list[RouteAccess]:
    import tests

    routes: list[RouteAccess] = []
    for module_info in pkgutil.walk_packages(tests.__path__, "tests."):
        if module_info.name.endswith(".access_table"):
            routes.extend(importlib.import_module(module_info.name).ROUTES)
    return routes
