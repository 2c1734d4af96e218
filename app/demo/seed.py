"""`flask seed-demo`: two calls to tour every role at once, built through the app's services.

- An **open call** (2026) that cities can apply to: its criteria are still editable, a few
  cities have drafts at different stages and one has submitted.
- A **call in review** (2025): closed, its proposals submitted through the submit check,
  reviewers assigned around their conflicts of interest, most reviews submitted with scores
  and a few still pending, from enough countries that the shortlist form's rules can be met.

Every change goes through the service a person's click would call (start, save and submit a
proposal, open and close a call, assign, review), so the demo obeys the app's own rules.
Idempotent: people are found by email and each call by its slug, so running it twice
creates nothing new.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.accounts.passwords import hash_password
from app.accounts.services import create_administrator
from app.calls import services as call_services
from app.calls.models import Call
from app.db import utcnow
from app.extensions import db
from app.proposals import closing
from app.proposals import services as proposal_services
from app.proposals.models import PartnerKind, Proposal
from app.proposals.sections import NARRATIVES, SECTIONS, SectionInput, narrative_field_name
from app.reviews import assigning, conflicts, profiles, reviewing
from app.reviews.models import Assignment, ConflictOfInterest, Recommendation

DEMO_SLUG = "dialogue-cafe-2026"  # the open call
REVIEW_SLUG = "dialogue-cafe-2025"  # the call in review
DEMO_PASSWORD = "dialogue-demo-2026"  # noqa: S105 - printed for the demo on purpose
ADMIN_EMAIL = "admin@demo.dialoguecafe.org"
# Administrators must use two-factor login: the demo's has it on with this published key, to
# add to an authenticator app (or `pyotp.TOTP(DEMO_TOTP_SECRET).now()` gives the code).
DEMO_TOTP_SECRET = "DIALOGUECAFEDEMOTWOFACTORSECRETS"  # noqa: S105 - printed on purpose
EMAIL_DOMAIN = "demo.dialoguecafe.org"

# Every text of the demo calls in the five languages a call may offer, English first (the
# calls' main language), each as an organiser of that language would write it. One line per
# paragraph, as an organiser would type it in the settings' text box.
LANGUAGES = ["en", "fr", "es", "pt", "ar"]

TITLES = {
    DEMO_SLUG: {
        "en": "Dialogue Café — Call for Interest to Cities",
        "fr": "Dialogue Café — Appel à manifestation d'intérêt aux villes",
        "es": "Dialogue Café — Convocatoria de manifestaciones de interés para ciudades",
        "pt": "Dialogue Café — Convite à manifestação de interesse para cidades",
        "ar": "مقهى الحوار — دعوة إلى المدن لإبداء الاهتمام",
    },
    REVIEW_SLUG: {
        "en": "Dialogue Café — Call for Interest to Cities, 2025 round",
        "fr": "Dialogue Café — Appel à manifestation d'intérêt aux villes, édition 2025",
        "es": "Dialogue Café — Convocatoria de manifestaciones de interés para ciudades, "
        "edición 2025",
        "pt": "Dialogue Café — Convite à manifestação de interesse para cidades, edição de 2025",
        "ar": "مقهى الحوار — دعوة إلى المدن لإبداء الاهتمام، دورة 2025",
    },
}

DESCRIPTIONS = {
    "en": (
        "The **Dialogue Café Network** links cafés in different cities through high-quality "
        "videoconferencing, so that people of different cultures, faiths and backgrounds can "
        "hold conversations together.",
        "This call invites **cities and local governments** to propose hosting a Dialogue Café. "
        "We look for cities with the right mix of creativity, diversity, intercultural profile, "
        "innovation, collaboration, culture of peace and vision.",
        "A proposal names the partner organisations that would run the café: people to run it, "
        "a space of about 60–80 m² that is open and accessible, and links to the networks that "
        "would use it.",
    ),
    "fr": (
        "Le **réseau Dialogue Café** relie des cafés de villes différentes par une "
        "visioconférence de grande qualité, pour que des personnes de cultures, de religions et "
        "d'origines différentes puissent dialoguer ensemble.",
        "Cet appel invite les **villes et les collectivités locales** à proposer d'accueillir "
        "un Dialogue Café. Nous cherchons des villes qui allient créativité, diversité, profil "
        "interculturel, innovation, collaboration, culture de la paix et vision.",
        "Une proposition présente les organisations partenaires qui feraient vivre le café : "
        "une équipe pour l'animer, un espace d'environ 60 à 80 m² ouvert et accessible, et des "
        "liens avec les réseaux qui l'utiliseraient.",
    ),
    "es": (
        "La **red Dialogue Café** une cafés de distintas ciudades mediante videoconferencia de "
        "alta calidad, para que personas de culturas, religiones y orígenes diferentes puedan "
        "conversar juntas.",
        "Esta convocatoria invita a **ciudades y gobiernos locales** a proponerse como sede de "
        "un Dialogue Café. Buscamos ciudades que reúnan creatividad, diversidad, perfil "
        "intercultural, innovación, colaboración, cultura de paz y visión.",
        "Una propuesta presenta a las organizaciones socias que gestionarían el café: personas "
        "que lo animen, un espacio de unos 60–80 m² abierto y accesible, y vínculos con las "
        "redes que lo usarían.",
    ),
    "pt": (
        "A **rede Dialogue Café** liga cafés de diferentes cidades através de videoconferência "
        "de alta qualidade, para que pessoas de culturas, religiões e origens diferentes possam "
        "conversar juntas.",
        "Este convite desafia **cidades e autarquias** a proporem-se para acolher um Dialogue "
        "Café. Procuramos cidades que reúnam criatividade, diversidade, perfil intercultural, "
        "inovação, colaboração, cultura de paz e visão.",
        "Uma proposta apresenta as organizações parceiras que gerirão o café: pessoas para o "
        "animar, um espaço de cerca de 60–80 m² aberto e acessível, e ligações às redes que o "
        "irão utilizar.",
    ),
    "ar": (
        "تربط **شبكة مقهى الحوار** بين مقاهٍ في مدن مختلفة عبر اتصال مرئي عالي الجودة، ليتمكّن "
        "أشخاص من ثقافات وأديان وخلفيات مختلفة من التحاور معًا.",
        "تدعو هذه الدعوة **المدن والحكومات المحلية** إلى التقدّم لاستضافة مقهى للحوار. نبحث عن "
        "مدن تجمع بين الإبداع والتنوّع والطابع المتعدد الثقافات والابتكار والتعاون وثقافة السلام "
        "والرؤية.",
        "يذكر المقترح المنظمات الشريكة التي ستدير المقهى: فريقًا لإدارته، ومساحة تبلغ نحو "
        "60–80 مترًا مربعًا مفتوحة ويسهل الوصول إليها، وصلات بالشبكات التي ستستخدمه.",
    ),
}
DESCRIPTION = "\n\n".join(DESCRIPTIONS["en"])

# (question, explanation for an answer that does not qualify), per language.
ELIGIBILITY = (
    {
        "en": (
            "Are you applying for, or with the support of, a city or local government?",
            "This call is addressed to cities and local governments. A partner organisation may "
            "apply with a letter of support from its city.",
        ),
        "fr": (
            "Présentez-vous cette proposition pour une ville ou une collectivité locale, ou avec "
            "son soutien ?",
            "Cet appel s'adresse aux villes et aux collectivités locales. Une organisation "
            "partenaire peut présenter une proposition avec une lettre de soutien de sa ville.",
        ),
        "es": (
            "¿Presenta la propuesta en nombre de una ciudad o un gobierno local, o con su apoyo?",
            "Esta convocatoria se dirige a ciudades y gobiernos locales. Una organización socia "
            "puede presentarse con una carta de apoyo de su ciudad.",
        ),
        "pt": (
            "Candidata-se em nome de uma cidade ou autarquia, ou com o seu apoio?",
            "Este convite dirige-se a cidades e autarquias. Uma organização parceira pode "
            "candidatar-se com uma carta de apoio da sua cidade.",
        ),
        "ar": (
            "هل تتقدّمون بالطلب باسم مدينة أو حكومة محلية، أو بدعم منها؟",
            "هذه الدعوة موجّهة إلى المدن والحكومات المحلية. ويمكن لمنظمة شريكة أن تتقدّم بطلب "
            "مرفق برسالة دعم من مدينتها.",
        ),
    },
    {
        "en": (
            "Can you offer a space of about 60–80 m² that is open to the public?",
            "A Dialogue Café needs an open, accessible space for its video wall and its visitors.",
        ),
        "fr": (
            "Pouvez-vous proposer un espace d'environ 60 à 80 m² ouvert au public ?",
            "Un Dialogue Café a besoin d'un espace ouvert et accessible pour son mur d'écrans et "
            "ses visiteurs.",
        ),
        "es": (
            "¿Puede ofrecer un espacio de unos 60–80 m² abierto al público?",
            "Un Dialogue Café necesita un espacio abierto y accesible para su pantalla mural y "
            "sus visitantes.",
        ),
        "pt": (
            "Pode disponibilizar um espaço de cerca de 60–80 m² aberto ao público?",
            "Um Dialogue Café precisa de um espaço aberto e acessível para o seu ecrã de vídeo e "
            "os seus visitantes.",
        ),
        "ar": (
            "هل يمكنكم توفير مساحة تبلغ نحو 60–80 مترًا مربعًا ومفتوحة للجمهور؟",
            "يحتاج مقهى الحوار إلى مساحة مفتوحة يسهل الوصول إليها لشاشته المرئية ولزوّاره.",
        ),
    },
)


@dataclass(frozen=True)
class DemoCity:
    city: str
    country_code: str
    region: str
    population: int
    language: str
    partner: str
    partner_kind: PartnerKind
    strength: int  # 2..5: how strong the reviewers find it (fixed, so the demo ranks alike)

    @property
    def email(self) -> str:
        ascii_name = unicodedata.normalize("NFKD", self.city).encode("ascii", "ignore").decode()
        return f"{ascii_name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


def _city(city, code, region, population, language, partner, kind, strength) -> DemoCity:
    return DemoCity(city, code, region, population, language, partner, kind, strength)


NGO, CULTURAL, UNIVERSITY, PUBLIC = (
    PartnerKind.NGO,
    PartnerKind.CULTURAL,
    PartnerKind.UNIVERSITY,
    PartnerKind.PUBLIC,
)

# The call in review: 13 submitted proposals from 12 countries on 6 continents, and one
# withdrawn (the default shortlist, ten cities at most one per country and at least one per
# continent, can be met).
REVIEW_CITIES = (
    _city(
        "Lisbon",
        "PT",
        "Lisbon Metropolitan Area",
        545_000,
        "pt",
        "Associação Mundo em Diálogo",
        NGO,
        5,
    ),
    _city(
        "Rio de Janeiro",
        "BR",
        "Rio de Janeiro",
        6_211_000,
        "pt",
        "Instituto Conversas Cariocas",
        CULTURAL,
        4,
    ),
    _city(
        "São Paulo",
        "BR",
        "São Paulo",
        11_450_000,
        "pt",
        "Casa das Culturas Paulistana",
        CULTURAL,
        3,
    ),
    _city("Turin", "IT", "Piedmont", 848_000, "en", "Fondazione Dialoghi Torino", CULTURAL, 4),
    _city("Cardiff", "GB", "Wales", 362_000, "en", "Cardiff Interfaith Forum", NGO, 3),
    _city(
        "Duisburg", "DE", "North Rhine-Westphalia", 498_000, "en", "Duisburger Dialog e.V.", NGO, 3
    ),
    _city("Toronto", "CA", "Ontario", 2_794_000, "en", "Toronto Newcomers Network", NGO, 5),
    _city("Mexico City", "MX", "Mexico City", 9_209_000, "es", "Casa de la Palabra", CULTURAL, 4),
    _city("Istanbul", "TR", "Marmara", 15_460_000, "en", "Bosphorus Dialogue Association", NGO, 4),
    _city(
        "Beirut", "LB", "Beirut Governorate", 2_400_000, "fr", "Maison du Dialogue Beyrouth", NGO, 5
    ),
    _city(
        "Lagos",
        "NG",
        "Lagos State",
        15_388_000,
        "en",
        "Lagos Cultural Exchange Foundation",
        CULTURAL,
        3,
    ),
    _city(
        "Nairobi",
        "KE",
        "Nairobi County",
        4_397_000,
        "en",
        "University of Nairobi Peace Centre",
        UNIVERSITY,
        4,
    ),
    _city("Melbourne", "AU", "Victoria", 5_078_000, "en", "Melbourne Multicultural Hub", NGO, 2),
)
WITHDRAWN_CITY = _city(
    "New York", "US", "New York", 8_336_000, "en", "Queens Public Conversations", NGO, 3
)

# The open call: one city has submitted, four are drafting (sections filled up to `upto`).
OPEN_SUBMITTED = _city(
    "Kyoto", "JP", "Kyoto Prefecture", 1_464_000, "en", "Kyoto Interfaith Network", NGO, 4
)
OPEN_DRAFTS = (
    (
        _city(
            "Marseille",
            "FR",
            "Provence-Alpes-Côte d'Azur",
            873_000,
            "fr",
            "Maison des Cultures du Port",
            CULTURAL,
            4,
        ),
        "programme",
    ),
    (
        _city(
            "Montréal",
            "CA",
            "Quebec",
            1_762_000,
            "fr",
            "Carrefour interculturel de Montréal",
            NGO,
            4,
        ),
        "partners",
    ),
    (_city("Dakar", "SN", "Dakar Region", 1_438_000, "fr", "Forum Civil de Dakar", NGO, 3), "city"),
    # A city writing in Arabic, right to left.
    (
        _city("Rabat", "MA", "Rabat-Salé-Kénitra", 577_000, "ar", "جمعية الرباط للحوار", NGO, 3),
        "city",
    ),
)


@dataclass(frozen=True)
class DemoReviewer:
    name: str
    email: str
    countries: list[str]
    languages: list[str]
    region: str
    cities: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    expertise: str = ""


REVIEWERS = (
    DemoReviewer(
        "Amina Diallo",
        f"amina.diallo@{EMAIL_DOMAIN}",
        ["SN"],
        ["en", "fr"],
        "Africa",
        # She sits on the board of the Lagos partner: a conflict the app finds by itself.
        organisations=["Lagos Cultural Exchange Foundation"],
        expertise="Community media and intercultural festivals in West Africa.",
    ),
    DemoReviewer(
        "Carlos Mendes",
        f"carlos.mendes@{EMAIL_DOMAIN}",
        ["BR"],
        ["pt", "es", "en"],
        "South America",
        expertise="Urban policy and participatory budgeting.",
    ),
    DemoReviewer(
        "Hannah Weber",
        f"hannah.weber@{EMAIL_DOMAIN}",
        ["DE"],
        ["en", "fr"],
        "Europe",
        cities=["Duisburg"],
        expertise="Integration programmes of German and French cities.",
    ),
    DemoReviewer(
        "Kenji Sato",
        f"kenji.sato@{EMAIL_DOMAIN}",
        ["JP"],
        ["en"],
        "Asia",
        expertise="Videoconferencing for education; peace studies.",
    ),
)
# A conflict no rule can see, declared by the reviewer.
DECLARED_CONFLICT = ("Kenji Sato", "Melbourne", "I advised the Melbourne partner in 2024.")

# How far each review of the call in review gets: most submitted, a few drafts, a few not
# started, so the dashboard shows progress and a reviewer has something left to do.
PENDING_DRAFT = {("Turin", 1), ("Nairobi", 0), ("Istanbul", 1)}
PENDING_UNTOUCHED = {("Cardiff", 1), ("Melbourne", 1), ("Mexico City", 1)}

COMMENTS = {
    5: "An outstanding proposal: committed partners, a ready venue and a clear first year.",
    4: "Strong partners and a convincing programme; the venue plan needs a little more detail.",
    3: "A sound idea; the funding after the first year is not yet secured.",
    2: "Promising partners, but the venue and the technical set-up are still open questions.",
}
RECOMMENDATIONS = {
    5: Recommendation.STRONGLY_SUPPORT,
    4: Recommendation.SUPPORT,
    3: Recommendation.NEUTRAL,
    2: Recommendation.DO_NOT_SUPPORT,
}


# --- people ---------------------------------------------------------------------------------


@cache
def _demo_password_hash() -> str:
    # Every demo account shares the published password: hashing it once (Argon2 takes a
    # visible moment) keeps seeding quick, and each login still verifies it as usual.
    return hash_password(DEMO_PASSWORD)


def _user(email: str, name: str, roles: tuple[Role, ...], locale: str = "en") -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(
        email=email,
        name=name,
        password_hash=_demo_password_hash(),
        email_verified_at=utcnow(),
        locale=locale,
    )
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user, True


def _reviewers(admin: User) -> dict[str, User]:
    reviewers = {}
    for spec in REVIEWERS:
        reviewer, created = _user(spec.email, spec.name, (Role.REVIEWER,))
        if created:
            profiles.update_reviewer_profile(
                actor=admin,
                reviewer=reviewer,
                countries=spec.countries,
                cities=spec.cities,
                organisations=spec.organisations,
                email_domains=[],
                languages=spec.languages,
                region=spec.region,
                expertise=spec.expertise,
                max_proposals=12,
            )
        reviewers[spec.name] = reviewer
    return reviewers


def _city_user(city: DemoCity) -> User:
    # The city reads the pages in the language it writes in; one whose catalogue is not yet
    # offered is shown the default language until it is.
    return _user(city.email, f"{city.city} city office", (Role.APPLICANT,), city.language)[0]


# --- calls ----------------------------------------------------------------------------------


def _new_call(admin: User, *, slug: str, opens_in: int, closes_in: int) -> Call:
    """A call written in all five languages: the organiser writes it in English, then its
    translations (the default criteria come translated), and opens it."""
    now = utcnow().replace(second=0, microsecond=0)
    titles = TITLES[slug]
    call = call_services.create_call(
        actor=admin,
        slug=slug,
        title=titles["en"],
        description=DESCRIPTION,
        opens_at=now + timedelta(days=opens_in),
        closes_at=now + timedelta(days=closes_in),
        review_deadline=now + timedelta(days=closes_in + 30),
        languages=LANGUAGES,
        grace_minutes=15,
        reviews_per_proposal=2,
    )
    call_services.save_translations(
        actor=admin,
        obj=call,
        values={
            code: {"title": titles[code], "description": "\n\n".join(DESCRIPTIONS[code])}
            for code in LANGUAGES[1:]
        },
    )
    for texts in ELIGIBILITY:
        text, explanation = texts["en"]
        question = call_services.add_eligibility_question(
            actor=admin, call=call, text=text, explanation=explanation
        )
        call_services.save_translations(
            actor=admin,
            obj=question,
            values={
                code: {"text": texts[code][0], "explanation": texts[code][1]}
                for code in LANGUAGES[1:]
            },
        )
    call_services.open_call(actor=admin, call=call)
    return call


# --- proposals, as a city fills them in -----------------------------------------------------


def _section_values(call: Call, city: DemoCity, owner: User) -> dict[str, dict[str, Any]]:
    """What the city types in each section of the form."""
    narratives = {
        narrative_field_name(criterion.key): (
            f"{city.city} on {criterion.name.lower()}: with {city.partner} we have run "
            "community conversations for years. We would start with monthly conversations "
            "between young people, faith leaders and newcomers, and link with partner cafés "
            "abroad."
        )
        for criterion in call.criteria
    }
    return {
        "city": {
            "city": city.city,
            "country_code": city.country_code,
            "region": city.region,
            "population": city.population,
            "language": city.language,
        },
        "organisation": {
            "organisation": f"City of {city.city}",
            "contact_name": owner.name,
            "contact_role": "Head of intercultural affairs",
            "contact_email": owner.email,
            "contact_phone": "+1 555 0100",
        },
        "venue": {
            "address": f"Central Library, {city.city}",
            "accessibility": "Step-free entrance, lift to every floor, public transport at 100 m.",
            "opening_hours": "Tuesday to Sunday, 10:00-22:00",
            "floor_area": 70,
        },
        "technical": {
            "broadband": "yes",
            "video_wall_room": "yes" if city.strength >= 3 else "planned",
            "staff": "planned",
            "technical_notes": "",
        },
        NARRATIVES: narratives,
        "programme": {
            "programme_ideas": "A first conversation between young people of three cities.",
            "linked_cities": "Lisbon, Toronto and Beirut: cities with large newcomer "
            "communities of their own.",
        },
        "funding": {
            "funding": "Co-funded by the city and the partner for three years.",
            "sustainability": "A five-year agreement with the partner and the university.",
        },
    }


def _partners(city: DemoCity) -> list[dict[str, Any]]:
    return [
        {
            "organisation": city.partner,
            "kind": city.partner_kind.value,
            "offers_people": True,
            "offers_space": True,
            "offers_networks": True,
            "email_domain": "",
            "description": f"Runs community conversations across {city.city}.",
        }
    ]


def _fill(call: Call, city: DemoCity, *, upto: str | None = None) -> Proposal:
    """Start the city's proposal and save its sections in order (all, or up to `upto`)."""
    owner = _city_user(city)
    eligibility = {
        question.id: question.qualifying_answer for question in call.eligibility_questions
    }
    proposal, _created = proposal_services.start_proposal(
        actor=owner, call=call, eligibility=eligibility
    )
    values = _section_values(call, city, owner)
    for section in SECTIONS:
        if section.key in values or section.key == "partners":
            result = proposal_services.save_section(
                actor=owner,
                proposal=proposal,
                section_key=section.key,
                data=SectionInput(
                    values=values.get(section.key, {}),
                    partners=_partners(city) if section.key == "partners" else None,
                ),
                expected_version=proposal.version,
            )
            if result.errors:  # the demo's own data must pass the form's checks
                raise AssertionError(f"{city.city} {section.key}: {result.errors}")
        if section.key == upto:
            break
    return proposal


