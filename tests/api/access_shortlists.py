"""Access rows of this resource's API routes (gathered by tests/api/access_table.py)."""

from tests.access import RouteAccess

ROUTES: list[RouteAccess] = []
