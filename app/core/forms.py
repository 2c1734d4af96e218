"""The base of every form, and the one rule for text anyone sends: no control characters.

PostgreSQL cannot store a NUL in text, and the exports (XLSX is XML) and the PDF refuse the
other C0 control characters, so a value holding one would fail far from where it was typed,
as a 500 or a broken export. Tab, line feed and carriage return are ordinary typing.

Every form of the app derives from `FlaskForm` (or, inside a FieldList, `Form`) below: a
field sent with such a character gets a field error, so the form is shown again with what
was typed, and `validate()` is false. Links are checked once per request (`init_text_checks`):
a path word with such a character is not found, a query string is refused with a 400.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import flask_wtf
import wtforms
from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from wtforms.fields import FieldList, FormField

from app.errors import UnstorableText

UNSTORABLE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
UNSTORABLE_MESSAGE = _l(
    "This text contains a character that can't be stored: remove it and try again."
)


def has_unstorable_characters(value: Any) -> bool:
    return isinstance(value, str) and UNSTORABLE_CHARACTERS.search(value) is not None


def _leaf_fields(form: wtforms.Form) -> Iterator[wtforms.Field]:
    for field in form:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    yield from _leaf_fields(entry.form)
                else:
                    yield entry
        else:
            yield field


def unstorable_fields(form: wtforms.Form) -> list[str]:
    """The ids of the fields that were sent a character we cannot store."""
    return [field.id for field in _leaf_fields(form) if getattr(field, "unstorable", False)]


class _RefusesUnstorableText:
    """Marks, after the fields have read the request, each one sent a control character."""

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        for field in _leaf_fields(self):
            # raw_data is what the request sent; a form filled from stored data has none.
            sent = getattr(field, "raw_data", None) or []
            field.unstorable = any(map(has_unstorable_characters, sent))
            # A row of a FieldList that is a Form of ours has marked itself already.
            if field.unstorable and UNSTORABLE_MESSAGE not in field.process_errors:
                field.process_errors.insert(0, UNSTORABLE_MESSAGE)  # the cause of any other


class FlaskForm(_RefusesUnstorableText, flask_wtf.FlaskForm):
    """Flask-WTF's form (CSRF token and all) that refuses text it cannot store."""


class Form(_RefusesUnstorableText, wtforms.Form):
    """A plain form for the rows of a FieldList, with the same rule."""


def _refuse_unstorable_links() -> None:
    if any(has_unstorable_characters(value) for value in (request.view_args or {}).values()):
        abort(404)  # no slug, section or token holds one: there is no such page
    if any(
        has_unstorable_characters(name) or has_unstorable_characters(value)
        for name, value in request.args.items(multi=True)
    ):
        raise UnstorableText(str(UNSTORABLE_MESSAGE))


def init_text_checks(app: Flask) -> None:
    app.before_request(_refuse_unstorable_links)
