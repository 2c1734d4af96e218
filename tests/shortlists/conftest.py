"""Fixtures for the shortlist tests: an administrator, and a scored call on five continents."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs.models import Job
from app.shortlists import services
from app.shortlists.models import Shortlist
from tests.shortlists.helpers import city, scored_call
from workers.shortlists import compile_shortlist as compile_task

# Eight cities: Europe is strong, every continent applied once or more.
CITIES = [
    city("Lisbon", "PT", "Europe", 5, 5),
    city("Porto", "PT", "Europe", 5, 4),
    city("Turin", "IT", "Europe", 4, 4),
    city("Nairobi", "KE", "Africa", 3, 4),
    city("Osaka", "JP", "Asia", 3, 3),
    city("Recife", "BR", "South America", 2, 3),
    city("Montreal", "CA", "North America", 2, 2),
    city("Perth", "AU", "Oceania", 1, 2),
]


@pytest.fixture
def scored(app_context):
    return scored_call(CITIES)


def compile_now(*, actor, call, **parameters) -> Shortlist:
    """Ask for a compilation and run its job in this process, as a worker would."""
    shortlist = services.request_compilation(
        actor=actor, call=call, parameters=services.CompileParameters(**parameters)
    )
    db.session.commit()
    compile_task(job_id=shortlist.job_id)
    db.session.expire_all()
    return db.session.get(Shortlist, shortlist.id)


def job_of(shortlist: Shortlist) -> Job:
    return db.session.get(Job, shortlist.job_id)
