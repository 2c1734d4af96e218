"""`python -m bench seed`: the workload of a big call, the same every time (a fixed random seed).

One open call with the seven default criteria, N submitted proposals with a revision and
narrative answers of 150-400 words per criterion, reviewers with profiles and limits,
M submitted reviews per proposal (a score and a comment per criterion), and a handful of
declared conflicts. Rows go in with bulk INSERTs in chunks, so seeding 2,000 proposals and
6,000 reviews takes seconds, not minutes, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, Table, delete, func, insert, select, update

from app.accounts.models import Role, User, UserRole
from app.accounts.passwords import hash_password
from app.calls.models import Call, CallState, Criterion, EligibilityQuestion
from app.calls.services import create_call
from app.db import Base, utcnow
from app.extensions import db
from app.outbox.models import Notification
from app.proposals.continents import continent_for
from app.proposals.models import Partner, PartnerKind, Proposal, ProposalRevision, ProposalState
from app.reviews.models import (
    Assignment,
    AssignmentState,
    ConflictOfInterest,
    ConflictSource,
    Recommendation,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)

BENCH_SLUG = "bench-call"
BENCH_EMAIL_DOMAIN = "bench.example.org"
BENCH_ADMIN_EMAIL = f"admin@{BENCH_EMAIL_DOMAIN}"
# Administrators must use two-factor login: the bench's logs in with codes of this key.
BENCH_TOTP_SECRET = "BENCHADMINTWOFACTORKEYBENCHADMIN"  # noqa: S105 - the bench's own
# Every bench account shares it, so the harness can log in over HTTP like a person would.
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - a published benchmark account
RANDOM_SEED = 2009  # the year of the original call
CHUNK = 2000
DECLARED_CONFLICTS = 24

# city | ISO 3166 country | region | population | language of the proposal (the continent
# follows from the country, as when a city saves its form)
_CITIES = """\
Lagos|NG|Lagos State|15388000|en
Nairobi|KE|Nairobi County|4397000|en
Accra|GH|Greater Accra|2557000|en
Dakar|SN|Dakar Region|1146000|fr
Abidjan|CI|Abidjan District|4980000|fr
Casablanca|MA|Casablanca-Settat|3359000|fr
Tunis|TN|Tunis Governorate|1056000|fr
Cairo|EG|Cairo Governorate|9540000|en
Addis Ababa|ET|Addis Ababa|3384000|en
Kigali|RW|Kigali City|1132000|en
Kampala|UG|Central Region|1680000|en
Dar es Salaam|TZ|Dar es Salaam Region|4364000|en
Maputo|MZ|Maputo City|1088000|pt
Luanda|AO|Luanda Province|2572000|pt
Johannesburg|ZA|Gauteng|5635000|en
Cape Town|ZA|Western Cape|4618000|en
Windhoek|NA|Khomas|431000|en
Praia|CV|Santiago|159000|pt
Bamako|ML|Bamako District|2446000|fr
Tokyo|JP|Kanto|13960000|en
Osaka|JP|Kansai|2753000|en
Seoul|KR|Seoul Capital Area|9776000|en
Manila|PH|Metro Manila|1846000|en
Jakarta|ID|Special Capital Region|10562000|en
Bangkok|TH|Bangkok Metropolitan Region|10539000|en
Kuala Lumpur|MY|Federal Territory|1982000|en
Singapore|SG|Central Region|5686000|en
Mumbai|IN|Maharashtra|12442000|en
Kolkata|IN|West Bengal|4497000|en
Dhaka|BD|Dhaka Division|10278000|en
Colombo|LK|Western Province|753000|en
Kathmandu|NP|Bagmati|1442000|en
Almaty|KZ|Almaty|2000000|en
Tashkent|UZ|Tashkent|2571000|en
Istanbul|TR|Marmara|15460000|en
Beirut|LB|Beirut Governorate|2400000|fr
Amman|JO|Amman Governorate|4061000|en
Doha|QA|Doha|956000|en
Macau|MO|Macau|682000|pt
Ulaanbaatar|MN|Ulaanbaatar|1539000|en
Lisbon|PT|Lisbon Metropolitan Area|545000|pt
Porto|PT|Norte|232000|pt
Madrid|ES|Community of Madrid|3305000|es
Barcelona|ES|Catalonia|1620000|es
Paris|FR|Île-de-France|2161000|fr
Lyon|FR|Auvergne-Rhône-Alpes|516000|fr
Marseille|FR|Provence-Alpes-Côte d'Azur|870000|fr
Brussels|BE|Brussels-Capital|1209000|fr
Amsterdam|NL|North Holland|872000|en
Rotterdam|NL|South Holland|651000|en
Duisburg|DE|North Rhine-Westphalia|498000|en
Berlin|DE|Berlin|3645000|en
Vienna|AT|Vienna|1897000|en
Turin|IT|Piedmont|848000|en
Naples|IT|Campania|909000|en
Athens|GR|Attica|664000|en
Sarajevo|BA|Sarajevo Canton|275000|en
Warsaw|PL|Masovia|1794000|en
Tallinn|EE|Harju|437000|en
Oslo|NO|Oslo|697000|en
Cardiff|GB|Wales|362000|en
Glasgow|GB|Scotland|635000|en
Dublin|IE|Leinster|554000|en
Geneva|CH|Geneva|203000|fr
Toronto|CA|Ontario|2794000|en
Montreal|CA|Quebec|1762000|fr
Vancouver|CA|British Columbia|662000|en
New York|US|New York|8336000|en
Chicago|US|Illinois|2696000|en
Los Angeles|US|California|3898000|en
Houston|US|Texas|2304000|en
Atlanta|US|Georgia|498000|en
Mexico City|MX|Mexico City|9209000|es
Guadalajara|MX|Jalisco|1385000|es
Guatemala City|GT|Guatemala|1221000|es
San José|CR|San José|342000|es
Havana|CU|La Habana|2132000|es
Panama City|PA|Panamá|880000|es
Kingston|JM|Surrey|662000|en
São Paulo|BR|São Paulo|11450000|pt
Rio de Janeiro|BR|Rio de Janeiro|6211000|pt
Salvador|BR|Bahia|2418000|pt
Porto Alegre|BR|Rio Grande do Sul|1332000|pt
Buenos Aires|AR|Buenos Aires|3121000|es
Córdoba|AR|Córdoba|1391000|es
Montevideo|UY|Montevideo|1381000|es
Santiago|CL|Santiago Metropolitan|6257000|es
Valparaíso|CL|Valparaíso|296000|es
Lima|PE|Lima|9752000|es
Bogotá|CO|Bogotá Capital District|7181000|es
Medellín|CO|Antioquia|2533000|es
Quito|EC|Pichincha|2011000|es
La Paz|BO|La Paz|755000|es
Asunción|PY|Asunción|521000|es
Sydney|AU|New South Wales|5312000|en
Melbourne|AU|Victoria|5078000|en
Brisbane|AU|Queensland|2560000|en
Perth|AU|Western Australia|2125000|en
Auckland|NZ|Auckland|1657000|en
Wellington|NZ|Wellington|215000|en
Suva|FJ|Central Division|93000|en
Port Moresby|PG|National Capital District|364000|en
Apia|WS|Tuamasaga|37000|en
Nouméa|NC|South Province|94000|fr
"""


@dataclass(frozen=True)
class BenchCity:
    city: str
    country_code: str
    region: str
    continent: str
    population: int
    language: str


CITIES: tuple[BenchCity, ...] = tuple(
    BenchCity(name, code, region, continent_for(code) or "", int(population), language)
    for name, code, region, population, language in (
        line.split("|") for line in _CITIES.splitlines()
    )
)
CONTINENTS = tuple(sorted({city.continent for city in CITIES}))

_WORDS = tuple(
    """\
