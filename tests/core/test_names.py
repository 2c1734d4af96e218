"""Codes people should never read: languages and countries are written as names, in the
reader's language, by the templates' `language_name` and `country_name` filters."""

from __future__ import annotations

import pytest
from flask import render_template_string


@pytest.mark.parametrize(
    ("locale", "language", "country"),
    [("en", "French", "Portugal"), ("fr", "Français", "Portugal")],
)
def test_codes_are_written_as_names_in_the_readers_language(app, locale, language, country):
    with app.test_request_context(headers={"Accept-Language": locale}):
        text = render_template_string("{{ 'fr'|language_name }} / {{ 'PT'|country_name }}")

    assert text == f"{language} / {country}"


def test_an_unknown_code_is_left_as_it_is(app):
    with app.test_request_context():
        assert render_template_string("{{ 'zz-bogus'|language_name }}") == "zz-bogus"
        assert render_template_string("{{ 'QQ'|country_name }}") == "QQ"
