"""The PDF dossier: the shortlist's summary, then one section per shortlisted city (its
scores, its answers as on its page, its reviews). Built whole, then sent.

Drawn by reportlab from our own data, in the language of the person exporting (a job's:
the one its starter read, app.jobs.services.job_locale), every label through gettext.
Text in any script and direction goes through pdf_text.py: shaped and laid out right to
left where it is written so, with fonts bundled in the package (nothing read from the
network). reportlab is imported where a dossier is drawn (a web worker that never draws one
does not carry it).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from app.calls.models import Call
from app.core.i18n import format_when
from app.db import utcnow
from app.jobs.services import Progress
from app.proposals import queries as proposal_queries
from app.proposals.continents import CONTINENT_LABELS
from app.proposals.presenting import PresentedProposal, PresentedSection, present_proposal
from app.reviews.forms import RECOMMENDATION_LABELS
from app.reviews.numbers import TOTAL_LABEL, describe_spread, format_score
from app.shortlists import queries
from app.shortlists.exporters.rows import ExportData
from app.shortlists.exporters.words import SHORTLIST_STATE_LABELS, country, label
from app.shortlists.models import Shortlist
from app.shortlists.scoring import scale_of
from app.shortlists.solver import Reason, describe

TEAL = "#1D5C63"
GRID = "#D4DCDD"
NO_ANSWER = "—"


def write_pdf(
    call: Call,
    out: BinaryIO,
    *,
    shortlist: Shortlist,
    progress: Progress | None = None,
) -> None:
    """The dossier of `shortlist` (one of `call`'s) into `out`."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    dossier = _Dossier(str(get_locale() or "en"))
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

    story = dossier.summary(call, shortlist, rows, data)
    for done, row in enumerate(rows, start=1):
        story.append(PageBreak())
        story += dossier.city(row, data, presented.get(row.proposal_id))
        story += dossier.reviews(reviews.get(row.proposal_id, []))
        if progress is not None:
            progress(
                done,
                len(rows),
                ngettext(
                    "%(done)s of %(num)s city", "%(done)s of %(num)s cities", len(rows), done=done
                ),
            )

    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_("Shortlist dossier: %(call)s", call=call.title),
        author="Dialogue Café Call",
        lang=dossier.text.locale.replace("_", "-"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story)


class _Dossier:
    """The dossier's styles and the flowables of each of its parts."""

    def __init__(self, locale: str):
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
        from reportlab.platypus import TableStyle

        from app.shortlists.exporters.pdf_text import BOLD, REGULAR, DossierText

        self.text = DossierText(locale)
        base = getSampleStyleSheet()
        self.body = ParagraphStyle(
            "DossierBody", parent=base["BodyText"], fontName=REGULAR, fontSize=9.5
        )
        self.strong = ParagraphStyle("DossierStrong", parent=self.body, fontName=BOLD)
        self.small = ParagraphStyle("DossierSmall", parent=self.body, fontSize=8, leading=10)
        self.header = ParagraphStyle(
            "DossierHeader", parent=self.small, fontName=BOLD, textColor=colors.white
        )
        self.h1 = ParagraphStyle("DossierH1", parent=base["Title"], fontName=BOLD)
        self.h2 = ParagraphStyle("DossierH2", parent=base["Heading2"], fontName=BOLD)
        self.h3 = ParagraphStyle("DossierH3", parent=base["Heading4"], fontName=BOLD)
        self.table_style = TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(TEAL)),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor(GRID)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT" if self.text.rtl else "LEFT"),
            ]
        )
        self.plain_table_style = TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )

    # -- text ---------------------------------------------------------------------------

    def label(self, value: Any, style=None):
        """Our own words (maybe holding a value): in the dossier's direction."""
        return self.text.paragraph(value, style or self.body)

    def written(self, value: Any, style=None):
        """A text someone wrote (a city, a reviewer, an organiser): in its own direction."""
        return self.text.paragraph(value, style or self.body, own_direction=True)

    def table(self, header: list[str], rows: list[list], widths: list[float], style=None):
        from reportlab.lib.units import cm
        from reportlab.platypus import Table

        cells = [[self.label(text, self.header) for text in header], *rows] if header else rows
        return Table(
            [self.text.row(row) for row in cells],
            colWidths=self.text.row([width * cm for width in widths]),
            repeatRows=1 if header else 0,
            style=style or self.table_style,
        )

    # -- parts --------------------------------------------------------------------------

    def summary(self, call: Call, shortlist: Shortlist, rows, data: ExportData) -> list:
        from reportlab.lib.units import cm
        from reportlab.platypus import Spacer

        line = ngettext(
            "Shortlist %(id)s (%(state)s): %(num)s city.",
            "Shortlist %(id)s (%(state)s): %(num)s cities.",
            len(rows),
            id=shortlist.id,
            state=label(SHORTLIST_STATE_LABELS, shortlist.state),
        )
        made = _("Made on %(when)s.", when=format_when(utcnow()))
        table = []
        for row in rows:
            proposal = data.by_proposal.get(row.proposal_id)
            table.append(
                [
                    str(row.rank),
                    self.written(row.city, self.small),
                    self.label(country(row.country_code), self.small),
                    self.label(label(CONTINENT_LABELS, row.continent), self.small),
                    format_score(row.score),
                    str(proposal.reviews_submitted if proposal else 0),
                ]
            )
        header = [_("Rank"), _("City"), _("Country"), _("Continent"), str(TOTAL_LABEL)]
        return [
            self.written(call.title, self.h1),
            self.label(_("Shortlist dossier"), self.h2),
            self.label(f"{line} {made}"),
            Spacer(1, 0.4 * cm),
            self.table([*header, _("Reviews")], table, [1.3, 4.4, 3.4, 3.0, 2.9, 2.0]),
        ]

    def city(self, row, data: ExportData, reading: PresentedProposal | None) -> list:
        from reportlab.lib.units import cm
        from reportlab.platypus import Spacer

        proposal = data.by_proposal.get(row.proposal_id)
        title = reading.title if reading and reading.title else row.city
        story = [
            self.label(f"{row.rank}. {title}", self.h2),
            self.label(describe(Reason.from_json(row.why))),
        ]
        if row.adjustment_reason:
            story.append(self.label(_("Adjusted: %(reason)s", reason=row.adjustment_reason)))
        scores = []
        for criterion in data.criteria:
            value = proposal.criteria.get(criterion.id) if proposal else None
            scores.append(
                [
                    self.written(criterion.name, self.small),
                    _number(criterion.weight),
                    format_score(scale_of(criterion, value)),
                    f"{_number(criterion.scale_min)}-{_number(criterion.scale_max)}",
                ]
            )
        spread = proposal.spread if proposal else None
        scores.append(
            [
                self.label(TOTAL_LABEL, self.small),
                "",
                format_score(proposal.score if proposal else None),
                self.label(_("spread %(s)s", s=describe_spread(spread)), self.small),
            ]
        )
        header = [_("Criterion"), _("Weight"), _("Mean"), _("Scale")]
        story += [Spacer(1, 0.3 * cm), self.table(header, scores, [7.0, 2.5, 3.0, 4.5])]
        if reading is not None:
            for part in reading.sections:
                story += self.section(part)
        return story

    def section(self, part: PresentedSection) -> list:
        """A proposal's section in the dossier, labelled and worded as on its page."""
        story = [self.label(part.title, self.h3)]
        if part.partners is not None:
            for card in part.partners:
                what = card.kind + (f": {'; '.join(card.offers)}" if card.offers else "")
                story += [self.written(card.title, self.strong), self.label(what)]
                if card.description:
                    story.append(self.written(card.description))
            return story
        if part.files is not None:
            files = [f"{file.name} ({file.kind}, {file.size})" for file in part.files]
            return [*story, self.label("\n".join(files) or _("No files."))]
        short = [
            [self.label(a.label, self.small), self.written(a.value or NO_ANSWER, self.small)]
            for a in part.answers
            if not a.long
        ]
        if short:
            story.append(self.table([], short, [5.0, 11.0], self.plain_table_style))
        for answer in part.answers:
            if answer.long:
                story += [
                    self.label(answer.label, self.strong),
                    self.written(answer.value or NO_ANSWER),
                ]
        return story

    def reviews(self, reviews: list) -> list:
        story = [self.label(_("Reviews"), self.h3)] if reviews else []
        for number, review in enumerate(reviews, start=1):
            heading = _(
                "Reviewer %(n)s: %(recommendation)s, confidence %(confidence)s",
                n=number,
                recommendation=label(RECOMMENDATION_LABELS, review.recommendation) or "-",
                confidence=review.confidence or "-",
            )
            story.append(self.label(heading, self.strong))
            if review.overall_comment:
                story.append(self.written(review.overall_comment))
        return story


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
