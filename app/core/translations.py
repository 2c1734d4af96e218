"""The message catalogues in app/translations: extract the strings, update and compile them.

The compiled .mo files are not kept in git; `flask translations compile` (run by `make run`
and `make test`) builds them from the .po files. Without them every page is in English.
"""

from __future__ import annotations

import ast
import io
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_python as babel_extract_python
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


def is_translated(message) -> bool:
    """Every form of the message written (a plural has several) and none left fuzzy."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(forms)


@cache
def _counts(path: Path, modified: float) -> tuple[int, int]:
    with path.open("rb") as po_file:
        catalog = read_po(po_file)
    messages = [message for message in catalog if message.id]
    return sum(1 for message in messages if is_translated(message)), len(messages)


def is_complete(locale: str, directory: Path = TRANSLATIONS_DIR) -> bool:
    """Whether the language's catalogue has every one of its strings translated.

    Read once per process and catalogue version (a quarter of a second for five languages).
    """
    path = directory / locale / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return False
    translated, total = _counts(path, path.stat().st_mtime)
    return total > 0 and translated == total


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
        translated = sum(1 for message in messages if is_translated(message))
        compiled.append(CompiledCatalog(locale, mo_path, translated, len(messages)))
    return compiled


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's Python extractor, plus the gettext calls it does not see (babel.cfg uses this).

    Babel reads tokens and misses a call nested two calls deep, as in
    `_("%(details)s.", details="; ".join(_("%(group)s: ...", ...)))`; the syntax tree finds
    every call of a keyword whose first argument is a string literal.
    """
    source = fileobj.read()
    found = list(babel_extract_python(io.BytesIO(source), keywords, comment_tags, options))
    yield from found
    seen = {
        (funcname, messages[0] if isinstance(messages, tuple | list) else messages)
        for _lineno, funcname, messages, _comments in found
    }
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        name = getattr(function, "id", None) or getattr(function, "attr", None)
        if name not in keywords:
            continue
        strings = tuple(
            argument.value
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            else None
            for argument in node.args
        )
        if strings[0] is None or (name, strings[0]) in seen:
            continue
        seen.add((name, strings[0]))
        yield node.args[0].lineno, name, strings if len(strings) > 1 else strings[0], []


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