city council neighbourhood library square market youth elders women newcomers refugees
students artists musicians teachers faith leaders families volunteers partners network
dialogue conversation exchange encounter café screen link video wall broadband room venue
accessible open evening weekend monthly weekly programme festival workshop storytelling
theatre film poetry cuisine language translation interpretation memory migration history
heritage identity belonging trust respect curiosity listening empathy peace tolerance
cooperation diplomacy twin cities partnership municipality mayor office university school
museum foundation association cultural centre community radio newspaper journalists
reconciliation minority majority district harbour railway station suburb old town
training facilitators moderators schedule budget sponsors funding sustainability
evaluation survey audience participation inclusion disability seniors children
digital media streaming recording archive website social networks outreach invitations
intercultural multilingual diverse shared common public local regional international
concrete practical ambitious realistic modest careful proven new first regular lasting
""".split()  # noqa: SIM905 - a paragraph of words reads better than a list of 130 strings
)

_OPENINGS = (
    "In {city} we would",
    "Our partners in {city} already",
    "The café would",
    "Together with the municipality we plan to",
    "Over the first year we want to",
    "Residents of {region} have asked us to",
    "Building on earlier projects we would",
    "With partner cities abroad we intend to",
)

_VERBS = (
    "bring together",
    "invite",
    "connect",
    "train",
    "support",
    "host",
    "document",
    "welcome",
    "link",
    "listen to",
)

ELIGIBILITY = (
    (
        "Does a city or local government apply, or support this proposal?",
        "This call is addressed to cities and local governments.",
    ),
    (
        "Could the café have a public space of 60 to 80 m²?",
        "A Dialogue Café needs an open, accessible space.",
    ),
)

_RECOMMENDATIONS_BY_MEAN = (
    (4.0, Recommendation.STRONGLY_SUPPORT),
    (3.2, Recommendation.SUPPORT),
    (2.4, Recommendation.NEUTRAL),
    (0.0, Recommendation.DO_NOT_SUPPORT),
)


@dataclass(frozen=True)
class SeedSummary:
    created: bool
    call_id: int
    proposals: int
    reviewers: int
    reviews: int
    scores: int
    conflicts: int

    def describe(self) -> str:
        verb = "Created" if self.created else "Found"
        return (
            f"{verb} bench call {BENCH_SLUG!r} (id {self.call_id}): {self.proposals} proposals, "
            f"{self.reviewers} reviewers, {self.reviews} submitted reviews, {self.scores} scores, "
            f"{self.conflicts} declared conflicts."
        )


class TextMaker:
    """Plausible narrative text from a small vocabulary: varied, deterministic, cheap."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def sentence(self, city: BenchCity) -> str:
        rng = self.rng
        opening = rng.choice(_OPENINGS).format(city=city.city, region=city.region)
        words = rng.choices(_WORDS, k=rng.randint(6, 16))
        return f"{opening} {rng.choice(_VERBS)} {' '.join(words)}."

    def paragraph(self, city: BenchCity, *, min_words: int, max_words: int) -> str:
        target = self.rng.randint(min_words, max_words)
        sentences, count = [], 0
        while count < target:
            sentence = self.sentence(city)
            sentences.append(sentence)
            count += sentence.count(" ") + 1
        return " ".join(sentences)


