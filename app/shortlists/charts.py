"""Pictures of a call's scores, drawn as SVG on the server: no script, no CDN, no inline style.

Colours come from classes in static/css/app.css (the CSP forbids style attributes); sizes
and positions are SVG attributes. Every chart has a <title> and <desc> and is shown next to
the same numbers as a table, for screen readers and for anyone who would rather read.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup

from app.calls.models import Call, Criterion
from app.reviews.numbers import (
    NO_VALUE,
    SPREAD_LABEL,
    TOTAL_LABEL,
    format_score,
    format_spread,
    standard_deviation,
)
from app.shortlists import queries
from app.shortlists.scoring import call_criteria

WIDTH = 640
_ids = itertools.count(1)


@dataclass
class Chart:
    title: str
    description: str
    svg: Markup
    headers: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)


def _svg(title: str, description: str, height: float, body: list[Markup]) -> Markup:
    number = next(_ids)
    return Markup(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        'width="100%" role="img" aria-labelledby="chart-{n}-title chart-{n}-desc" '
        'focusable="false"><title id="chart-{n}-title">{title}</title>'
        '<desc id="chart-{n}-desc">{description}</desc>{body}</svg>'
    ).format(
        width=WIDTH,
        height=height,
        n=number,
        title=title,
        description=description,
        body=Markup("").join(body),
    )


def _text(x: float, y: float, text, css: str = "chart-label", anchor: str = "start") -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}" class="{}" text-anchor="{}">{}</text>').format(
        x, y, css, anchor, text
    )


def _tooltip(label: str) -> Markup:
    return Markup("<title>{}</title>").format(label) if label else Markup("")


def _rect(x: float, y: float, width: float, height: float, css: str, label: str = "") -> Markup:
    return Markup(
        '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="{}">{}</rect>'
    ).format(x, y, max(width, 0), max(height, 0), css, _tooltip(label))


def _circle(x: float, y: float, radius: float, css: str, label: str) -> Markup:
    return Markup('<circle cx="{:.1f}" cy="{:.1f}" r="{}" class="{}">{}</circle>').format(
        x, y, radius, css, _tooltip(label)
    )


def _line(x1: float, y1: float, x2: float, y2: float, css: str) -> Markup:
    return Markup('<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" class="{}"/>').format(
        x1, y1, x2, y2, css
    )


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def score_distribution(criterion: Criterion, counts: dict[float, int]) -> Chart:
    """How often each value of the criterion's scale was given."""
    values: list[float] = []
    value = criterion.scale_min
    while value <= criterion.scale_max + 1e-9 and len(values) < 101:
        values.append(round(value, 6))
        value += criterion.scale_step
    values = sorted(set(values) | set(counts))
    total = sum(counts.values())
    title = _("Scores given for %(criterion)s", criterion=criterion.name)
    description = _(
        "%(total)s scores from %(low)s to %(high)s: %(details)s.",
        total=total,
        low=_fmt(criterion.scale_min),
        high=_fmt(criterion.scale_max),
        details=", ".join(f"{_fmt(v)}: {counts.get(v, 0)}" for v in values),
    )
    height, top, bottom, left = 180, 20, 30, 40
    plot_height = height - top - bottom
    slot = (WIDTH - left - 10) / max(len(values), 1)
    largest = max(counts.values(), default=0) or 1
    body = [_line(left, height - bottom, WIDTH - 10, height - bottom, "chart-axis")]
    for index, v in enumerate(values):
        count = counts.get(v, 0)
        bar = plot_height * count / largest
        x = left + index * slot + slot * 0.15
        body.append(
            _rect(x, height - bottom - bar, slot * 0.7, bar, "chart-bar", f"{_fmt(v)}: {count}")
        )
        body.append(_text(x + slot * 0.35, height - bottom + 16, _fmt(v), anchor="middle"))
        body.append(_text(x + slot * 0.35, height - bottom - bar - 4, str(count), anchor="middle"))
    return Chart(
        title=title,
        description=description,
        svg=_svg(title, description, height, body),
        headers=[_("Score"), _("How many")],
        rows=[[_fmt(v), counts.get(v, 0)] for v in values],
    )


def reviewer_calibration(rows) -> Chart:
    """Each reviewer's mean score and spread (one standard deviation each side), on 0-100."""
    title = _("Reviewer calibration")
    description = _(
        "For each of %(count)s reviewers, the mean of their scores on a 0 to 100 scale and a "
        "line one standard deviation to each side. Reviewers further left score more harshly.",
        count=len(rows),
    )
    row_height, top, left, right = 16, 24, 170, 20
    height = top + row_height * max(len(rows), 1) + 24
    scale = (WIDTH - left - right) / 100

    def x_of(value: float) -> float:
        return left + max(0.0, min(100.0, value)) * scale

    body = []
    for tick in range(0, 101, 25):
        body.append(_line(x_of(tick), top - 6, x_of(tick), height - 20, "chart-grid"))
        body.append(_text(x_of(tick), top - 10, str(tick), anchor="middle"))
    table = []
    for index, row in enumerate(rows):
        mean = 100 * float(row.mean)
        spread = 100 * standard_deviation(float(row.mean_sq), float(row.mean))
        y = top + index * row_height + row_height / 2
        body.append(_text(left - 8, y + 4, row.name[:24], anchor="end"))
        body.append(_line(x_of(mean - spread), y, x_of(mean + spread), y, "chart-whisker"))
        label = f"{row.name}: {format_score(mean)} ± {format_spread(spread)}"
        body.append(_circle(x_of(mean), y, 4, "chart-dot", label))
        table.append([row.name, row.reviews, format_score(mean), format_spread(spread)])
    return Chart(
        title=title,
        description=description,
        svg=_svg(title, description, height, body),
        headers=[_("Reviewer"), _("Reviews"), _("Mean (0–100)"), str(SPREAD_LABEL)],
        rows=table,
    )


