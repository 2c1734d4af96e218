"""Every route of the audit trail: administrators only (its page lives in app/accounts/)."""

from tests.access import RouteAccess, administrators

ROUTES = [
    RouteAccess("audit.trail", lambda w: "/admin/audit", administrators()),
    RouteAccess(
        "audit.trail",
        lambda w: f"/admin/audit?actor=Applicant&object_type=user&object_id={w.applicant_user}",
        administrators(),
        name="filtered",
    ),
    RouteAccess("audit.export_csv", lambda w: "/admin/audit/export.csv", administrators()),
    RouteAccess(
        "audit.export_csv",
        lambda w: "/admin/audit/export.csv?since=2025-03-02&until=2025-03-01",
        administrators(400),
        name="with days in the wrong order",
    ),
]
