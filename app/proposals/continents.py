"""Which continent a country (ISO 3166-1 alpha-2) belongs to, for filters and panel spread.

Seven continents, following the UN M49 geoscheme country by country; the Americas are
split at Panama (Central America and the Caribbean count as North America).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

AFRICA = "Africa"
ANTARCTICA = "Antarctica"
ASIA = "Asia"
EUROPE = "Europe"
NORTH_AMERICA = "North America"
OCEANIA = "Oceania"
SOUTH_AMERICA = "South America"

CONTINENT_LABELS = {
    AFRICA: _l("Africa"),
    ANTARCTICA: _l("Antarctica"),
    ASIA: _l("Asia"),
    EUROPE: _l("Europe"),
    NORTH_AMERICA: _l("North America"),
    OCEANIA: _l("Oceania"),
    SOUTH_AMERICA: _l("South America"),
}

_COUNTRIES_BY_CONTINENT = {
    AFRICA: (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW IO KE KM LR "
        "LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TN "
        "TZ UG YT ZA ZM ZW"
    ),
    ANTARCTICA: "AQ",
    ASIA: (
        "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB "
        "LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    EUROPE: (
        "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
        "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA"
    ),
    NORTH_AMERICA: (
        "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ "
        "MS MX NI PA PM PR SV SX TC TT US VC VG VI"
    ),
    OCEANIA: (
        "AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"
    ),
    SOUTH_AMERICA: "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
}

CONTINENT_BY_COUNTRY: dict[str, str] = {
    code: continent
    for continent, codes in _COUNTRIES_BY_CONTINENT.items()
    for code in codes.split()
}


def continent_for(country_code: str | None) -> str | None:
    """The continent of an ISO 3166-1 alpha-2 code, or None for an empty or unknown code."""
    if not country_code:
        return None
    return CONTINENT_BY_COUNTRY.get(country_code.strip().upper())
