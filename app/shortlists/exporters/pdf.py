"""The PDF dossier: the shortlist's summary, then one section per shortlisted city (its
scores, its answers as on its page, its reviews). Built whole, then sent.

Drawn by reportlab from our own data with reportlab's bundled fonts: user text is escaped
before it reaches the paragraph markup, so nothing (no <img src>, no link) can make it read
a file or the network. reportlab is imported where a dossier is drawn (a web worker that
never draws one does not carry it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape as xml_escape

from flask_babel import gettext as _

from app.calls.models import Call
from app.db import utcnow
from app.jobs.services import Progress
from app.proposals import queries as proposal_queries
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.presenting import PresentedProposal, present_proposal
from app.reviews.forms import RECOMMENDATION_LABELS
from app.reviews.numbers import TOTAL_LABEL, describe_spread, format_score
from app.shortlists import queries
from app.shortlists.exporters.rows import ExportData
from app.shortlists.exporters.words import SHORTLIST_STATE_LABELS, country, label
from app.shortlists.models import Shortlist
from app.shortlists.scoring import scale_of
from app.shortlists.solver import Reason, describe

_FONTS_READY = False


def _register_fonts() -> tuple[str, str]:
    """reportlab's own bundled Vera fonts (wider than Latin-1 Helvetica), read from its package."""
    global _FONTS_READY
    from reportlab import __file__ as reportlab_file
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not _FONTS_READY:
        fonts = Path(reportlab_file).parent / "fonts"
        pdfmetrics.registerFont(TTFont("DossierSans", str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("DossierSans-Bold", str(fonts / "VeraBd.ttf")))
        _FONTS_READY = True
    return "DossierSans", "DossierSans-Bold"


def _text(value: Any) -> str:
    """User text made inert for reportlab's paragraph markup."""
    return xml_escape(str(value if value is not None else "")).replace("\n", "<br/>")


def write_pdf(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist,
    progress: Progress | None = None,
) -> None:
    """The dossier of `shortlist` (one of `call`'s) into `out`."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = _register_fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("DossierBody", parent=base["BodyText"], fontName=regular, fontSize=9.5)
    small = ParagraphStyle("DossierSmall", parent=body, fontSize=8, leading=10)
    h1 = ParagraphStyle("DossierH1", parent=base["Title"], fontName=bold)
    h2 = ParagraphStyle("DossierH2", parent=base["Heading2"], fontName=bold)
    h3 = ParagraphStyle("DossierH3", parent=base["Heading4"], fontName=bold)
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1D5C63")),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#D4DCDD")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    data = ExportData(call, shortlist=shortlist)
    rows = [row for row in queries.shortlist_rows(shortlist.id) if row.included]
    # The organisers' reading of each proposal, as on its page (app.proposals.presenting).
    presented = {
        proposal.id: present_proposal(
            proposal,
            call,
            attachments=[a for a in proposal.attachments if a.deleted_at is None],
        )
        for proposal in proposal_queries.proposals_for_dossier([row.proposal_id for row in rows])
    }
    reviews = queries.dossier_reviews(call.id, [row.proposal_id for row in rows])

    story: list = [
        Paragraph(_text(call.title), h1),
        Paragraph(_text(_("Shortlist dossier")), h2),
        Paragraph(
            _text(
                _(
                    "Shortlist %(id)s (%(state)s), %(count)s cities. Generated %(when)s UTC.",
                    id=shortlist.id,
                    state=label(SHORTLIST_STATE_LABELS, shortlist.state),
                    count=len(rows),
                    when=utcnow().strftime("%Y-%m-%d %H:%M"),
                )
            ),
            body,
        ),
        Spacer(1, 0.4 * cm),
    ]
    summary = [[_("Rank"), _("City"), _("Country"), _("Continent"), str(TOTAL_LABEL), _("Reviews")]]
    for row in rows:
        proposal = data.by_proposal.get(row.proposal_id)
        summary.append(
            [
                str(row.rank),
                Paragraph(_text(row.city), small),
                Paragraph(_text(country(row.country_code)), small),
                Paragraph(_text(label(CONTINENT_LABELS, row.continent)), small),
                format_score(row.score),
                str(proposal.reviews_submitted if proposal else 0),
            ]
        )
    story.append(Table(summary, repeatRows=1, style=table_style))

    for done, row in enumerate(rows, start=1):
        proposal = data.by_proposal.get(row.proposal_id)
        reading = presented.get(row.proposal_id)
        title = reading.title if reading and reading.title else row.city
        story += [
            PageBreak(),
            Paragraph(_text(f"{row.rank}. {title}"), h2),
            Paragraph(_text(describe(Reason.from_json(row.why))), body),
        ]
        if row.adjustment_reason:
            story.append(
                Paragraph(_text(_("Adjusted: %(reason)s", reason=row.adjustment_reason)), body)
            )
        scores = [[_("Criterion"), _("Weight"), _("Mean"), _("Scale")]]
        for criterion in data.criteria:
            value = proposal.criteria.get(criterion.id) if proposal else None
            scores.append(
                [
                    Paragraph(_text(criterion.name), small),
                    _fmt(criterion.weight),
                    format_score(scale_of(criterion, value)),
                    f"{_fmt(criterion.scale_min)}-{_fmt(criterion.scale_max)}",
                ]
            )
        total = proposal.score if proposal else None
        spread = proposal.spread if proposal else None
        scores.append(
            [
                str(TOTAL_LABEL),
                "",
                format_score(total),
                _("spread %(s)s", s=describe_spread(spread)),
            ]
        )
        story += [Spacer(1, 0.3 * cm), Table(scores, repeatRows=1, style=table_style)]
        if reading is not None:
            story += _dossier_sections(reading, body=body, small=small, heading=h3)
        city_reviews = reviews.get(row.proposal_id, [])
        if city_reviews:
            story.append(Paragraph(_text(_("Reviews")), h3))
        for number, review in enumerate(city_reviews, start=1):
            heading = _(
                "Reviewer %(n)s: %(recommendation)s, confidence %(confidence)s",
                n=number,
                recommendation=label(RECOMMENDATION_LABELS, review.recommendation) or "-",
                confidence=review.confidence or "-",
            )
            story.append(Paragraph(f"<b>{_text(heading)}</b>", body))
            if review.overall_comment:
                story.append(Paragraph(_text(review.overall_comment), body))
        if progress is not None:
            progress(done, len(rows), _("%(done)s of %(total)s cities", done=done, total=len(rows)))

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"{call.title}: {_('Shortlist dossier')}",
        author="Dialogue Café Call",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story)


def _dossier_sections(reading: PresentedProposal, *, body, small, heading) -> list:
    """A proposal's answers in the dossier, labelled and worded as on its page."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Table, TableStyle

    regular, _bold = _register_fonts()
    short_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list = []
    for part in reading.sections:
        if part.partners is not None:
            lines = [
                f"<b>{_text(card.title)}</b> ({_text(card.kind)})"
                + (f": {_text('; '.join(card.offers))}" if card.offers else "")
                + (f". {_text(card.description)}" if card.description else "")
                for card in part.partners
            ]
        elif part.files is not None:
            files = [_text(f"{file.name} ({file.kind}, {file.size})") for file in part.files]
            lines = files or [_text(_("No files."))]
        else:
            lines = []
        if lines:
            story += [Paragraph(_text(part.title), heading), Paragraph("<br/>".join(lines), body)]
            continue
        short = [
            [Paragraph(_text(a.label), small), Paragraph(_text(a.value or "—"), small)]
            for a in part.answers
            if not a.long
        ]
        long = [a for a in part.answers if a.long]
        story.append(Paragraph(_text(part.title), heading))
        if short:
            story.append(Table(short, colWidths=[5 * cm, 11 * cm], style=short_style))
        for answer in long:
            story += [
                Paragraph(f"<b>{_text(answer.label)}</b>", body),
                Paragraph(_text(answer.value or "—"), body),
            ]
    return story


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
