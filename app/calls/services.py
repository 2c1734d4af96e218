"""Calls: setting them up, their criteria and eligibility questions, their states, and the
deadline rule every write obeys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.accounts.models import User
from app.audit.services import record_audit
from app.calls.defaults import DEFAULT_CRITERIA, DefaultCriterion, default_texts
from app.calls.models import (
    Call,
    CallState,
    Criterion,
    EligibilityQuestion,
    ScoreVisibility,
    TranslatableMixin,
)
from app.calls.signals import criteria_frozen, criterion_removing, criterion_rescaling
from app.calls.texts import (
    DEFAULT_LIMIT,
    FIELD_LIMITS,
    call_of,
    cleaned_translations,
    describe_missing,
    language_name,
    main_language,
    missing_texts,
    missing_translations,
    part_label,
    translatable_parts,
    translation,
)
from app.core.i18n import zone_named
from app.db import utcnow
from app.errors import DeadlinePassed, DomainError
from app.extensions import db

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 120
# Whole points or half points: anything finer makes reviewers' scores noise.
SCALE_STEPS = (1.0, 0.5)
MAX_ANSWER_LENGTH = 20_000
# The languages a call may accept proposals in. Not the interface languages (config
# LANGUAGES, one per translated catalogue): a city may write in Portuguese to organisers who
# read it, whatever language the pages speak. Labels are each language's own name.
PROPOSAL_LANGUAGES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
}

# The settings an administrator may change with update_call (state has its own services).
CALL_SETTINGS = frozenset(
    {
        "slug",
        "title",
        "description",
        "opens_at",
        "closes_at",
        "grace_minutes",
        "review_deadline",
        "languages",
        "max_attachment_bytes",
        "max_attachments_total_bytes",
        "max_attachments",
        "score_visibility",
        "hide_applicant_contact",
        "hide_partner_names",
        "conflict_same_country",
        "conflict_same_city",
        "reviews_per_proposal",
    }
)
CRITERION_FIELDS = (
    "name",
    "guidance",
    "rubric_low",
    "rubric_middle",
    "rubric_high",
    "weight",
    "scale_min",
    "scale_max",
    "scale_step",
    "max_length",
)
QUESTION_FIELDS = ("text", "qualifying_answer", "explanation")


# --- time zones -------------------------------------------------------------------------


def local_to_utc(local: datetime, zone_name: str | None) -> datetime:
    """A wall-clock time entered in a zone, as an aware UTC instant.

    A time the clocks skip (spring forward) does not exist there and is refused; a time
    that happens twice (fall back) is taken at its first occurrence.
    """
    zone = zone_named(zone_name)
    naive = local.replace(tzinfo=None)
    instant = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise DomainError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks move forward at that moment. "
                "Choose a time before or after the change.",
                time=naive.strftime("%Y-%m-%d %H:%M"),
                zone=zone.key,
            ),
            code="nonexistent_local_time",
        )
    return instant


def utc_to_local(instant: datetime, zone_name: str | None) -> datetime:
    """The wall-clock time of a UTC instant in a zone, without tzinfo (for form fields)."""
    return instant.astimezone(zone_named(zone_name)).replace(tzinfo=None)


# --- creating and editing a call --------------------------------------------------------


def _validate_call(values: dict[str, Any], *, call_id: int | None = None) -> None:
    """Refuse settings that break a rule, naming the field so a form can show it there."""
    slug = values.get("slug")
    if slug is not None:
        if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.match(slug):
            raise DomainError(
                _(
                    "Use lower-case letters, digits and single hyphens only "
                    "(for example dialogue-cafe-2025)."
                ),
                code="invalid_slug",
                field="slug",
            )
        taken = select(Call.id).where(Call.slug == slug)
        if call_id is not None:
            taken = taken.where(Call.id != call_id)
        if db.session.scalar(select(exists(taken))):
            raise DomainError(
                _("Another call already uses this address."), code="slug_taken", field="slug"
            )
    if "title" in values and not (values["title"] or "").strip():
        raise DomainError(_("Give the call a title."), code="title_missing", field="title")
    opens_at, closes_at = values.get("opens_at"), values.get("closes_at")
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise DomainError(
            _("The call must close after it opens."),
            code="closes_before_opening",
            field="closes_at",
        )
    if values.get("grace_minutes", 0) < 0:
        raise DomainError(
            _("The grace period cannot be negative."), code="invalid_grace", field="grace_minutes"
        )
    languages = values.get("languages")
    if languages is not None:
        known = PROPOSAL_LANGUAGES
        if not languages or any(code not in known for code in languages):
            raise DomainError(
                _("Choose at least one of the offered languages."),
                code="invalid_languages",
                field="languages",
            )
    per_file = values.get("max_attachment_bytes")
    total = values.get("max_attachments_total_bytes")
    if per_file is not None and per_file <= 0:
        raise DomainError(
            _("The size limit per file must be positive."),
            code="invalid_attachment_limit",
            field="max_attachment_bytes",
        )
    if per_file is not None and total is not None and total < per_file:
        raise DomainError(
            _("The limit per proposal must be at least the limit per file."),
            code="invalid_attachment_limit",
            field="max_attachments_total_bytes",
        )
    if values.get("max_attachments", 0) < 0:
        raise DomainError(
            _("The number of attachments cannot be negative."),
            code="invalid_attachment_limit",
            field="max_attachments",
        )
    if values.get("reviews_per_proposal", 1) < 1:
        raise DomainError(
            _("Each proposal needs at least one review."),
            code="invalid_reviews_per_proposal",
            field="reviews_per_proposal",
        )


def create_call(
    *,
    actor: User | None,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    description: str = "",
    **settings,
) -> Call:
    """A new call in draft, with the seven default criteria of DOMAIN.md."""
    unknown = set(settings) - CALL_SETTINGS
    if unknown:
        raise TypeError(f"create_call() got unknown settings: {sorted(unknown)}")
    _validate_call(
        {"slug": slug, "title": title, "opens_at": opens_at, "closes_at": closes_at, **settings}
    )
    call = Call(
        slug=slug,
        title=title,
        description=description,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=actor.id if actor else None,
        **settings,
    )
    call.criteria = [
        _default_criterion(default, position, main_language(call))
        for position, default in enumerate(DEFAULT_CRITERIA)
    ]
    db.session.add(call)
    db.session.flush()
    _audit_call(actor, call, "call.created", slug=slug)
    return call


def _default_criterion(default: DefaultCriterion, position: int, main: str) -> Criterion:
    """A default criterion written in the call's main language, translated into the others
    it may offer (the defaults exist in all of them)."""
    columns, translations = default_texts(default, main)
    return Criterion(
        key=default.key,
        weight=default.weight,
        position=position,
        translations=translations,
        **columns,
    )


def _audit_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ScoreVisibility | CallState):
        return value.value
    return value


def _changed_values(obj: object, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """{name: [old, new]} for each change that really changes something (for the audit)."""
    return {
        name: [_audit_value(getattr(obj, name)), _audit_value(value)]
        for name, value in changes.items()
        if getattr(obj, name) != value
    }


def _audit_call(actor: User | None, call: Call, action: str, **details: Any) -> None:
    record_audit(actor, action, call, details=details)


def _save_part(actor: User, call: Call, action: str, **details: Any) -> None:
    """A criterion or eligibility question changed: that is a new version of the call
    (the public page cache keys on `updated_at`); flush and audit it."""
    call.updated_at = utcnow()
    db.session.flush()
    _audit_call(actor, call, action, **details)


def update_call(*, actor: User, call: Call, **changes: Any) -> Call:
    """Change a call's settings; the audit entry records each changed value, old and new."""
    unknown = set(changes) - CALL_SETTINGS
    if unknown:
        raise TypeError(f"update_call() got unknown settings: {sorted(unknown)}")
    merged = {name: getattr(call, name) for name in CALL_SETTINGS} | changes
    _validate_call(merged, call_id=call.id)
    changed = _changed_values(call, changes)
    if not changed:
        return call
    languages: list[str] | None = changes.get("languages")
    new_main = languages[0] if languages else None
    switching = new_main is not None and new_main != main_language(call)
    if new_main is not None and switching:
        _ensure_written_in(call, new_main)
    # The title and description typed in the form are in the main language until now.
    for name, value in changes.items():
        if name != "languages":
            setattr(call, name, value)
    if new_main is not None and switching:
        _move_main_language(call, new_main)
    if languages is not None:
        # Translations of a language the call no longer offers are kept: ticking it again
        # brings them back.
        call.languages = list(languages)
    db.session.flush()
    _audit_call(actor, call, "call.updated", changed=changed)
    return call


