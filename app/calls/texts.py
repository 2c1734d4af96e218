"""The texts organisers write for a call, in each language of the call.

A call's first language is its main language: the models' own columns hold it, and
`translations` (locale -> field -> text) holds the others. Every reader of a call text
that is not an organiser goes through `text_in`, in templates as
`{{ criterion|in_language("name") }}`: the reader's language when the call has the text in
it, else the main language, said so (`note`) and marked (`attrs`, a `lang` and a `dir` for
screen readers and the text's direction).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.calls.models import Call, Criterion, EligibilityQuestion, TranslatableMixin
from app.core.i18n import text_direction

# What an organiser reads for each translatable field, on the translations pages.
FIELD_LABELS = {
    "title": _l("Title"),
    "description": _l("Description (Markdown)"),
    "name": _l("Name"),
    "guidance": _l("Guidance for applicants"),
    "rubric_low": _l("Rubric: what a low score looks like"),
    "rubric_middle": _l("Rubric: what a middle score looks like"),
    "rubric_high": _l("Rubric: what a high score looks like"),
    "text": _l("Question (answered yes or no)"),
    "explanation": _l("Explanation shown to an applicant whose answer does not qualify"),
}
# Typed on one line; the others are paragraphs.
ONE_LINE_FIELDS = frozenset({"title", "name"})
FIELD_LIMITS = {"title": 300, "name": 200, "description": 50_000}
DEFAULT_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class LocalText:
    """One text as a reader sees it: `{{ text }}` prints it, escaped like any string."""

    value: str
    locale: str  # the language `value` is written in
    is_fallback: bool  # shown in the main language: the reader's is missing

    def __str__(self) -> str:
        return self.value

    def __html__(self) -> Markup:
        return escape(self.value)

    def __bool__(self) -> bool:
        return bool(self.value.strip())

    @property
    def attrs(self) -> Markup:
        """` lang=".." dir=".."` for the element holding a text in another language."""
        if not self.is_fallback:
            return Markup("")
        return Markup(' lang="{}" dir="{}"').format(self.locale, text_direction(self.locale))

    @property
    def note(self) -> Markup:
        """A short note after a text shown in the main language, in the reader's language."""
        if not self.is_fallback:
            return Markup("")
        return Markup('<span class="hint language-note">{}</span>').format(
            fallback_message(self.locale)
        )


def main_language(call: Call) -> str:
    return (call.languages or ["en"])[0]


def other_languages(call: Call) -> list[str]:
    """The languages of the call its texts are translated into."""
    return list((call.languages or ["en"])[1:])


def call_of(obj: TranslatableMixin) -> Call:
    if isinstance(obj, Call):
        return obj
    assert isinstance(obj, Criterion | EligibilityQuestion)
    return obj.call


def translation(obj: Any, field: str, locale: str) -> str:
    """The stored translation of one text ("" when there is none)."""
    return ((obj.translations or {}).get(locale) or {}).get(field) or ""


def value_in(obj: TranslatableMixin, field: str, locale: str) -> str:
    """The text as written in `locale`, main language included ("" when not written)."""
    if locale == main_language(call_of(obj)):
        return getattr(obj, field) or ""
    return translation(obj, field, locale)


def text_in(obj: Any, field: str, locale: str | None = None) -> LocalText:
    """The text in `locale` (the page's language by default) when the call offers that
    language and has the text in it; else in the main language, marked as a fallback.

    `obj` is a call, a criterion or an eligibility question, or a row of a call's columns
    read with its `languages` and `translations` (the home page's list)."""
    locale = locale or current_locale()
    if isinstance(obj, TranslatableMixin):
        if field not in obj.TRANSLATABLE_FIELDS:
            raise ValueError(f"{type(obj).__name__}.{field} is not a translatable text")
        languages = call_of(obj).languages or ["en"]
    else:
        languages = obj.languages or ["en"]
    main = languages[0]
    main_value = getattr(obj, field) or ""
    if locale != main:
        if locale in languages:
            value = translation(obj, field, locale)
            if value.strip():
                return LocalText(value, locale, False)
        if main_value.strip():
            return LocalText(main_value, main, True)
    return LocalText(main_value, main if main_value.strip() else locale, False)


