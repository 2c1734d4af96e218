"""Country names (ISO 3166-1) in the reader's language, for the form's select and displays."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry


@lru_cache(maxsize=16)
def _translator(locale: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True
    )


def _name(country) -> str:
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=16)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(alpha-2, name) for every country, sorted by the translated name."""
    translate = _translator(locale).gettext
    names = [(country.alpha_2, translate(_name(country))) for country in pycountry.countries]
    return tuple(sorted(names, key=lambda pair: pair[1].casefold()))


def is_country_code(code: str | None) -> bool:
    if not code:
        return False
    return pycountry.countries.get(alpha_2=code.upper()) is not None


def country_name(code: str | None, locale: str = "en") -> str:
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return _translator(locale).gettext(_name(country))
