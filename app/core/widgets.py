"""Form widgets shared by the domains."""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import Select


class LongListSelect(Select):
    """A select of hundreds of plain options (time zones, countries, languages).

    WTForms builds each option's attributes through `html_params`, which is most of the
    time of the registration page and of the city's first section; an option that has
    only a value and a label is written out directly instead, the same HTML.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""  # html_params sorts: selected, value
        label = escape(choice.label or choice.value)
        value = escape(choice.value)
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # noqa: S704 escaped