def _submit(proposal: Proposal) -> None:
    owner = db.session.get_one(User, proposal.owner_id)
    proposal_services.submit_proposal(
        actor=owner, proposal=proposal, expected_version=proposal.version
    )


# --- reviews --------------------------------------------------------------------------------


def _conflicted_pairs(call: Call) -> set[tuple[int, int]]:
    conflicts.detect_conflicts(call=call)
    return set(
        db.session.execute(
            select(ConflictOfInterest.proposal_id, ConflictOfInterest.reviewer_id)
            .join(Proposal, Proposal.id == ConflictOfInterest.proposal_id)
            .where(Proposal.call_id == call.id, ConflictOfInterest.lifted_at.is_(None))
        ).all()
    )


def _assign(admin: User, call: Call, proposals: dict[str, Proposal], reviewers: dict[str, User]):
    """Two reviewers per proposal, in turn, never one in conflict with it."""
    conflicted = _conflicted_pairs(call)
    panel = list(reviewers.values())
    loads = {r.id: 0 for r in panel}
    pairs: list[tuple[int, int]] = []
    for index, proposal in enumerate(proposals.values()):
        # Start the turn at a different reviewer for each proposal, the least loaded first.
        order = sorted(panel, key=lambda r: (loads[r.id], (panel.index(r) - index) % len(panel)))
        chosen = [r for r in order if (proposal.id, r.id) not in conflicted][
            : call.reviews_per_proposal
        ]
        for reviewer in chosen:
            loads[reviewer.id] += 1
            pairs.append((proposal.id, reviewer.id))
    assigning.assign_pairs(actor=admin, call=call, pairs=pairs)


