"""Words for people in the exports they read (CSV, XLSX, the PDF dossier).

Stored codes (a state, a recommendation, a continent key, True/False) are written as the
pages write them. JSON keeps the codes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
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


# The column headers of the files people open in a spreadsheet (CSV and XLSX), by the
# column's stable name (the JSON keys, the positions in `rows.ExportData.review_columns`).
COLUMN_LABELS = {
    "rank": _l("Rank"),
    "proposal_rank": _l("Rank"),
    "score": _l("Score (0-100)"),
    "proposal_score": _l("Score (0-100)"),
    "proposal_id": _l("Proposal number"),
    "city": _l("City"),
    "country_code": _l("Country code"),
    "country": _l("Country"),
    "continent": _l("Continent"),
    "region": _l("Region"),
    "state": _l("State"),
    "proposal_state": _l("State"),
    "total": _l("Raw total"),
    "total_calibrated": _l("Calibrated total"),
    "spread": _l("Spread"),
    "reviews_submitted": _l("Reviews"),
    "reviews_missing": _l("Missing reviews"),
    "in_shortlist": _l("In shortlist"),
    "why": _l("Why"),
    "adjustment_reason": _l("Adjustment reason"),
    "review_id": _l("Review number"),
    "reviewer_id": _l("Reviewer number"),
    "reviewer_name": _l("Reviewer"),
    "reviewer_email": _l("Reviewer's email"),
    "submitted_at": _l("Submitted (UTC)"),
    "recommendation": _l("Recommendation"),
    "confidence": _l("Confidence"),
    "review_total": _l("Review total (0-100)"),
    "overall_comment": _l("Overall comment"),
    "comment_for_applicant": _l("Comment for the city"),
    "comment_shareable": _l("Shareable"),
}


def column_header(column: str, criteria_names: dict[str, str] | None = None) -> str:
    """A column's header in the reader's language: "score:<key>" and "comment:<key>" (one
    per criterion) are named after the criterion."""
    kind, _sep, key = column.partition(":")
    if key and criteria_names is not None and key in criteria_names:
        name = criteria_names[key]
        if kind == "score":
            return _("Score: %(name)s", name=name)
        if kind == "comment":
            return _("Comment: %(name)s", name=name)
    return str(COLUMN_LABELS.get(column, column))


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
