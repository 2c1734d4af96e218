"""Words for people in the exports they read (CSV, XLSX, the PDF dossier).

Stored codes (a state, a recommendation, a continent key, True/False) are written as the
pages write them. JSON keeps the codes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.proposals.continents import CONTINENT_LABELS
from app.proposals.countries import country_name
from app.proposals.forms import PROPOSAL_STATE_LABELS
from app.proposals.presenting import yes_no
from app.reviews.forms import RECOMMENDATION_LABELS
from app.shortlists.exporters.cells import plain
from app.shortlists.models import ShortlistState

# The pages (app/shortlists/views.py) name a shortlist's state with these too.
SHORTLIST_STATE_LABELS = {
    ShortlistState.COMPILING: _l("Compiling"),
    ShortlistState.COMPILED: _l("Compiled"),
    ShortlistState.ADJUSTED: _l("Adjusted"),
    ShortlistState.PUBLISHED: _l("Published"),
    ShortlistState.FAILED: _l("No result"),
}


def label(labels: dict, value: Any) -> str:
    value = plain(value)
    return "" if value is None or value == "" else str(labels.get(value, value))


def country(code: str | None) -> str:
    return country_name(code, str(get_locale() or "en"))


class Words:
    """The words of one export, each translated once: a lazy label costs about 0.1 ms
    each time it is read, which a big call's export would pay on every one of its rows."""

    def __init__(self) -> None:
        self.locale = str(get_locale() or "en")
        self.continents = self._translated(CONTINENT_LABELS)
        self.states = self._translated(PROPOSAL_STATE_LABELS)
        self.recommendations = self._translated(RECOMMENDATION_LABELS)
        self.yes_no = {True: yes_no(True), False: yes_no(False)}
        self._countries: dict[str | None, str] = {}

    @staticmethod
    def _translated(labels: dict) -> dict[str, str]:
        return {plain(key): str(text) for key, text in labels.items()}

    def country(self, code: str | None) -> str:
        name = self._countries.get(code)
        if name is None:
            name = self._countries[code] = country_name(code, self.locale)
        return name


def word(words: dict[str, str], value: Any) -> str:
    """`value`'s label among `words` (one of a Words' dicts), else the value itself."""
    if value is None or value == "":
        return ""
    return words.get(value) or str(plain(value))
