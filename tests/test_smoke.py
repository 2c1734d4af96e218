from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_each_test_starts_with_an_empty_database(app_context):
    db.session.add(User(email="a@example.org", name="A"))
    db.session.commit()
    assert db.session.scalar(select(User).where(User.email == "a@example.org")) is not None


def test_the_previous_test_was_rolled_back(app_context):
    assert db.session.scalar(select(User).where(User.email == "a@example.org")) is None