def _review(call: Call, cities: dict[int, DemoCity], rng: random.Random) -> None:
    """Each reviewer scores their proposals near the city's strength, as in `PENDING_*`."""
    assignments = db.session.scalars(
        select(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.call_id == call.id)
        .order_by(Proposal.id, Assignment.id)
    ).all()
    seen: dict[int, int] = {}
    for assignment in assignments:
        city = cities[assignment.proposal_id]
        position = seen.setdefault(assignment.proposal_id, 0)
        seen[assignment.proposal_id] += 1
        if (city.city, position) in PENDING_UNTOUCHED:
            continue
        reviewer = db.session.get_one(User, assignment.reviewer_id)
        strength = city.strength
        scores = {
            criterion.key: str(max(1, min(5, strength + rng.choice((-1, 0, 0, 1)))))
            for criterion in call.criteria
        }
        draft = (city.city, position) in PENDING_DRAFT
        reviewing.save_review(
            actor=reviewer,
            assignment=assignment,
            data=reviewing.ReviewInput(
                scores=scores,
                overall_comment=COMMENTS[strength],
                comment_for_applicant="Thank you for a thoughtful proposal.",
                comment_shareable=True,
                recommendation=None if draft else RECOMMENDATIONS[strength].value,
                confidence=None if draft else rng.randint(3, 5),
            ),
            submit=not draft,
        )


