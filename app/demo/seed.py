"""`flask seed-demo`: an open call, an administrator, four reviewers and twelve cities.

Idempotent: people are found by email and the call by slug, so running it twice
creates nothing new.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.accounts.passwords import hash_password
from app.calls.models import Call, CallState, EligibilityQuestion
from app.calls.services import create_call
from app.db import utcnow
from app.extensions import db
from app.proposals.models import Partner, PartnerKind, Proposal, ProposalRevision, ProposalState
from app.reviews.models import (
    Assignment,
    AssignmentState,
    Recommendation,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)

DEMO_SLUG = "dialogue-cafe-2026"
DEMO_PASSWORD = "dialogue-demo-2026"  # noqa: S105 - printed for the demo on purpose
ADMIN_EMAIL = "admin@demo.dialoguecafe.org"

DESCRIPTION = """\
The **Dialogue Café Network** links cafés in different cities through high-quality
videoconferencing, so that people of different cultures, faiths and backgrounds can hold
conversations together.

This call invites **cities and local governments** to propose hosting a Dialogue Café. We look
for cities with the right mix of creativity, diversity, intercultural profile, innovation,
collaboration, culture of peace and vision.

A proposal names the partner organisations that would run the café: people to run it, a space
of about 60–80 m² that is open and accessible, and links to the networks that would use it.
"""


@dataclass(frozen=True)
class DemoCity:
    city: str
    country_code: str
    region: str
    continent: str
    population: int
    language: str
    state: ProposalState
    partner: str


CITIES = (
    DemoCity(
        "Lisbon",
        "PT",
        "Lisbon Metropolitan Area",
        "Europe",
        545_000,
        "pt",
        ProposalState.SUBMITTED,
        "Associação Mundo em Diálogo",
    ),
    DemoCity(
        "Rio de Janeiro",
        "BR",
        "Rio de Janeiro",
        "South America",
        6_211_000,
        "pt",
        ProposalState.SUBMITTED,
        "Instituto Conversas Cariocas",
    ),
    DemoCity(
        "Turin",
        "IT",
        "Piedmont",
        "Europe",
        848_000,
        "en",
        ProposalState.SUBMITTED,
        "Fondazione Dialoghi Torino",
    ),
    DemoCity(
        "São Paulo",
        "BR",
        "São Paulo",
        "South America",
        11_450_000,
        "pt",
        ProposalState.CLARIFICATION_REQUESTED,
        "Casa das Culturas Paulistana",
    ),
    DemoCity(
        "Cardiff",
        "GB",
        "Wales",
        "Europe",
        362_000,
        "en",
        ProposalState.SUBMITTED,
        "Cardiff Interfaith Forum",
    ),
    DemoCity(
        "Duisburg",
        "DE",
        "North Rhine-Westphalia",
        "Europe",
        498_000,
        "en",
        ProposalState.SUBMITTED,
        "Duisburger Dialog e.V.",
    ),
    DemoCity(
        "Toronto",
        "CA",
        "Ontario",
        "North America",
        2_794_000,
        "en",
        ProposalState.SUBMITTED,
        "Toronto Newcomers Network",
    ),
    DemoCity(
        "New York",
        "US",
        "New York",
        "North America",
        8_336_000,
        "en",
        ProposalState.DRAFT,
        "Queens Public Conversations",
    ),
    DemoCity(
        "Istanbul",
        "TR",
        "Marmara",
        "Asia",
        15_460_000,
        "en",
        ProposalState.SUBMITTED,
        "Bosphorus Dialogue Association",
    ),
    DemoCity(
        "Beirut",
        "LB",
        "Beirut Governorate",
        "Asia",
        2_400_000,
        "fr",
        ProposalState.SUBMITTED,
        "Maison du Dialogue Beyrouth",
    ),
    DemoCity(
        "Melbourne",
        "AU",
        "Victoria",
        "Oceania",
        5_078_000,
        "en",
        ProposalState.DRAFT,
        "Melbourne Multicultural Hub",
    ),
    DemoCity(
        "Lagos",
        "NG",
        "Lagos State",
        "Africa",
        15_388_000,
        "en",
        ProposalState.WITHDRAWN,
        "Lagos Cultural Exchange Foundation",
    ),
)

REVIEWERS = (
    ("Amina Diallo", "amina.diallo@demo.dialoguecafe.org", ["SN"], ["en", "fr"], "Africa"),
    (
        "Carlos Mendes",
        "carlos.mendes@demo.dialoguecafe.org",
        ["BR"],
        ["pt", "es", "en"],
        "South America",
    ),
    ("Hannah Weber", "hannah.weber@demo.dialoguecafe.org", ["DE"], ["en", "fr"], "Europe"),
    ("Kenji Sato", "kenji.sato@demo.dialoguecafe.org", ["JP"], ["en"], "Asia"),
)


def _user(email: str, name: str, roles: tuple[Role, ...], locale: str = "en") -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(DEMO_PASSWORD),
        email_verified_at=utcnow(),
        locale=locale,
    )
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user, True


def _narratives(call: Call, city: DemoCity) -> dict[str, str]:
    return {
        criterion.key: (
            f"{city.city} answers on {criterion.name.lower()}: our partners at {city.partner} "
            f"have run community conversations for years. {criterion.guidance} In {city.city}, "
            "we would start with monthly conversations between young people, faith leaders and "
            "newcomers, and link with partner cafés abroad."
        )
        for criterion in call.criteria
    }


def _proposal(call: Call, owner: User, city: DemoCity) -> Proposal:
    now = utcnow()
    proposal = Proposal(
        call_id=call.id,
        owner_id=owner.id,
        state=city.state,
        city=city.city,
        country_code=city.country_code,
        region=city.region,
        continent=city.continent,
        population=city.population,
        organisation=f"City of {city.city}",
        contact_name=owner.name,
        contact_email=owner.email,
        language=city.language,
        answers={
            "narratives": _narratives(call, city),
            "venue": {"address": f"Central Library, {city.city}", "floor_area_m2": 70},
            "technical": {"broadband": True, "video_wall_room": True, "staff": True},
            "programme": {"link_cities": "Lisbon, Toronto, Beirut"},
            "funding": {"plan": "Co-funded by the city and the partner for three years."},
        },
        partners=[
            Partner(
                organisation=city.partner,
                kind=PartnerKind.NGO,
                offers_people=True,
                offers_space=True,
                offers_networks=True,
            ),
        ],
    )
    if city.state != ProposalState.DRAFT:
        proposal.submitted_at = now - timedelta(days=3)
    if city.state == ProposalState.WITHDRAWN:
        proposal.withdrawn_at = now - timedelta(days=1)
        proposal.withdrawal_reason = "The venue is no longer available this year."
    db.session.add(proposal)
    db.session.flush()
    if proposal.submitted_at:
        db.session.add(
            ProposalRevision(
                proposal_id=proposal.id,
                number=1,
                submitted_at=proposal.submitted_at,
                submitted_by_id=owner.id,
                snapshot={"city": city.city, "answers": proposal.answers},
            )
        )
    return proposal


def _reviews(call: Call, proposals: list[Proposal], reviewers: list[User]) -> None:
    """Two reviewers per submitted proposal; most reviews submitted, some still drafts."""
    rng = random.Random(2009)  # the year of the call; fixed so the demo is the same every time
    for index, proposal in enumerate(p for p in proposals if p.state == ProposalState.SUBMITTED):
        for offset in range(2):
            reviewer = reviewers[(index + offset) % len(reviewers)]
            submitted = (index + offset) % 4 != 3
            assignment = Assignment(
                proposal_id=proposal.id,
                reviewer_id=reviewer.id,
                state=AssignmentState.SUBMITTED if submitted else AssignmentState.IN_PROGRESS,
                due_at=call.review_deadline,
            )
            db.session.add(assignment)
            db.session.flush()
            review = Review(
                assignment_id=assignment.id,
                state=ReviewState.SUBMITTED if submitted else ReviewState.DRAFT,
                overall_comment="Strong partners; the venue plan needs detail.",
                comment_for_applicant="Thank you: a thoughtful proposal.",
                comment_shareable=True,
                recommendation=Recommendation.SUPPORT if submitted else None,
                confidence=rng.randint(2, 5),
                submitted_at=utcnow() if submitted else None,
            )
            review.scores = [
                Score(
                    criterion_id=criterion.id,
                    scale_min=criterion.scale_min,
                    scale_max=criterion.scale_max,
                    value=float(rng.randint(int(criterion.scale_min), int(criterion.scale_max))),
                    comment="",
                )
                for criterion in call.criteria
            ]
            db.session.add(review)


def seed_demo() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo once. Returns (created, [(role, email, password)])."""
    logins: list[tuple[str, str, str]] = []
    admin, _ = _user(ADMIN_EMAIL, "Demo Administrator", (Role.ADMINISTRATOR,))
    logins.append(("administrator", admin.email, DEMO_PASSWORD))
    reviewers = []
    for name, email, countries, languages, region in REVIEWERS:
        reviewer, created = _user(email, name, (Role.REVIEWER,))
        if created:
            db.session.add(
                ReviewerProfile(
                    user_id=reviewer.id,
                    countries=countries,
                    languages=languages,
                    region=region,
                    max_proposals=12,
                )
            )
        reviewers.append(reviewer)
        logins.append(("reviewer", email, DEMO_PASSWORD))

    call = db.session.scalar(select(Call).where(Call.slug == DEMO_SLUG))
    created_call = call is None
    if created_call:
        now = utcnow().replace(second=0, microsecond=0)
        call = create_call(
            actor=admin,
            slug=DEMO_SLUG,
            title="Dialogue Café — Call for Interest to Cities",
            description=DESCRIPTION,
            opens_at=now - timedelta(days=14),
            closes_at=now + timedelta(days=30),
            review_deadline=now + timedelta(days=60),
            languages=["en", "fr", "es", "pt"],
            grace_minutes=15,
        )
        call.state = CallState.OPEN
        call.eligibility_questions = [
            EligibilityQuestion(
                position=0,
                text="Are you applying for, or with the support of, a city or local government?",
                qualifying_answer=True,
                explanation="This call is addressed to cities and local governments. A partner "
                "organisation may apply with a letter of support from its city.",
            ),
            EligibilityQuestion(
                position=1,
                text="Can you offer a space of about 60–80 m² that is open to the public?",
                qualifying_answer=True,
                explanation="A Dialogue Café needs an open, accessible space for its "
                "video wall and its visitors.",
            ),
        ]
        db.session.flush()

    proposals = []
    for city in CITIES:
        email = f"{city.city.lower().replace(' ', '.').replace('ã', 'a')}@demo.dialoguecafe.org"
        owner, _ = _user(email, f"{city.city} city office", (Role.APPLICANT,), city.language)
        logins.append(("city", email, DEMO_PASSWORD))
        if created_call:
            proposals.append(_proposal(call, owner, city))
    if created_call:
        db.session.flush()
        _reviews(call, proposals, reviewers)
    db.session.flush()
    return created_call, logins
