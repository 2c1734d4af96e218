"""The catalogues: compiled by `flask translations compile`, consistent, and optional."""

from __future__ import annotations

import re
import shutil

import celery
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import force_locale, get_domain, gettext

from app import create_app
from app.core import translations
from config import TestingConfig

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_compile_writes_a_mo_file_the_app_can_read(tmp_path):
    shutil.copytree(translations.TRANSLATIONS_DIR / "fr", tmp_path / "fr")
    (compiled,) = translations.compile_translations(tmp_path)
    assert compiled.locale == "fr" and compiled.translated >= 100
    catalogue = Translations.load(str(tmp_path), ["fr"])
    assert catalogue.gettext("Outbox") == "Boîte d’envoi"
    assert catalogue.gettext("Skip to main content") == "Aller au contenu principal"


def test_every_translation_keeps_the_placeholders_of_its_original():
    for path in translations.catalogues():
        with path.open("rb") as po_file:
            catalogue = read_po(po_file)
        for message in catalogue:
            if not message.id or not message.string:
                continue
            originals = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set(PLACEHOLDER.findall(originals[-1]))
            for string in strings:
                if string:
                    assert set(PLACEHOLDER.findall(string)) == expected, (path, message.id)


def test_the_compile_command_reports_each_language(app):
    result = app.test_cli_runner().invoke(args=["translations", "compile"])
    assert result.exit_code == 0, result.output
    assert re.search(r"fr: \d+ of \d+ strings translated", result.output)


def test_the_app_starts_and_speaks_english_without_compiled_catalogues(tmp_path):
    class WithoutCatalogues(TestingConfig):
        BABEL_TRANSLATION_DIRECTORIES = str(tmp_path)

    previous = celery.current_app._get_current_object()
    try:
        bare = create_app(WithoutCatalogues)
    finally:
        previous.set_current()
        previous.set_default()
    with bare.test_request_context("/"), force_locale("fr"):
        # Flask-Babel keeps loaded catalogues per locale in one domain shared by every app of
        # the process; another test's French pages must not stand in for missing files here.
        get_domain().cache.clear()
        assert gettext("Outbox") == "Outbox"