def _seed_review_call(admin: User, reviewers: dict[str, User]) -> Call:
    call = _new_call(
        admin,
        slug=REVIEW_SLUG,
        opens_in=-90,
        closes_in=1,
    )
    proposals = {}
    for city in REVIEW_CITIES:
        proposals[city.city] = _fill(call, city)
        _submit(proposals[city.city])
    withdrawn = _fill(call, WITHDRAWN_CITY)
    _submit(withdrawn)
    proposal_services.withdraw_proposal(
        actor=db.session.get_one(User, withdrawn.owner_id),
        proposal=withdrawn,
        reason="The venue is no longer available this year.",
    )
    name, city_name, reason = DECLARED_CONFLICT
    conflicts.declare_conflict(actor=reviewers[name], proposal=proposals[city_name], reason=reason)
    # Closed by hand a day early: the call records the moment, as an organiser's click would.
    closing.close_call(actor=admin, call=call)
    call_services.start_review(actor=admin, call=call)
    _assign(admin, call, proposals, reviewers)
    db.session.flush()
    cities = {proposals[city.city].id: city for city in REVIEW_CITIES}
    # The year of the announcement: fixed, so the demo scores the same every time.
    _review(call, cities, random.Random(2009))
    return call


def _seed_open_call(admin: User) -> Call:
    call = _new_call(
        admin,
        slug=DEMO_SLUG,
        opens_in=-14,
        closes_in=30,
    )
    _submit(_fill(call, OPEN_SUBMITTED))
    for city, upto in OPEN_DRAFTS:
        _fill(call, city, upto=upto)
    return call