def bench_call() -> Call | None:
    return db.session.scalar(select(Call).where(Call.slug == BENCH_SLUG))


def summarise(call: Call, *, created: bool) -> SeedSummary:
    proposal_ids = select(Proposal.id).where(Proposal.call_id == call.id).scalar_subquery()
    assignment_ids = select(Assignment.id).where(Assignment.proposal_id.in_(proposal_ids))
    review_ids = select(Review.id).where(Review.assignment_id.in_(assignment_ids))

    def count(query: Select) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return SeedSummary(
        created=created,
        call_id=call.id,
        proposals=count(select(Proposal.id).where(Proposal.call_id == call.id)),
        reviewers=count(
            select(ReviewerProfile.user_id)
            .join(User, User.id == ReviewerProfile.user_id)
            .where(User.email.like(f"%@{BENCH_EMAIL_DOMAIN}"))
        ),
        reviews=count(review_ids.where(Review.state == ReviewState.SUBMITTED)),
        scores=count(select(Score.id).where(Score.review_id.in_(review_ids))),
        conflicts=count(
            select(ConflictOfInterest.id).where(ConflictOfInterest.proposal_id.in_(proposal_ids))
        ),
    )


def seed_bench(
    *,
    proposals: int = 2000,
    reviewers: int = 200,
    reviews_per_proposal: int = 3,
    reset: bool = False,
) -> SeedSummary:
    """Create the bench workload once (or again after `reset`). The caller commits."""
    if reviews_per_proposal > reviewers:
        raise ValueError("each proposal needs that many distinct reviewers")
    existing = bench_call()
    if existing is not None and not reset:
        return summarise(existing, created=False)
    if reset:
        drop_bench()
    return _Seeder(proposals, reviewers, reviews_per_proposal).run()


