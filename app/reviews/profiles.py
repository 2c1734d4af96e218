"""Reviewer profiles: affiliations, languages, region, expertise and the most proposals taken.

A reviewer has no profile row until they (or an administrator) first save one; until then
every rule reads the defaults (no affiliations, English, the default limit). Saving checks
the codes, writes the audit entry and looks for the conflicts the affiliations reveal; the
caller commits.
"""

from __future__ import annotations

import pycountry
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.models import Call
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.reviews import conflicts
from app.reviews.models import ReviewerProfile
from app.reviews.queries import REVIEWING_CALL_STATES, default_reviewer_limit

MAX_PROPOSALS_CEILING = 1000


def get_profile(reviewer: User) -> ReviewerProfile:
    """The reviewer's profile, or an unsaved one with the defaults until they save one."""
    profile = db.session.get(ReviewerProfile, reviewer.id)
    return profile or ReviewerProfile(
        user_id=reviewer.id,
        countries=[],
        cities=[],
        organisations=[],
        email_domains=[],
        languages=["en"],
        expertise="",
        max_proposals=default_reviewer_limit(),
    )


def _clean_list(values: list[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or []:
        value = " ".join(str(value).split())
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())


def _unknown(codes: list[str], database, field: str, message: str, code: str) -> None:
    unknown = [c for c in codes if database.get(alpha_2=c) is None]
    if unknown:
        raise DomainError(message % {"codes": ", ".join(unknown)}, code=code, field=field)


def _check_countries(codes: list[str]) -> list[str]:
    cleaned = [code.upper() for code in _clean_list(codes)]
    _unknown(
        cleaned,
        pycountry.countries,
        "countries",
        _("Unknown country code: %(codes)s (use ISO 3166 codes such as PT or KE)."),
        "unknown_country",
    )
    return cleaned


def _check_languages(codes: list[str]) -> list[str]:
    cleaned = [code.lower() for code in _clean_list(codes)]
    _unknown(
        cleaned,
        pycountry.languages,
        "languages",
        _("Unknown language code: %(codes)s (use codes such as en, fr or ar)."),
        "unknown_language",
    )
    return cleaned


def _check_domains(domains: list[str]) -> list[str]:
    cleaned = [conflicts.email_domain(domain) for domain in _clean_list(domains)]
    bad = [d for d in cleaned if "." not in d or " " in d or d.startswith(".")]
    if bad:
        raise DomainError(
            _(
                "Not an email domain: %(domains)s (write it like city.gov.pt).",
                domains=", ".join(bad),
            ),
            code="bad_domain",
            field="email_domains",
        )
    return cleaned


def update_reviewer_profile(
    *,
    actor: User,
    reviewer: User,
    countries: list[str],
    cities: list[str],
    organisations: list[str],
    email_domains: list[str],
    languages: list[str],
    region: str | None,
    expertise: str,
    max_proposals: int,
) -> ReviewerProfile:
    """Save a reviewer's affiliations and limit; new conflicts they reveal are recorded."""
    from app.reviews.permissions import can_edit_profile

    if not can_edit_profile(actor, reviewer):
        raise NotAllowed(_("You may not edit this reviewer's profile."))
    if not 0 <= max_proposals <= MAX_PROPOSALS_CEILING:
        raise DomainError(
            _("Give a number between 0 and %(most)s.", most=MAX_PROPOSALS_CEILING),
            code="bad_limit",
            field="max_proposals",
        )
    values = {
        "countries": _check_countries(countries),
        "cities": _clean_list(cities),
        "organisations": _clean_list(organisations),
        "email_domains": _check_domains(email_domains),
        "languages": _check_languages(languages),
        "region": (region or "").strip() or None,
        "expertise": (expertise or "").strip(),
        "max_proposals": max_proposals,
    }
    profile = db.session.get(ReviewerProfile, reviewer.id)
    if profile is None:
        profile = ReviewerProfile(user_id=reviewer.id)
        db.session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    db.session.flush()
    record_audit(
        actor,
        "reviewer_profile.updated",
        reviewer,
        details={k: v for k, v in values.items() if k != "expertise"},
    )
    for call in db.session.scalars(select(Call).where(Call.state.in_(REVIEWING_CALL_STATES))):
        conflicts.detect_conflicts(call=call, reviewer_ids=[reviewer.id])
    return profile