def _ensure_written_in(call: Call, new_main: str) -> None:
    """A language becomes the main one once every text is written in it: otherwise a column
    would be empty, or hold a text in a language it does not claim."""
    missing = [item for obj in translatable_parts(call) for item in missing_texts(obj, [new_main])]
    if missing:
        raise DomainError(
            _(
                "%(language)s can become the main language once every text is written in it. "
                "Missing: %(missing)s.",
                language=language_name(new_main),
                missing=describe_missing(missing),
            ),
            code="main_language_incomplete",
            field="languages",
        )


def _move_main_language(call: Call, new_main: str) -> None:
    """The columns take the new main language's texts; the old main's go to translations."""
    old_main = main_language(call)
    for obj in translatable_parts(call):
        old = {field: getattr(obj, field) or "" for field in obj.TRANSLATABLE_FIELDS}
        for field in obj.TRANSLATABLE_FIELDS:
            if old[field].strip():
                setattr(obj, field, translation(obj, field, new_main))
        translations = cleaned_translations(obj, {old_main: old})
        translations.pop(new_main, None)
        obj.translations = translations


# --- translations -----------------------------------------------------------------------


def save_translations(
    *, actor: User, obj: TranslatableMixin, values: dict[str, dict[str, str]]
) -> TranslatableMixin:
    """Write a call text's values in the call's other languages (locale -> field -> text).

    The main language is edited on the object's own page; an emptied value is removed. The
    criteria may be translated after they freeze: a translation says the same criterion.
    """
    call = call_of(obj)
    main = main_language(call)
    for locale, texts in values.items():
        if locale == main or locale not in (call.languages or []):
            raise DomainError(
                _("This call does not offer that language."), code="invalid_translation_language"
            )
        for field, text in texts.items():
            if field not in obj.TRANSLATABLE_FIELDS:
                raise TypeError(f"{type(obj).__name__}.{field} is not a translatable text")
            limit = FIELD_LIMITS.get(field, DEFAULT_LIMIT)
            if len((text or "").strip()) > limit:
                raise DomainError(
                    _("Please shorten this to %(limit)s characters.", limit=limit),
                    code="translation_too_long",
                    field=f"{field}__{locale}",
                )
    translations = cleaned_translations(obj, values)
    changed = {
        locale: sorted(
            field
            for field in obj.TRANSLATABLE_FIELDS
            if translation(obj, field, locale) != (translations.get(locale) or {}).get(field, "")
        )
        for locale in values
    }
    changed = {locale: fields for locale, fields in changed.items() if fields}
    if not changed:
        return obj
    obj.translations = translations
    _save_part(actor, call, "call.translations_saved", part=part_label(obj), changed=changed)
    return obj


