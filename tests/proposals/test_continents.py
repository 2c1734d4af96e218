"""Every country of ISO 3166-1 has exactly one continent."""

from __future__ import annotations

import pycountry
import pytest

from app.proposals.continents import CONTINENT_BY_COUNTRY, CONTINENT_LABELS, continent_for


def test_every_iso_country_has_a_continent_and_no_code_is_invented():
    codes = {country.alpha_2 for country in pycountry.countries}
    assert set(CONTINENT_BY_COUNTRY) == codes


def test_continents_are_the_seven_we_name():
    assert set(CONTINENT_BY_COUNTRY.values()) == set(CONTINENT_LABELS)


@pytest.mark.parametrize(
    ("code", "continent"),
    [
        ("PT", "Europe"),
        ("pt", "Europe"),
        ("BR", "South America"),
        ("MX", "North America"),
        ("PA", "North America"),
        ("JM", "North America"),
        ("EG", "Africa"),
        ("MZ", "Africa"),
        ("JP", "Asia"),
        ("TR", "Asia"),
        ("AU", "Oceania"),
        ("FJ", "Oceania"),
        ("AQ", "Antarctica"),
    ],
)
def test_known_countries_are_on_their_continent(code, continent):
    assert continent_for(code) == continent


@pytest.mark.parametrize("code", [None, "", "XX", "PRT"])
def test_an_empty_or_unknown_code_has_no_continent(code):
    assert continent_for(code) is None
