"""One way of writing a date and a time on every page, in the reader's language and zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.calls.models import CallState
from app.extensions import db
from app.proposals.models import ProposalState
from tests.client import log_in
from tests.factories import make_admin, make_call, make_proposal

SUBMITTED = datetime(2030, 5, 1, 23, 30, tzinfo=UTC)  # 08:30 the next morning in Tokyo
# CLDR writes a narrow no-break space before AM.
EXPECTED = {
    "en": "Thu, May 2, 2030, 8:30\u202fAM GMT+09:00",
    "fr": "jeu. 2 mai 2030, 08:30 UTC+09:00",
}
ISO_LIKE = re.compile(r"\b\d{4}-\d\d-\d\d\b|\b\d\d?/\d\d?/\d{2,4}\b")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_same_instant_reads_the_same_on_the_organisers_pages(client, locale):
    call = make_call(state=CallState.OPEN)
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED, city="Kyoto")
    proposal.submitted_at = SUBMITTED
    admin = make_admin(locale=locale)
    admin.timezone = "Asia/Tokyo"
    db.session.commit()
    log_in(client, admin)

    detail = client.get(f"/admin/proposals/{proposal.id}").get_data(as_text=True)
    listing = client.get(f"/admin/calls/{call.id}/proposals").get_data(as_text=True)

    for page in (detail, listing):
        assert EXPECTED[locale] in page
    assert not ISO_LIKE.search(listing.split("<tbody>", 1)[1])