# --- the deadline rule ------------------------------------------------------------------


def is_accepting_proposals(call: Call, *, at: datetime | None = None) -> bool:
    """Open, and before the closing instant plus grace (the instant itself is refused)."""
    at = at or utcnow()
    return call.state == CallState.OPEN and call.opens_at <= at < call.accepts_until


def ensure_accepting_proposals(call: Call, *, at: datetime | None = None) -> None:
    """Raise DeadlinePassed unless the call takes writes now (enforced on every write)."""
    if not is_accepting_proposals(call, at=at):
        raise DeadlinePassed(
            _(
                "This call is not accepting changes: it closed on %(closed)s (UTC).",
                closed=call.closes_at.strftime("%Y-%m-%d %H:%M"),
            )
            if (at or utcnow()) >= call.opens_at
            else _("This call is not open yet."),
            code="call_not_accepting",
        )


# --- states -----------------------------------------------------------------------------

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CallState], CallState]] = {
    "open": (frozenset({CallState.DRAFT, CallState.CLOSED}), CallState.OPEN),
    "close": (frozenset({CallState.OPEN}), CallState.CLOSED),
    "start_review": (frozenset({CallState.CLOSED}), CallState.IN_REVIEW),
    "decide": (frozenset({CallState.IN_REVIEW}), CallState.DECIDED),
    "archive": (frozenset({CallState.DRAFT, CallState.DECIDED}), CallState.ARCHIVED),
}


