"""A person as the floors below accounts see one: the jobs and the outbox need only to know
who acts, never the account itself (app.accounts.models.User satisfies this)."""

from __future__ import annotations

from typing import Protocol


class Person(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def is_authenticated(self) -> bool: ...
