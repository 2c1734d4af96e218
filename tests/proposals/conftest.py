"""Fixtures of the proposals tests: a city account and an open call with two questions."""

from __future__ import annotations

import pytest

from app.calls.models import EligibilityQuestion
from app.extensions import db
from tests.factories import make_call, make_user


@pytest.fixture
def city():
    user = make_user(name="Ana Lisboa", email="ana@lisboa.example")
    db.session.commit()
    return user


@pytest.fixture
def call():
    call = make_call()
    call.eligibility_questions = [
        EligibilityQuestion(
            text="Do you apply for, or with the support of, a city government?",
            qualifying_answer=True,
            explanation="The call is for cities: a city government must take part.",
            position=0,
        ),
        EligibilityQuestion(
            text="Is your organisation a for-profit company?",
            qualifying_answer=False,
            explanation="Companies may be partners, not applicants.",
            position=1,
        ),
    ]
    db.session.commit()
    return call
