"""What a city and a reviewer read of a call is in their language: the criteria on the form
and on the review page, the eligibility questions, the call's title in their pages and
emails; a reviewer sees which language the answers are written in."""

from __future__ import annotations

from markupsafe import escape

from app.extensions import db
from app.outbox.models import Notification
from app.proposals.models import ProposalState
from tests.client import log_in
from tests.factories import make_assignment, make_call, make_proposal, make_reviewer, make_user

FRENCH_TITLE = "Appel à villes pour un Dialogue Café"


def french_call():
    """An open call in English and French; its default criteria come in both."""
    call = make_call(languages=["en", "fr"])
    call.translations = {"fr": {"title": FRENCH_TITLE, "description": "Accueillez un café."}}
    db.session.flush()
    return call


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_french_city_fills_the_criteria_in_french(client):
    call = french_call()
    city = make_user(locale="fr")
    proposal = make_proposal(call=call, owner=city)
    db.session.commit()
    log_in(client, city)
    page = _page(client, f"/proposals/{proposal.id}/sections/narratives")
    for criterion in call.criteria:
        french = criterion.translations["fr"]
        assert str(escape(french["name"])) in page
        if criterion.name != french["name"]:
            assert f">{escape(criterion.name)}<" not in page  # no label left in English
    assert str(escape(FRENCH_TITLE)) in page


def test_a_french_reviewer_reads_the_criteria_and_the_answers_language(client):
    call = french_call()
    proposal = make_proposal(call=call, state=ProposalState.SUBMITTED, language="pt")
    reviewer = make_reviewer(locale="fr")
    assignment = make_assignment(proposal=proposal, reviewer=reviewer)
    db.session.commit()
    log_in(client, reviewer)
    page = _page(client, f"/reviews/assignments/{assignment.id}")
    diversity = call.criteria[0]
    assert str(escape(diversity.translations["fr"]["name"])) in page
    assert str(escape(diversity.translations["fr"]["guidance"])) in page
    assert "Langue des réponses : Portugais" in page
    assert 'lang="pt" dir="auto"' in page


def test_a_city_receives_the_calls_title_in_its_language(client):
    call = french_call()
    city = make_user(locale="fr")
    proposal = make_proposal(call=call, owner=city)
    db.session.commit()
    from app.proposals import services

    services.withdraw_proposal(actor=city, proposal=proposal, reason="Plus tard")
    db.session.commit()
    (message,) = db.session.query(Notification).filter_by(recipient_email=city.email).all()
    assert message.context["call_title"] == FRENCH_TITLE