def available_transitions(call: Call) -> list[str]:
    """The state changes an administrator may ask for now, in lifecycle order."""
    return [action for action, (sources, _target) in TRANSITIONS.items() if call.state in sources]


def _change_state(*, actor: User | None, call: Call, action: str, **details: Any) -> Call:
    sources, target = TRANSITIONS[action]
    if call.state not in sources:
        raise DomainError(
            _(
                "A call in the state “%(state)s” cannot move to “%(target)s”.",
                state=call.state.value,
                target=target.value,
            ),
            code="invalid_call_transition",
        )
    previous = call.state
    call.state = target
    db.session.flush()
    moved = {"from": previous.value, "to": target.value}
    _audit_call(actor, call, f"call.{target.value}", **moved, **details)
    return call


def open_call(*, actor: User, call: Call, now: datetime | None = None) -> Call:
    """Draft (or closed, after moving the deadline) -> open."""
    now = now or utcnow()
    if call.accepts_until <= now:
        raise DomainError(
            _("The closing instant has passed: move it into the future before opening the call."),
            code="closing_instant_passed",
        )
    if not call.criteria:
        raise DomainError(
            _("Add at least one criterion before opening the call."), code="no_criteria"
        )
    missing = missing_translations(call)
    if missing:
        raise DomainError(
            _(
                "Before the call opens, write each of its texts in every language it offers. "
                "Missing: %(missing)s.",
                missing=describe_missing(missing),
            ),
            code="translations_missing",
        )
    return _change_state(actor=actor, call=call, action="open")


def close_call(*, actor: User | None, call: Call, now: datetime | None = None) -> Call:
    """Open -> closed, by hand (actor) or at the deadline (actor None): the state change
    and its audit entry only. Closing that tells the cities and the administrators is
    app.proposals.closing, which calls this.

    Closed by hand before its closing instant, the call records the instant it really
    closed, so that every page and message says so rather than the date it was due; the
    date it was due stays in the audit entry.
    """
    now = now or utcnow()
    details: dict[str, Any] = {"automatic": actor is None, "at": now.isoformat()}
    # A call not yet opened keeps its dates: closing it at once would end before it opens.
    if call.state == CallState.OPEN and call.opens_at < now < call.closes_at:
        details["scheduled_closes_at"] = call.closes_at.isoformat()
        call.closes_at = now
    return _change_state(actor=actor, call=call, action="close", **details)


def start_review(*, actor: User, call: Call) -> Call:
    """Closed -> in review."""
    return _change_state(actor=actor, call=call, action="start_review")


def decide_call(*, actor: User, call: Call) -> Call:
    """In review -> decided."""
    return _change_state(actor=actor, call=call, action="decide")


def archive_call(*, actor: User, call: Call) -> Call:
    """Decided (or an abandoned draft) -> archived."""
    return _change_state(actor=actor, call=call, action="archive")


# The state changes a button makes at once. Closing is not one of them: it emails every
# city, so it goes through its confirmation page (app.proposals.closing).
STATE_SERVICES = {
    "open": open_call,
    "start_review": start_review,
    "decide": decide_call,
    "archive": archive_call,
}


# --- criteria ---------------------------------------------------------------------------