def drop_bench() -> None:
    """Remove the bench call and the bench accounts, and every row that depends on them."""
    purge(Call.__table__, select(Call.id).where(Call.slug == BENCH_SLUG))
    drop_accounts(f"%@{BENCH_EMAIL_DOMAIN}")


def drop_accounts(email_pattern: str) -> None:
    """Remove accounts (LIKE pattern) with what depends on them, and the mail sent to them.

    Their messages go too: a de-duplication key names a user id, which SQLite may give
    to the next account created.
    """
    purge(User.__table__, select(User.id).where(User.email.like(email_pattern)))
    db.session.execute(delete(Notification).where(Notification.recipient_email.like(email_pattern)))


def purge(table: Table, ids: Select) -> None:
    """Delete the rows whose primary key is in `ids`, and first whatever refers to them.

    The foreign keys of the schema say what depends on what: a nullable reference is
    cleared, a required one means the referring row goes too. So rows that other
    domains add later are removed without this function having to know them.
    """
    id_column = next(iter(table.primary_key.columns))
    for other in Base.metadata.sorted_tables:
        for constraint in other.foreign_key_constraints:
            if constraint.referred_table is not table:
                continue
            local = next(
                (element.parent for element in constraint.elements if element.column is id_column),
                None,
            )
            if local is None:
                continue
            if all(column.nullable for column in constraint.columns):
                cleared = {column.name: None for column in constraint.columns}
                db.session.execute(update(other).where(local.in_(ids)).values(cleared))
            elif len(other.primary_key.columns) == 1:
                other_id = next(iter(other.primary_key.columns))
                purge(other, select(other_id).where(local.in_(ids)))
            else:
                db.session.execute(delete(other).where(local.in_(ids)))
    db.session.execute(delete(table).where(id_column.in_(ids)))


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterator[Sequence[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk_insert(model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT the rows in chunks; the new ids, in the order of `rows`."""
    ids: list[int] = []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    for chunk in _chunks(rows):
        ids.extend(db.session.scalars(statement, list(chunk)))
    return ids


def bulk_insert_plain(model: type[Base], rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    for chunk in _chunks(rows):
        db.session.execute(insert(model), list(chunk))


class _Seeder:
    def __init__(self, proposals: int, reviewers: int, reviews_per_proposal: int):
        self.n_proposals = proposals
        self.n_reviewers = reviewers
        self.per_proposal = reviews_per_proposal
        self.rng = random.Random(RANDOM_SEED)
        self.text = TextMaker(self.rng)
        # Whole minutes, so that a second run a moment later writes the same instants.
        self.now = utcnow().replace(second=0, microsecond=0)
        self.password_hash = hash_password(BENCH_PASSWORD)

    def run(self) -> SeedSummary:
        admin_id = self.users([("Bench Administrator", BENCH_ADMIN_EMAIL)], Role.ADMINISTRATOR)[0]
        admin = db.session.get_one(User, admin_id)
        admin.totp_secret, admin.totp_enabled_at = BENCH_TOTP_SECRET, self.now
        call = self.call(admin_id)
        criteria = list(call.criteria)
        reviewer_ids, profiles = self.reviewers()
        cities = [self.rng.choice(CITIES) for _ in range(self.n_proposals)]
        owner_ids = self.users(
            [
                (f"{city.city} city office {number:04d}", f"city-{number:04d}@{BENCH_EMAIL_DOMAIN}")
                for number, city in enumerate(cities, start=1)
            ],
            Role.APPLICANT,
        )
        proposal_ids, qualities = self.proposals(call, criteria, cities, owner_ids)
        conflicts = self.conflicts(proposal_ids, reviewer_ids, admin_id)
        pairs = self.assign(cities, proposal_ids, reviewer_ids, profiles, conflicts)
        self.reviews(call, criteria, pairs, qualities, cities, admin_id)
        db.session.flush()
        return summarise(call, created=True)

    def users(self, people: list[tuple[str, str]], role: Role) -> list[int]:
        ids = bulk_insert(
            User,
            [
                {
                    "email": email,
                    "name": name,
                    "password_hash": self.password_hash,
                    "locale": "en",
                    "timezone": "UTC",
                    "active": True,
                    "email_verified_at": self.now,
                    "session_token": secrets.token_urlsafe(32),
                    "created_at": self.now,
                }
                for name, email in people
            ],
        )
        bulk_insert_plain(
            UserRole,
            ({"user_id": user_id, "role": role, "granted_at": self.now} for user_id in ids),
        )
        return ids

    def call(self, admin_id: int) -> Call:
        admin = db.session.get(User, admin_id)
        call = create_call(
            actor=admin,
            slug=BENCH_SLUG,
            title="Dialogue Café — Call for Interest to Cities (benchmark)",
            description=(
                "The **Dialogue Café Network** links cafés in different cities through "
                "high-quality videoconferencing, so that people of different cultures, faiths "
                "and backgrounds can hold conversations together.\n\n"
                "This call invites **cities and local governments** to propose hosting a "
                "Dialogue Café. It is the benchmark's workload: a big call still open while "
                "the first reviews come in."
            ),
            opens_at=self.now - timedelta(days=60),
            closes_at=self.now + timedelta(days=365),
            review_deadline=self.now + timedelta(days=400),
            languages=["en", "fr", "es", "pt"],
            grace_minutes=15,
        )
        # Open and reviewed at once: the heaviest mix (a rolling call), so that the public
        # page, the application flow and the review pages are all measured on one call.
        call.state = CallState.OPEN
        call.eligibility_questions = [
            EligibilityQuestion(position=position, text=text, explanation=explanation)
            for position, (text, explanation) in enumerate(ELIGIBILITY)
        ]
        db.session.flush()
        return call

    def reviewers(self) -> tuple[list[int], list[dict[str, Any]]]:
        rng = self.rng
        homes = [rng.choice(CITIES) for _ in range(self.n_reviewers)]
        # Enough capacity for every review with room to spare, as in a real panel.
        needed = self.n_proposals * self.per_proposal
        base = max(1, -(-needed * 5 // (4 * self.n_reviewers)))
        ids = self.users(
            [
                (
                    f"Reviewer {number:03d} ({home.city})",
                    f"reviewer-{number:03d}@{BENCH_EMAIL_DOMAIN}",
                )
                for number, home in enumerate(homes, start=1)
            ],
            Role.REVIEWER,
        )
        profiles = []
        for user_id, home in zip(ids, homes, strict=True):
            second = rng.choice(CITIES)
            countries = sorted({home.country_code, second.country_code})
            languages = sorted({"en", home.language, rng.choice(("en", "fr", "es", "pt"))})
            profiles.append(
                {
                    "user_id": user_id,
                    "countries": countries,
                    "cities": [home.city],
                    "organisations": [f"{home.city} Intercultural Institute"],
                    "email_domains": [],
                    "languages": languages,
                    "region": home.continent,
                    "expertise": self.text.paragraph(home, min_words=20, max_words=40),
                    "max_proposals": base + rng.randint(0, max(1, base // 2)),
                }
            )
        bulk_insert_plain(ReviewerProfile, profiles)
        return ids, profiles

    def proposals(
        self,
        call: Call,
        criteria: list[Criterion],
        cities: list[BenchCity],
        owner_ids: list[int],
    ) -> tuple[list[int], list[float]]:
        rng = self.rng
        rows, qualities, answers_by_row = [], [], []
        for number, (city, owner_id) in enumerate(zip(cities, owner_ids, strict=True), start=1):
            narratives = {
                criterion.key: self.text.paragraph(city, min_words=150, max_words=400)
                for criterion in criteria
            }
            answers = {
                "narratives": narratives,
                "venue": {
                    "address": f"{rng.randint(1, 240)} Market Street, {city.city}",
                    "floor_area_m2": rng.randint(55, 120),
                    "accessibility": "Step-free entrance, hearing loop, accessible toilets.",
                    "opening_hours": "Tuesday to Saturday, 10:00-21:00",
                },
                "technical": {
                    "broadband": rng.random() > 0.1,
                    "video_wall_room": rng.random() > 0.2,
                    "staff": rng.random() > 0.15,
                },
                "programme": {
                    "first_conversations": self.text.paragraph(city, min_words=30, max_words=60),
                    "link_cities": ", ".join(c.city for c in rng.sample(CITIES, 3)),
                },
                "funding": {"plan": self.text.paragraph(city, min_words=40, max_words=90)},
            }
            submitted_at = self.now - timedelta(days=50) + timedelta(minutes=37 * number)
            answers_by_row.append((answers, submitted_at, owner_id, city))
            qualities.append(rng.uniform(1.5, 4.7))
            rows.append(
                {
                    "call_id": call.id,
                    "owner_id": owner_id,
                    "state": ProposalState.SUBMITTED,
                    "city": city.city,
                    "country_code": city.country_code,
                    "region": city.region,
                    "continent": city.continent,
                    "population": city.population,
                    "organisation": f"City of {city.city}",
                    "contact_name": f"{city.city} city office {number:04d}",
                    "contact_email": f"city-{number:04d}@{BENCH_EMAIL_DOMAIN}",
                    "contact_phone": f"+{rng.randint(1, 999)} {rng.randint(100000, 999999)}",
                    "language": city.language,
                    "answers": answers,
                    "version": 2,
                    "created_at": submitted_at - timedelta(days=3),
                    "updated_at": submitted_at,
                    "submitted_at": submitted_at,
                }
            )
        ids = bulk_insert(Proposal, rows)
        bulk_insert_plain(
            ProposalRevision,
            (
                {
                    "proposal_id": proposal_id,
                    "number": 1,
                    "snapshot": {
                        "city": city.city,
                        "country_code": city.country_code,
                        "region": city.region,
                        "population": city.population,
                        "organisation": f"City of {city.city}",
                        "answers": answers,
                    },
                    "submitted_at": submitted_at,
                    "submitted_by_id": owner_id,
                }
                for proposal_id, (answers, submitted_at, owner_id, city) in zip(
                    ids, answers_by_row, strict=True
                )
            ),
        )
        partners = []
        kinds = list(PartnerKind)
        for proposal_id, city in zip(ids, cities, strict=True):
            for position in range(rng.randint(1, 3)):
                partners.append(
                    {
                        "proposal_id": proposal_id,
                        "position": position,
                        "organisation": f"{city.city} {rng.choice(_PARTNER_NAMES)}",
                        "kind": rng.choice(kinds),
                        "offers_people": rng.random() > 0.3,
                        "offers_space": rng.random() > 0.6,
                        "offers_networks": rng.random() > 0.3,
                        "description": self.text.paragraph(city, min_words=15, max_words=40),
                    }
                )
        bulk_insert_plain(Partner, partners)
        return ids, qualities

    def conflicts(
        self, proposal_ids: list[int], reviewer_ids: list[int], admin_id: int
    ) -> set[tuple[int, int]]:
        rng = self.rng
        pairs: set[tuple[int, int]] = set()
        wanted = min(DECLARED_CONFLICTS, len(proposal_ids) * len(reviewer_ids) // 4)
        while len(pairs) < wanted:
            pairs.add((rng.randrange(len(proposal_ids)), rng.randrange(len(reviewer_ids))))
        rows = []
        for number, (proposal_index, reviewer_index) in enumerate(sorted(pairs)):
            by_admin = number % 4 == 0
            rows.append(
                {
                    "reviewer_id": reviewer_ids[reviewer_index],
                    "proposal_id": proposal_ids[proposal_index],
                    "source": ConflictSource.ADMINISTRATOR if by_admin else ConflictSource.DECLARED,
                    "reason": "Advised the city on its application."
                    if by_admin
                    else "I worked with the partner organisation last year.",
                    "created_at": self.now,
                    "created_by_id": admin_id if by_admin else reviewer_ids[reviewer_index],
                }
            )
        bulk_insert_plain(ConflictOfInterest, rows)
        return pairs

    def assign(
        self,
        cities: list[BenchCity],
        proposal_ids: list[int],
        reviewer_ids: list[int],
        profiles: list[dict[str, Any]],
        conflicts: set[tuple[int, int]],
    ) -> list[tuple[int, int]]:
        """(proposal index, reviewer index) pairs: least-loaded first, no conflict, no overload.

        A conflict is a declared one or the same country (the call's default rule).
        """
        load = [0] * len(reviewer_ids)
        limits = [profile["max_proposals"] for profile in profiles]
        countries = [set(profile["countries"]) for profile in profiles]
        order = list(range(len(proposal_ids)))
        self.rng.shuffle(order)
        pairs = []
        for proposal_index in order:
            country = cities[proposal_index].country_code
            candidates = [
                reviewer_index
                for reviewer_index in range(len(reviewer_ids))
                if load[reviewer_index] < limits[reviewer_index]
                and country not in countries[reviewer_index]
                and (proposal_index, reviewer_index) not in conflicts
            ]
            if len(candidates) < self.per_proposal:
                raise RuntimeError("not enough reviewer capacity for the bench workload")
            candidates.sort(key=lambda index: (load[index], index))
            for reviewer_index in candidates[: self.per_proposal]:
                load[reviewer_index] += 1
                pairs.append((proposal_index, reviewer_index))
        pairs.sort()
        return [(proposal_ids[p], reviewer_ids[r]) for p, r in pairs]

    def reviews(
        self,
        call: Call,
        criteria: list[Criterion],
        pairs: list[tuple[int, int]],
        qualities: list[float],
        cities: list[BenchCity],
        admin_id: int,
    ) -> None:
        rng = self.rng
        index_of = {}
        assignment_rows = []
        for proposal_id, reviewer_id in pairs:
            index_of.setdefault(proposal_id, len(index_of))
            assignment_rows.append(
                {
                    "proposal_id": proposal_id,
                    "reviewer_id": reviewer_id,
                    "state": AssignmentState.SUBMITTED,
                    "due_at": call.review_deadline,
                    "assigned_at": self.now - timedelta(days=20),
                    "assigned_by_id": admin_id,
                }
            )
        assignment_ids = bulk_insert(Assignment, assignment_rows)
        review_rows, score_rows = [], []
        for assignment_id, (proposal_id, _reviewer_id) in zip(assignment_ids, pairs, strict=True):
            proposal_index = index_of[proposal_id]
            quality, city = qualities[proposal_index], cities[proposal_index]
            values = []
            for criterion in criteria:
                low, high = int(criterion.scale_min), int(criterion.scale_max)
                value = float(min(high, max(low, round(rng.gauss(quality, 0.8)))))
                values.append(value)
                score_rows.append(
                    {
                        "criterion_id": criterion.id,
                        "scale_min": criterion.scale_min,
                        "scale_max": criterion.scale_max,
                        "value": value,
                        "comment": self.text.paragraph(city, min_words=12, max_words=35),
                    }
                )
            mean = sum(values) / len(values)
            review_rows.append(
                {
                    "assignment_id": assignment_id,
                    "state": ReviewState.SUBMITTED,
                    "overall_comment": self.text.paragraph(city, min_words=30, max_words=80),
                    "comment_for_applicant": self.text.paragraph(city, min_words=20, max_words=50),
                    "comment_shareable": rng.random() > 0.3,
                    "recommendation": next(
                        recommendation
                        for threshold, recommendation in _RECOMMENDATIONS_BY_MEAN
                        if mean >= threshold
                    ),
                    "confidence": rng.randint(2, 5),
                    "submitted_at": self.now - timedelta(days=rng.randint(1, 15)),
                    "created_at": self.now - timedelta(days=19),
                    "updated_at": self.now - timedelta(days=1),
                    "version": 2,
                }
            )
        review_ids = bulk_insert(Review, review_rows)
        per_review = len(criteria)
        for position, row in enumerate(score_rows):
            row["review_id"] = review_ids[position // per_review]
        bulk_insert_plain(Score, score_rows)


_PARTNER_NAMES = (
    "Interfaith Forum",
    "Newcomers Network",
    "Public Library",
    "University Centre for Dialogue",
    "Youth Council",
    "Arts Foundation",
    "Chamber of Commerce",
    "Community Radio",
)