def seed_demo() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo once. Returns (created, [(role, email, password)])."""
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    if admin is None:
        admin = create_administrator(
            email=ADMIN_EMAIL, name="Demo Administrator", password=DEMO_PASSWORD
        )
        # Set up as if its owner had scanned the key; no recovery codes (the key is public).
        admin.totp_secret = DEMO_TOTP_SECRET
        admin.totp_enabled_at = utcnow()
    reviewers = _reviewers(admin)
    created = False
    # The call in review first: its cities then apply to the open call as newcomers would.
    if db.session.scalar(select(Call.id).where(Call.slug == REVIEW_SLUG)) is None:
        _seed_review_call(admin, reviewers)
        created = True
    if db.session.scalar(select(Call.id).where(Call.slug == DEMO_SLUG)) is None:
        _seed_open_call(admin)
        created = True
    db.session.flush()
    # Printed by `flask seed-demo` next to the password.
    admin_password = f"{DEMO_PASSWORD}  (two-factor key {DEMO_TOTP_SECRET})"
    logins = [("administrator", admin.email, admin_password)]
    logins += [("reviewer", reviewer.email, DEMO_PASSWORD) for reviewer in reviewers.values()]
    cities = (*REVIEW_CITIES, WITHDRAWN_CITY, OPEN_SUBMITTED, *(c for c, _upto in OPEN_DRAFTS))
    existing = set(
        db.session.scalars(select(User.email).where(User.email.like(f"%@{EMAIL_DOMAIN}")))
    )
    logins += [("city", c.email, DEMO_PASSWORD) for c in cities if c.email in existing]
    return created, logins
