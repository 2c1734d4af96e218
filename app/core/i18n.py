"""Which language and time zone each page speaks: the user's choice, then the browser."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import DateTimePattern, format_time, match_skeleton, parse_pattern
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, to_user_timezone
from flask_login import current_user
from markupsafe import Markup

from app.core.translations import is_complete
from app.extensions import babel

LOCALE_COOKIE = "locale"


def offered_languages(app: Flask) -> dict[str, str]:
    """The languages of config LANGUAGES whose catalogue is complete, the default always:
    a language half translated would show pages in two languages, so it is not offered."""
    default = app.config["BABEL_DEFAULT_LOCALE"]
    return {
        code: name
        for code, name in app.config["LANGUAGES"].items()
        if code == default or is_complete(code)
    }


def text_direction(locale: str) -> str:
    """ "rtl" for a language written right to left (Arabic), else "ltr"."""
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


def select_locale() -> str | None:
    if not has_request_context():
        # A command, a task or a service test: the default locale (emails force their own).
        return None
    languages = current_app.config["OFFERED_LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale:
        if current_user.locale in languages:
            return current_user.locale
        # A language the account chose that is no longer offered: English, as its emails
        # are, rather than a third language the browser happens to prefer.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # A visitor's choice: in the session, and in a cookie that outlives it (a city official
    # comes back days later to the form, on the same computer, not logged in yet).
    for chosen in (session.get("locale"), request.cookies.get(LOCALE_COOKIE)):
        if chosen in languages:
            return chosen
    return request.accept_languages.best_match(list(languages))


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return session.get("timezone")


def zone_named(name: str | None) -> ZoneInfo:
    """A person's zone, or UTC when the stored name is empty or unknown (the one fallback)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# -- dates and times people read ---------------------------------------------------------------

# One shape for every date on every page, so that a deadline on the call page and the same
# deadline on the review page read alike: the weekday and the month in words (never the
# ambiguous 03/12), a 24- or 12-hour clock as the viewer's language writes it, and the zone.
DAY_SKELETON = "yMMMMEd"


@cache
def _patterns(locale: str) -> tuple[Locale, DateTimePattern, DateTimePattern, str]:
    known = Locale.parse(locale)
    skeletons = known.datetime_skeletons
    day = parse_pattern(skeletons[match_skeleton(DAY_SKELETON, skeletons)])
    clock = parse_pattern(str(known.time_formats["short"]))
    return known, day, clock, str(known.datetime_formats["medium"])


# Babel takes about a tenth of a millisecond for a day and more for a zone name; a page of
# the outbox has a hundred dates, most on a few days: each part is kept once worked out.
@lru_cache(maxsize=4096)
def _day_text(locale: str, day: date) -> str:
    known, pattern, _clock, _joined = _patterns(locale)
    return pattern.apply(day, known)


@lru_cache(maxsize=4096)
def _clock_text(locale: str, hour: int, minute: int) -> str:
    known, _day, pattern, _joined = _patterns(locale)
    return pattern.apply(time(hour, minute), known)


# (language, zone, offset) -> the zone's name: a zone has a name per offset (CET, CEST), so
# a list of two thousand dates asks Babel a handful of times (bounded: zones x offsets).
_ZONE_TEXTS: dict[tuple[str, str, timedelta | None], str] = {}


def _zone_text(locale: str, zone, offset: timedelta | None, moment: datetime) -> str:
    """The zone as people write it after a time: "UTC", "CET", else "GMT+05:30"."""
    key = (locale, str(zone), offset)
    text = _ZONE_TEXTS.get(key)
    if text is None:
        text = format_time(moment, "z", tzinfo=zone, locale=locale)
        if not (text.isalpha() and len(text) <= 5):
            text = format_time(moment, "ZZZZ", tzinfo=zone, locale=locale)
        _ZONE_TEXTS[key] = text
    return text