def proposals_by_group(rows, shortlisted: dict[str, int], label) -> Chart:
    """Bars of proposals per continent (or region), the shortlisted part darker."""
    title = _("Proposals by region")
    description = _(
        "%(details)s.",
        details="; ".join(
            _(
                "%(group)s: %(count)s proposals, %(chosen)s shortlisted",
                group=label(row.group),
                count=row.proposals,
                chosen=shortlisted.get(row.group or "", 0),
            )
            for row in rows
        )
        or _("No proposals yet"),
    )
    row_height, top, left, right = 26, 10, 170, 50
    height = top + row_height * max(len(rows), 1) + 10
    largest = max((row.proposals for row in rows), default=0) or 1
    scale = (WIDTH - left - right) / largest
    body, table = [], []
    for index, row in enumerate(rows):
        y = top + index * row_height
        chosen = shortlisted.get(row.group or "", 0)
        body.append(_text(left - 8, y + 17, label(row.group), anchor="end"))
        body.append(_rect(left, y + 4, row.proposals * scale, 18, "chart-bar"))
        body.append(_rect(left, y + 4, chosen * scale, 18, "chart-bar-in"))
        body.append(_text(left + row.proposals * scale + 6, y + 17, str(row.proposals)))
        table.append([label(row.group), row.proposals, chosen])
    return Chart(
        title=title,
        description=description,
        svg=_svg(title, description, height, body),
        headers=[_("Region"), _("Proposals"), _("Shortlisted")],
        rows=table,
    )


def shortlist_against_cut(rows, min_score: float | None) -> Chart:
    """Every proposal's score by rank; chosen ones marked; the minimum and the cut as lines."""
    scored = [row for row in rows if row.score is not None]
    chosen = [row for row in scored if row.included]
    cut = min((row.score for row in chosen), default=None)
    title = _("The shortlist against the cut")
    description = _(
        "%(count)s scored proposals by rank; %(chosen)s chosen. Lowest chosen score: "
        "%(cut)s. Minimum score: %(minimum)s.",
        count=len(scored),
        chosen=len(chosen),
        cut=format_score(cut),
        minimum=format_score(min_score) if min_score is not None else NO_VALUE,
    )
    height, top, bottom, left, right = 260, 14, 30, 40, 14
    plot_height = height - top - bottom
    last_rank = max((row.rank for row in scored), default=1)

    def x_of(rank: int) -> float:
        return left + (WIDTH - left - right) * (rank - 1) / max(last_rank - 1, 1)

    def y_of(score: float) -> float:
        return top + plot_height * (1 - max(0.0, min(100.0, score)) / 100)

    body = [_line(left, height - bottom, WIDTH - right, height - bottom, "chart-axis")]
    for tick in range(0, 101, 25):
        body.append(_line(left, y_of(tick), WIDTH - right, y_of(tick), "chart-grid"))
        body.append(_text(left - 6, y_of(tick) + 4, str(tick), anchor="end"))
    if min_score is not None:
        body.append(_line(left, y_of(min_score), WIDTH - right, y_of(min_score), "chart-line-min"))
        body.append(_text(WIDTH - right, y_of(min_score) - 4, _("minimum"), anchor="end"))
    if cut is not None:
        body.append(_line(left, y_of(cut), WIDTH - right, y_of(cut), "chart-line-cut"))
        body.append(_text(left + 4, y_of(cut) - 4, _("cut")))
    for row in scored:
        css = "chart-dot-in" if row.included else "chart-dot"
        radius = 4 if row.included else 2
        body.append(
            _circle(
                x_of(row.rank),
                y_of(row.score),
                radius,
                css,
                f"{row.city}: {format_score(row.score)}",
            )
        )
    body.append(_text(WIDTH / 2, height - 8, _("rank"), anchor="middle"))
    return Chart(
        title=title,
        description=description,
        svg=_svg(title, description, height, body),
        headers=[_("Rank"), _("City"), str(TOTAL_LABEL), _("Chosen")],
        rows=[
            [row.rank, row.city, format_score(row.score), _("yes") if row.included else _("no")]
            for row in chosen
        ],
    )


def call_charts(call: Call, group_label) -> dict:
    """Every picture of a call, from a handful of GROUP BY queries."""
    distribution = queries.score_distribution(call.id)
    shortlist = queries.dossier_shortlist(call.id)
    rows = queries.shortlist_rows(shortlist.id) if shortlist else []
    parameters = shortlist.parameters if shortlist else {}
    group_by = parameters.get("group_by", "continent")
    shortlisted = Counter(getattr(row, group_by) or "" for row in rows if row.included)
    return {
        "distribution": [
            score_distribution(criterion, distribution.get(criterion.id, {}))
            for criterion in call_criteria(call.id)
        ],
        "calibration": reviewer_calibration(queries.reviewer_spread(call.id)),
        "groups": proposals_by_group(
            queries.proposals_by_group(call.id, group_by), shortlisted, group_label
        ),
        "cut": shortlist_against_cut(rows, parameters.get("min_score")) if shortlist else None,
        "shortlist": shortlist,
    }
