"""Every administrators' list, dashboard and export runs as many SQL statements for a call of
200 proposals as for one of 10 (issue 8): an N+1 cannot come back unnoticed.

The workload is the benchmark's own (`seed_bench`), at two sizes; each page is read to the
end through the test client, so a streamed export's statements count too. The domains'
own tests check the same for their pages; this one checks them all on one realistic call.
"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.outbox.services import record_notification
from bench.seed import BENCH_ADMIN_EMAIL, seed_bench
from tests.querycount import count_queries

PAGES = {
    "proposal list (all)": ("calls.admin_proposals", {"all": 1}),
    "proposal list (a page)": ("calls.admin_proposals", {}),
    "review dashboard": ("reviews.dashboard", {}),
    "ranking": ("shortlists.ranking", {}),
    "CSV export": ("shortlists.download_export", {"export_format": "csv"}),
    "XLSX export": ("shortlists.download_export", {"export_format": "xlsx"}),
    "JSON export": ("shortlists.download_export", {"export_format": "json"}),
    "people": ("accounts.admin_users", {}),
    "outbox": ("notifications.outbox", {}),
}
WITH_CALL = {"calls.admin_proposals", "reviews.dashboard", "shortlists.ranking"}
WITH_CALL |= {"shortlists.download_export"}


def statements_per_page(app, proposals: int) -> dict[str, int]:
    summary = seed_bench(proposals=proposals, reviewers=20, reviews_per_proposal=3, reset=True)
    for number in range(proposals):
        record_notification(
            recipient_email=f"city-{number}@example.org",
            template="verify_email",
            dedup_key=f"query-count-test:{proposals}:{number}",
            context={"name": "Ana", "link": "https://call.test/verify", "valid_seconds": 3600},
        )
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN_EMAIL))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = admin.session_token
        session["_fresh"] = True
    counts = {}
    for name, (endpoint, values) in PAGES.items():
        if endpoint in WITH_CALL:
            values = {"call_id": summary.call_id, **values}
        with app.test_request_context():
            path = url_for(endpoint, **values)
        db.session.expire_all()
        with count_queries() as counted:
            response = client.get(path)
            response.get_data()  # a streamed export runs its statements as it is read
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = counted.count
    return counts


def test_lists_dashboards_and_exports_run_as_many_statements_for_200_proposals_as_for_10(
    app_context,
):
    few = statements_per_page(app_context, 10)
    many = statements_per_page(app_context, 200)

    assert many == few, (few, many)
    assert max(many.values()) <= 12, many