def texts_in(call: Call, field: str) -> dict[str, str]:
    """The call's text in each of its languages (for a message whose reader's language is
    decided later, by the outbox): main language first, a missing one falling back."""
    return {locale: text_in(call, field, locale).value for locale in call.languages or ["en"]}


def current_locale() -> str:
    """The page's language, or the one a task forced (flask_babel.force_locale)."""
    return str(get_locale() or "en") if has_app_context() else "en"


def language_name(code: str, *, in_locale: str | None = None) -> str:
    """A language's name in the reader's language ("anglais" for a French reader)."""
    try:
        return Locale.parse(code).get_display_name(in_locale or current_locale()) or code
    except (UnknownLocaleError, ValueError):
        return code


def title_in(call: Call, locale: str | None) -> str:
    """The call's title for an email to a reader of `locale` (the main one when None or
    missing): `"call_title": title_in(call, recipient.locale)`."""
    return text_in(call, "title", locale or main_language(call)).value


def fallback_message(shown_in: str) -> str:
    return _(
        "Not available in your language; shown in %(language)s.",
        language=language_name(shown_in),
    )


def shows_fallback(call: Call, locale: str | None = None, *, questions: bool = False) -> bool:
    """Whether a text of the call or its criteria (and its eligibility questions, when asked)
    reaches a reader of `locale` in the main language."""
    locale = locale or current_locale()
    parts: list[TranslatableMixin] = [call, *call.criteria]
    if questions:
        parts += call.eligibility_questions
    return any(
        text_in(obj, field, locale).is_fallback
        for obj in parts
        for field in obj.TRANSLATABLE_FIELDS
    )


def language_note(call: Call, *, questions: bool = False) -> Markup:
    """One note for a page whose call texts reach the reader in the main language:
    `{{ call|language_note }}` (`questions=True` on a page that shows them)."""
    if not shows_fallback(call, questions=questions):
        return Markup("")
    return Markup('<p class="hint language-note" role="note">{}</p>').format(
        fallback_message(main_language(call))
    )


# --- what is missing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissingText:
    obj: TranslatableMixin
    label: str  # which object, as an organiser reads it
    field: str
    locale: str

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


def translatable_parts(call: Call) -> Iterator[TranslatableMixin]:
    """The call, then its criteria, then its eligibility questions, in their order."""
    yield call
    yield from call.criteria
    yield from call.eligibility_questions


def part_label(obj: TranslatableMixin) -> str:
    if isinstance(obj, Criterion):
        return _("Criterion “%(name)s”", name=obj.name)
    if isinstance(obj, EligibilityQuestion):
        return _("Eligibility question %(number)s", number=obj.position + 1)
    return _("The call")


def missing_texts(obj: TranslatableMixin, locales: list[str]) -> list[MissingText]:
    """The texts of one object written in the main language and not in `locales`."""
    label = part_label(obj)
    return [
        MissingText(obj, label, field, locale)
        for field in obj.TRANSLATABLE_FIELDS
        if (getattr(obj, field) or "").strip()
        for locale in locales
        if not translation(obj, field, locale).strip()
    ]


def missing_translations(call: Call) -> list[MissingText]:
    """Every text written in the main language that lacks a value in another language of the
    call (an empty text, such as a rubric left out, needs no translation)."""
    locales = other_languages(call)
    return [missing for obj in translatable_parts(call) for missing in missing_texts(obj, locales)]


def describe_missing(missing: list[MissingText], *, shown: int = 5) -> str:
    """“Criterion “Vision”: Name (Français), …”, the first few and how many more."""
    items = [
        _(
            "%(part)s: %(field)s (%(language)s)",
            part=item.label,
            field=item.field_label,
            language=language_name(item.locale),
        )
        for item in missing[:shown]
    ]
    text = "; ".join(items)
    if len(missing) > shown:
        text += " " + _("and %(count)s more", count=len(missing) - shown)
    return text


def cleaned_translations(
    obj: TranslatableMixin, values: dict[str, dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """The object's translations with `values` (locale -> field -> text) written over them:
    text stripped, an emptied text removed, other languages and fields kept."""
    merged = {locale: dict(texts) for locale, texts in (obj.translations or {}).items()}
    for locale, texts in values.items():
        current = merged.setdefault(locale, {})
        for field, value in texts.items():
            cleaned = (value or "").strip()
            if cleaned:
                current[field] = cleaned
            else:
                current.pop(field, None)
        if not current:
            del merged[locale]
    return merged
