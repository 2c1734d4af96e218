"""The message catalogues in app/translations: extract the strings, update and compile them.

The compiled .mo files are not kept in git; `flask translations compile` (run by `make run`
and `make test`) builds them from the .po files. Without them every page is in English.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
PROJECT_ROOT = TRANSLATIONS_DIR.parent.parent
BABEL_CONFIG = TRANSLATIONS_DIR / "babel.cfg"
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")


@dataclass(frozen=True)
class CompiledCatalog:
    locale: str
    path: Path
    translated: int
    total: int


def catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*/LC_MESSAGES/messages.po"))


def compile_translations(directory: Path = TRANSLATIONS_DIR) -> list[CompiledCatalog]:
    """Compile every <locale>/LC_MESSAGES/messages.po into its .mo (fuzzy entries left out)."""
    compiled = []
    for po_path in catalogues(directory):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        messages = [message for message in catalog if message.id]
        translated = sum(1 for message in messages if message.string and not message.fuzzy)
        compiled.append(CompiledCatalog(locale, mo_path, translated, len(messages)))
    return compiled


def _pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


def extract_messages(output: Path) -> None:
    """Write every translatable string of app/ and templates/ to a .pot file."""
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    _pybabel(
        "extract",
        "-F",
        str(BABEL_CONFIG),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project",
        "Dialogue Café Call",
        "-o",
        str(output),
        str(PROJECT_ROOT),
    )


def update_catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Add new strings to every .po file (and mark changed ones fuzzy for a translator)."""
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "messages.pot"
        extract_messages(template)
        _pybabel("update", "-i", str(template), "-d", str(directory), "--no-wrap")
    return catalogues(directory)


def init_catalogue(locale: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    """Start the catalogue of a new language."""
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "messages.pot"
        extract_messages(template)
        _pybabel("init", "-i", str(template), "-d", str(directory), "-l", locale, "--no-wrap")
    return directory / locale / "LC_MESSAGES" / "messages.po"
