from sqlalchemy import func, select

from app.calls.models import Call
from app.demo.seed import DEMO_SLUG, seed_demo
from app.extensions import db
from app.models import Proposal, ProposalState, Review, User


def _counts() -> tuple[int, int, int, int]:
    return (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Call.id))),
        db.session.scalar(select(func.count(Proposal.id))),
        db.session.scalar(select(func.count(Review.id))),
    )


def test_seed_demo_creates_an_open_call_with_cities_in_several_states(app_context):
    created, logins = seed_demo()
    assert created
    call = db.session.scalar(select(Call).where(Call.slug == DEMO_SLUG))
    assert call.state == "open"
    assert [criterion.key for criterion in call.criteria][:3] == [
        "diversity",
        "creativity",
        "culture_of_peace",
    ]
    states = set(db.session.scalars(select(Proposal.state)))
    assert {ProposalState.DRAFT, ProposalState.SUBMITTED, ProposalState.WITHDRAWN} <= states
    cities = set(db.session.scalars(select(Proposal.city)))
    assert {"Lisbon", "Rio de Janeiro", "Lagos", "Melbourne"} <= cities
    roles = {role for role, _, _ in logins}
    assert roles == {"administrator", "reviewer", "city"}


def test_seed_demo_twice_duplicates_nothing(app_context):
    seed_demo()
    first = _counts()
    created, _ = seed_demo()
    assert not created
    assert _counts() == first


def test_seed_demo_command_prints_the_logins(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.dialoguecafe.org" in result.output
    assert "lisbon@demo.dialoguecafe.org" in result.output
