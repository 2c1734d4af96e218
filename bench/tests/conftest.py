"""The bench's tests use the product suite's database: each test in a transaction rolled back."""

from __future__ import annotations

from tests.conftest import _isolated_database, app, app_context  # noqa: F401  (fixtures)