def criteria_are_frozen(call_id: int) -> bool:
    """Criteria are frozen once any review of this call is submitted (scores stay
    comparable); reviews answers, through the criteria_frozen signal."""
    return any(frozen for _receiver, frozen in criteria_frozen.send(call_id=call_id))


def ensure_criteria_editable(call: Call) -> None:
    if criteria_are_frozen(call.id):
        raise DomainError(
            _(
                "The criteria are frozen: a review of this call has been submitted, and "
                "changing them now would make its scores incomparable with later ones."
            ),
            code="criteria_frozen",
        )


def _is_multiple(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-9


def _validate_criterion(
    call: Call, values: dict[str, Any], *, criterion: Criterion | None = None
) -> None:
    name = (values["name"] or "").strip()
    if not name:
        raise DomainError(_("Give the criterion a name."), code="name_missing", field="name")
    if any(
        other is not criterion and other.name.strip().casefold() == name.casefold()
        for other in call.criteria
    ):
        raise DomainError(
            _("This call already has a criterion with this name."),
            code="criterion_name_taken",
            field="name",
        )
    if values["weight"] < 0:
        raise DomainError(
            _("The weight cannot be negative."), code="invalid_weight", field="weight"
        )
    step = values["scale_step"]
    if step not in SCALE_STEPS:
        raise DomainError(
            _("Score in whole points or in half points."),
            code="invalid_scale_step",
            field="scale_step",
        )
    if values["scale_max"] <= values["scale_min"]:
        raise DomainError(
            _("The highest score must be above the lowest."),
            code="invalid_scale",
            field="scale_max",
        )
    for bound in ("scale_min", "scale_max"):
        if not _is_multiple(values[bound], step):
            raise DomainError(
                _("The ends of the scale must be whole (or half) points, like the step."),
                code="invalid_scale",
                field=bound,
            )
    if not 0 < values["max_length"] <= MAX_ANSWER_LENGTH:
        raise DomainError(
            _(
                "The answer limit must be between 1 and %(most)s characters.",
                most=MAX_ANSWER_LENGTH,
            ),
            code="invalid_max_length",
            field="max_length",
        )


def _criterion_key(call: Call, name: str) -> str:
    """A stable key for form fields and exports, unique in the call, kept on renaming."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:56] or "criterion"
    taken = {criterion.key for criterion in call.criteria}
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


def _criterion_values(criterion: Criterion) -> dict[str, Any]:
    return {name: getattr(criterion, name) for name in CRITERION_FIELDS}


def add_criterion(
    *,
    actor: User,
    call: Call,
    name: str,
    guidance: str = "",
    rubric_low: str = "",
    rubric_middle: str = "",
    rubric_high: str = "",
    weight: float = 1.0,
    scale_min: float = 1.0,
    scale_max: float = 5.0,
    scale_step: float = 1.0,
    max_length: int = 3000,
) -> Criterion:
    ensure_criteria_editable(call)
    values: dict[str, Any] = {
        "name": name.strip(),
        "guidance": guidance,
        "rubric_low": rubric_low,
        "rubric_middle": rubric_middle,
        "rubric_high": rubric_high,
        "weight": weight,
        "scale_min": scale_min,
        "scale_max": scale_max,
        "scale_step": scale_step,
        "max_length": max_length,
    }
    _validate_criterion(call, values)
    criterion = Criterion(key=_criterion_key(call, values["name"]), **values)
    call.criteria.append(criterion)
    _renumber(call.criteria)
    db.session.flush()
    _save_part(
        actor, call, "criterion.added", criterion_id=criterion.id, key=criterion.key, values=values
    )
    return criterion


def update_criterion(*, actor: User, criterion: Criterion, **changes: Any) -> Criterion:
    unknown = set(changes) - set(CRITERION_FIELDS)
    if unknown:
        raise TypeError(f"update_criterion() got unknown fields: {sorted(unknown)}")
    call = criterion.call
    ensure_criteria_editable(call)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    values = _criterion_values(criterion) | changes
    _validate_criterion(call, values, criterion=criterion)
    changed = _changed_values(criterion, changes)
    if not changed:
        return criterion
    if "scale_min" in changed or "scale_max" in changed:
        # Draft reviews may hold scores on it (reviews refuses a scale that leaves them out).
        criterion_rescaling.send(
            criterion_id=criterion.id, scale_min=values["scale_min"], scale_max=values["scale_max"]
        )
    for name, value in changes.items():
        setattr(criterion, name, value)
    _save_part(
        actor,
        call,
        "criterion.updated",
        criterion_id=criterion.id,
        key=criterion.key,
        changed=changed,
    )
    return criterion


def remove_criterion(*, actor: User, criterion: Criterion) -> None:
    """Remove a criterion (and any draft scores given on it: no review is submitted yet)."""
    call = criterion.call
    ensure_criteria_editable(call)
    if len(call.criteria) == 1 and call.state != CallState.DRAFT:
        raise DomainError(
            _("A call that has opened keeps at least one criterion."), code="last_criterion"
        )
    details = {"criterion_id": criterion.id, "key": criterion.key, "name": criterion.name}
    criterion_removing.send(criterion_id=criterion.id)
    call.criteria.remove(criterion)
    _renumber(call.criteria)
    _save_part(actor, call, "criterion.removed", **details)


def move_criterion(*, actor: User, criterion: Criterion, offset: int) -> None:
    """Move a criterion up (offset -1) or down (+1) in the order applicants and reviewers see."""
    call = criterion.call
    ensure_criteria_editable(call)
    if _move(call.criteria, criterion, offset):
        _save_part(
            actor, call, "criterion.moved", criterion_id=criterion.id, position=criterion.position
        )


def _renumber(items: Sequence[Criterion | EligibilityQuestion]) -> None:
    for position, item in enumerate(items):
        item.position = position


def _move(items: list, item: Criterion | EligibilityQuestion, offset: int) -> bool:
    """Swap an item with its neighbour in a position-ordered list. False at either end."""
    index = items.index(item)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(items):
        return False
    ordered = list(items)
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _renumber(ordered)
    items.sort(key=lambda each: each.position)
    return True


# --- eligibility questions --------------------------------------------------------------


def _validate_question(text: str) -> None:
    if not text.strip():
        raise DomainError(_("Write the question."), code="question_missing", field="text")


def add_eligibility_question(
    *, actor: User, call: Call, text: str, qualifying_answer: bool = True, explanation: str = ""
) -> EligibilityQuestion:
    _validate_question(text)
    question = EligibilityQuestion(
        text=text.strip(), qualifying_answer=qualifying_answer, explanation=explanation.strip()
    )
    call.eligibility_questions.append(question)
    _renumber(call.eligibility_questions)
    db.session.flush()
    _save_part(
        actor, call, "eligibility_question.added", question_id=question.id, text=question.text
    )
    return question


def update_eligibility_question(
    *, actor: User, question: EligibilityQuestion, **changes: Any
) -> EligibilityQuestion:
    unknown = set(changes) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"update_eligibility_question() got unknown fields: {sorted(unknown)}")
    for name in ("text", "explanation"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if "text" in changes:
        _validate_question(changes["text"])
    changed = _changed_values(question, changes)
    if not changed:
        return question
    for name, value in changes.items():
        setattr(question, name, value)
    _save_part(
        actor,
        question.call,
        "eligibility_question.updated",
        question_id=question.id,
        changed=changed,
    )
    return question


def remove_eligibility_question(*, actor: User, question: EligibilityQuestion) -> None:
    call = question.call
    details = {"question_id": question.id, "text": question.text}
    call.eligibility_questions.remove(question)
    _renumber(call.eligibility_questions)
    _save_part(actor, call, "eligibility_question.removed", **details)


def move_eligibility_question(*, actor: User, question: EligibilityQuestion, offset: int) -> None:
    call = question.call
    if _move(call.eligibility_questions, question, offset):
        _save_part(
            actor,
            call,
            "eligibility_question.moved",
            question_id=question.id,
            position=question.position,
        )
