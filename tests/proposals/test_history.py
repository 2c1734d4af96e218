"""The organisers read a proposal's history in sentences, never as audit codes."""

from __future__ import annotations

import re

from app.audit.services import record_audit
from app.extensions import db
from app.proposals import services
from tests.client import log_in
from tests.factories import make_admin, make_reviewer
from tests.proposals.helpers import attach, complete_proposal


def _history_rows(page: str) -> list[list[str]]:
    table = page.split(">History</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [[cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_the_history_tells_what_happened_in_sentences(client, call, city):
    proposal = complete_proposal(call=call, owner=city)
    attach(proposal, name="Carta de apoio.pdf")
    services.submit_proposal(actor=city, proposal=proposal, expected_version=proposal.version)
    reviewer = make_reviewer(name="Rui Reviewer")
    db.session.flush()
    record_audit(
        reviewer,
        "conflict.declared",
        proposal,
        details={"reviewer_id": reviewer.id, "reason": "I advised the city last year"},
    )
    record_audit(city, "proposal.section_saved", proposal, details={"section": "venue"})
    record_audit(None, "proposal.something_new", proposal)
    services.withdraw_proposal(actor=city, proposal=proposal, reason="The venue fell through")
    admin = make_admin()
    db.session.commit()
    log_in(client, admin)

    page = client.get(f"/admin/proposals/{proposal.id}").get_data(as_text=True)
    rows = _history_rows(page)
    what = [row[2] for row in rows]

    assert what == [
        "Added the file “Carta de apoio.pdf”.",
        "Submitted the proposal (submission 1).",
        "Rui Reviewer declared a conflict of interest: “I advised the city last year”",
        "Saved the section Venue.",
        "Something new.",
        "Withdrew the proposal: “The venue fell through”",
    ]
    assert [row[1] for row in rows][:2] == ["Ana Lisboa", "Ana Lisboa"]
    assert "the system" in rows[4][1]
    history = page.split(">History</h2>", 1)[1]
    assert not re.search(r"\b(proposal|conflict)\.[a-z_]+", history)
    assert "reviewer_id" not in history and "revision:" not in history
