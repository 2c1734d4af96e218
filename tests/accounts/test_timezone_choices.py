"""The time-zone list people choose from: today's names, grouped by region, readable."""

from __future__ import annotations

import re

from app.extensions import db
from tests.accounts.helpers import log_in
from tests.factories import make_user

OLD_NAMES = (
    "US/Pacific",
    "Asia/Calcutta",
    "Europe/Kiev",
    "America/Buenos_Aires",
    "Etc/GMT+3",
    "EST5EDT",
    "GB",
    "Zulu",
    "Universal",
    "posixrules",
    "Factory",
)


def _timezone_select(page: str) -> str:
    return re.search(r'<select[^>]*name="timezone".*?</select>', page, re.S).group(0)


def _groups(select: str) -> dict[str, dict[str, str]]:
    """{region: {zone: label}} as the browser shows the optgroups."""
    groups = {}
    for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S):
        groups[label] = dict(re.findall(r'<option[^>]*value="([^"]+)"[^>]*>([^<]+)<', body))
    return groups


def test_the_registration_list_offers_current_zone_names_grouped_by_region(client):
    select = _timezone_select(client.get("/register").get_data(as_text=True))
    values = re.findall(r'value="([^"]+)"', select)
    groups = _groups(select)

    assert values[0] == "UTC" and "UTC (Coordinated Universal Time)" in select
    for old in OLD_NAMES:
        assert old not in values
    assert {"Europe/Lisbon", "Asia/Kolkata", "Europe/Kyiv", "America/Sao_Paulo"} <= set(values)
    assert all(re.fullmatch(r"[A-Z][a-z]+/[A-Z][\w/+-]+", value) for value in values[1:])
    assert 350 < len(values) < 450
    assert {"Africa", "Americas", "Asia", "Europe", "Pacific Ocean"} <= set(groups)
    assert groups["Europe"]["Europe/Lisbon"] == "Lisbon, Portugal"
    assert groups["Asia"]["Asia/Kolkata"] == "Kolkata, India"
    assert groups["Americas"]["America/Sao_Paulo"] == "São Paulo, Brazil"
    cities = list(groups["Europe"].values())
    assert cities == sorted(cities, key=str.casefold)


def test_the_list_speaks_the_visitors_language(client):
    client.post("/locale", data={"locale": "fr", "next": "/register"})
    select = _timezone_select(client.get("/register").get_data(as_text=True))
    assert "Lisbonne, Portugal" in select


def test_an_account_saved_with_an_old_zone_name_keeps_it_selected(client):
    user = make_user(email="old@zone.example")
    user.timezone = "US/Pacific"
    db.session.commit()
    log_in(client, user.email)

    select = _timezone_select(client.get("/settings").get_data(as_text=True))

    assert re.search(r'<option selected value="US/Pacific">', select)
    assert select.count("selected") == 1