def format_when(value: datetime | date | None, *, part: str = "datetime") -> str:
    """The one formatter of dates and times: Babel, in the viewer's language and time zone.

    `part` is "datetime" (a moment: day, time and zone), "date" (the day the moment falls on
    where the viewer is) or "time" (the clock alone, for a page that names the zone once).
    Stored instants are UTC, naive ones included.
    """
    if value is None:
        return ""
    locale = str(get_locale() or "en")
    if not isinstance(value, datetime):
        return _day_text(locale, value)
    moment = to_user_timezone(value)
    day = _day_text(locale, moment.date())
    if part == "date":
        return day
    clock = _clock_text(locale, moment.hour, moment.minute)
    if part == "time":
        return clock
    # The zone's name depends on its offset that day (CET, CEST), not on the minute.
    whole_hour = moment.replace(minute=0, second=0, microsecond=0)
    zone = _zone_text(locale, moment.tzinfo, moment.utcoffset(), whole_hour)
    return _patterns(locale)[3].format(f"{clock} {zone}", day)


def _template_filter(part: str):
    # The style a template passes ("short", "full"...) is ignored on purpose: one format.
    def formatted(value, style=None, **ignored) -> str:
        return format_when(value, part=part)

    return formatted


def isolate(value: object, direction: str = "auto") -> Markup:
    """`{{ _("Sent to %(email)s.", email=address|isolate) }}`: a value of its own direction
    (an address, a file name, a name) keeps its order inside right-to-left text; a number
    or a score, which has no letters to tell, is `|isolate("ltr")`."""
    if direction == "ltr":
        return Markup('<bdi dir="ltr">{}</bdi>').format(value)
    return Markup("<bdi>{}</bdi>").format(value)


def register_date_filters(app: Flask) -> None:
    """Every date filter of the templates, Flask-Babel's names included, goes to format_when;
    language and country codes are written as names in the reader's language; `isolate`
    keeps an address or a number in its own direction inside a sentence."""
    app.jinja_env.filters.update(
        isolate=isolate,
        when=_template_filter("datetime"),
        datetimeformat=_template_filter("datetime"),
        day=_template_filter("date"),
        dateformat=_template_filter("date"),
        timeformat=_template_filter("time"),
        language_name=language_name,
        country_name=country_name,
    )


def _reader_locale() -> Locale:
    return Locale.parse(str(get_locale() or "en"))


def language_name(code: str | None) -> str:
    """'fr' -> 'French' (in English), 'français' (in French); an unknown code stays as it is."""
    if not code:
        return ""
    try:
        name = Locale.parse(code).get_display_name(_reader_locale())
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:] if name else code


def country_name(code: str | None) -> str:
    """An ISO 3166 code as the country's name in the reader's language ('PT' -> 'Portugal')."""
    if not code:
        return ""
    return _reader_locale().territories.get(code.upper(), code)


# -- the time zones people choose from -----------------------------------------------------------

TIMEZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
_AREA_CITY = re.compile(rf"^({'|'.join(TIMEZONE_AREAS)})/[A-Z][A-Za-z_\-]+(/[A-Z][A-Za-z_\-]+)?$")


def _zone_table() -> Path | None:
    for folder in TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            return table
    try:
        from importlib.resources import files

        resource = files("tzdata").joinpath("zoneinfo", "zone.tab")
        return Path(str(resource)) if resource.is_file() else None
    except (ImportError, ModuleNotFoundError):
        return None


@cache
def canonical_timezones() -> dict[str, str | None]:
    """Today's Area/City zone names, each with its country (ISO 3166), from zone.tab.

    The tz database keeps hundreds of old names (US/Pacific, Asia/Calcutta, Etc/GMT+3,
    EST5EDT) so that old settings still work; people choose from current names only.
    Without zone.tab, the Area/City names Python knows, without a country.
    """
    known = available_timezones()
    table = _zone_table()
    zones: dict[str, str | None] = {}
    if table is not None:
        for line in table.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            country, _coordinates, name, *_comments = line.split("\t")
            if name in known:
                zones[name] = country
    if not zones:
        zones = {name: None for name in known if _AREA_CITY.match(name)}
    return zones


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    register_date_filters(app)
    app.config["OFFERED_LANGUAGES"] = offered_languages(app)

    @app.context_processor
    def inject_languages():
        locale = str(get_locale())
        return {
            "languages": app.config["OFFERED_LANGUAGES"],
            "current_locale": locale,
            "text_direction": text_direction(locale),
        }
