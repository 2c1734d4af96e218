"""How the PDF dossier writes text: its fonts, and paragraphs in any script and direction.

reportlab draws the glyphs it is given in the order it is given them: it neither joins
Arabic letters nor puts a right-to-left line in display order (it would need rlbidi and
uharfbuzz, which are not installed). So a paragraph holding a right-to-left letter, and
every paragraph of a dossier in a right-to-left language, is laid out here:

1. shaped: arabic-reshaper turns the letters into their joined presentation forms (with
   only the ligatures the font draws);
2. broken into lines in reading order, at the width reportlab gives the paragraph, so that
   a long answer's first words stay on its first line;
3. each line put in display order by the Unicode bidirectional algorithm of python-bidi
   (its Python implementation: the Rust one does not mirror brackets);
4. each run of Arabic script written in Noto Sans Arabic (Vera has none of its letters),
   the rest in Vera (Noto Sans Arabic has few Latin letters beyond ASCII).

Any other paragraph is reportlab's own. Either way user text is escaped before it reaches
reportlab's paragraph markup, so it can never become a tag (no <img src>, no link).

This module imports reportlab, arabic-reshaper and python-bidi at once: pdf.py imports it
where a dossier is drawn, so that a web worker that never draws one does not carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from bidi import get_base_level
from bidi.algorithm import get_display
from reportlab import __file__ as reportlab_file
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import cleanBlockQuotedText

from app.core.i18n import text_direction

FONT_FOLDER = Path(__file__).parent / "fonts"  # Noto Sans Arabic and its licence (OFL)
REGULAR = "DossierSans"
BOLD = "DossierSans-Bold"
# The font of a run of Arabic script inside a paragraph set in one of ours.
ARABIC_FONT = {REGULAR: "DossierArabic", BOLD: "DossierArabic-Bold"}

# Letters written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko... and the Arabic
# presentation forms): a paragraph holding one needs the bidirectional algorithm.
RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufefc]+")
# Laid out a little narrower than the paragraph: reportlab measures a line's spaces in the
# font of the run beside them, which may differ from ours by a fraction of a point.
SLACK = 1.0


@cache
def register_fonts() -> None:
    """reportlab's bundled Vera (wider than Latin-1 Helvetica) and our Noto Sans Arabic."""
    vera = Path(reportlab_file).parent / "fonts"
    for name, path in (
        (REGULAR, vera / "Vera.ttf"),
        (BOLD, vera / "VeraBd.ttf"),
        (ARABIC_FONT[REGULAR], FONT_FOLDER / "NotoSansArabic-Regular.ttf"),
        (ARABIC_FONT[BOLD], FONT_FOLDER / "NotoSansArabic-Bold.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(path)))


def escaped(value: object) -> str:
    """User text made inert for reportlab's paragraph markup, its line breaks kept."""
    return xml_escape(str(value if value is not None else "")).replace("\n", "<br/>")


@cache
def _reshaper():
    """arabic-reshaper with its default ligatures, less those the Arabic fonts cannot draw."""
    from arabic_reshaper import ArabicReshaper
    from arabic_reshaper.ligatures import LIGATURES

    register_fonts()
    glyphs = [pdfmetrics.getFont(name).face.charToGlyph for name in ARABIC_FONT.values()]
    missing: dict[str, bool] = {
        name: False
        for name, (_match, forms) in LIGATURES
        if any(ord(char) not in font for font in glyphs for form in forms for char in form)
    }
    if len(missing) == len(LIGATURES):  # none drawn: the reshaper needs ligatures off whole
        missing = {"support_ligatures": False}
    # Harakat (the short-vowel marks) are left out, as the reshaper does by default: without
    # mark positioning, which reportlab lacks, they would stand beside their letters.
    return ArabicReshaper(configuration=missing)


def shape(text: str) -> str:
    """Arabic letters in their joined forms, still in reading order."""
    return _reshaper().reshape(text) if ARABIC_SCRIPT.search(text) else text


def _runs(text: str, font: str) -> list[tuple[str, str]]:
    """(text, font name) runs: Arabic script in the Arabic font, the rest in `font`."""
    runs: list[tuple[str, str]] = []
    at = 0
    for match in ARABIC_SCRIPT.finditer(text):
        if match.start() > at:
            runs.append((text[at : match.start()], font))
        runs.append((match.group(0), ARABIC_FONT[font]))
        at = match.end()
    if at < len(text):
        runs.append((text[at:], font))
    return runs


@dataclass(frozen=True)
class Layout:
    """A paragraph's text laid out by us: shaped, in reading order, and its direction."""

    text: str
    rtl: bool  # the paragraph's base direction
    font: str  # the paragraph style's font (one of ours)
    size: float

    def width(self, text: str) -> float:
        return sum(
            pdfmetrics.stringWidth(run, font, self.size) for run, font in _runs(text, self.font)
        )

    def markup(self, width: float | None) -> str:
        """The paragraph's markup: lines of at most `width` points (one line per line
        break of the text when None), each in display order, fonts switched per run."""
        lines = []
        for paragraph in self.text.split("\n"):
            lines += self._lines(paragraph.split(), width)
        return "<br/>".join(self._line_markup(line) for line in lines)

    def _lines(self, words: list[str], width: float | None) -> list[str]:
        if width is None or not words:
            return [" ".join(words)]
        space = self.width(" ")
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        for word in words:
            wide = self.width(word)
            if current and used + space + wide <= width:
                current.append(word)
                used += space + wide
                continue
            if current:
                lines.append(" ".join(current))
            while wide > width and len(word) > 1:  # a word wider than a line is cut
                cut = self._fitting(word, width)
                lines.append(word[:cut])
                word = word[cut:]
                wide = self.width(word)
            current, used = [word], wide
        lines.append(" ".join(current))
        return lines

    def _fitting(self, word: str, width: float) -> int:
        """How many of the word's first characters fit in `width` (at least one)."""
        cut = 1
        while cut < len(word) and self.width(word[: cut + 1]) <= width:
            cut += 1
        return cut

    def _line_markup(self, line: str) -> str:
        if self.rtl or RTL_LETTER.search(line):
            line = get_display(line, base_dir="R" if self.rtl else "L")
        return "".join(
            escaped(run) if font == self.font else f'<font name="{font}">{escaped(run)}</font>'
            for run, font in _runs(line, self.font)
        )


class LaidOutParagraph(Paragraph):
    """A reportlab paragraph whose lines we break (at the width it is given) and order.

    The parts reportlab makes when it splits one across pages are plain paragraphs of the
    lines already laid out (`layout` None)."""

    def __init__(self, text, style=None, bulletText=None, frags=None, *, layout=None, **kwargs):
        self._layout: Layout | None = layout
        self._laid_out_for: float | None = None
        if layout is not None:
            text = layout.markup(None)  # what a table measures before giving it a width
        super().__init__(text, style, bulletText, frags, **kwargs)

    def wrap(self, availWidth, availHeight):
        if self._layout is not None and availWidth != self._laid_out_for:
            style = self.style
            indents = style.leftIndent + style.rightIndent + max(style.firstLineIndent, 0)
            markup = self._layout.markup(max(availWidth - indents - SLACK, 1.0))
            self._setup(markup, style, self.bulletText, None, cleanBlockQuotedText)
            self._laid_out_for = availWidth
        return super().wrap(availWidth, availHeight)


class DossierText:
    """The paragraphs of one dossier, in the direction of the language it is written in:
    every paragraph is aligned to the right in a right-to-left dossier."""

    def __init__(self, locale: str):
        register_fonts()
        self.locale = locale
        self.rtl = text_direction(locale) == "rtl"
        self._right: dict[str, ParagraphStyle] = {}

    def paragraph(self, value: object, style: ParagraphStyle, *, own_direction: bool = False):
        """A paragraph of `value` (plain text, never markup). Its base direction is the
        dossier's, or with `own_direction` (a city's or a reviewer's text) that of its first
        letter, as HTML's dir="auto" does."""
        text = str(value if value is not None else "")
        has_rtl = RTL_LETTER.search(text) is not None
        if not has_rtl and not self.rtl:
            return Paragraph(escaped(text), style)
        rtl = (has_rtl and get_base_level(text) == 1) if own_direction else self.rtl
        layout = Layout(shape(text), rtl=rtl, font=style.fontName, size=style.fontSize)
        return LaidOutParagraph(None, self._aligned(style, rtl), layout=layout)

    def row(self, cells: list) -> list:
        """A table row, its columns mirrored in a right-to-left dossier."""
        return cells[::-1] if self.rtl else cells

    def _aligned(self, style: ParagraphStyle, rtl: bool) -> ParagraphStyle:
        if not (rtl or self.rtl) or style.alignment not in (TA_LEFT, TA_JUSTIFY):
            return style  # a centred title stays centred
        if style.name not in self._right:
            self._right[style.name] = ParagraphStyle(
                f"{style.name}-right", parent=style, alignment=TA_RIGHT
            )
        return self._right[style.name]
