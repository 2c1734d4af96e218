"""The long-list select writes exactly the HTML WTForms' own select writes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from wtforms import Form
from wtforms.fields import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from app.core.widgets import LongListSelect

_VALUES = st.one_of(st.text(max_size=12), st.integers(), st.booleans())


def _rendered(widget, choices, default, **render_kw) -> str:
    class OneField(Form):
        field = SelectField(
            choices=[SelectChoice(value, label) for value, label in choices],
            default=default,
            widget=widget,
        )

    return str(OneField().field(**render_kw))


@given(st.lists(st.tuples(_VALUES, st.text(max_size=12)), max_size=6), st.data())
def test_options_are_the_same_html_as_wtforms_writes(choices, data):
    values = [value for value, _label in choices]
    default = data.draw(st.sampled_from(values)) if values else None
    assert _rendered(LongListSelect(), choices, default) == _rendered(Select(), choices, default)


def test_attributes_on_the_select_are_kept():
    choices = [("UTC", "UTC"), ("Europe/Lisbon", "Europe/Lisbon")]
    kept = _rendered(LongListSelect(), choices, "UTC", **{"data-detect-timezone": True})
    assert kept == _rendered(Select(), choices, "UTC", **{"data-detect-timezone": True})
    assert "data-detect-timezone" in kept


def test_grouped_options_are_the_same_html_as_wtforms_writes():
    choices = [
        SelectChoice("UTC", "UTC"),
        SelectChoice("Africa/Accra", "Accra, Ghana", optgroup="Africa"),
        SelectChoice("Europe/Lisbon", "Lisbon, Portugal", optgroup="Europe"),
        SelectChoice("Europe/Rome", "Rome, Italy", optgroup="Europe"),
    ]

    def rendered(widget) -> str:
        class OneField(Form):
            field = SelectField(choices=choices, default="Europe/Rome", widget=widget)

        return str(OneField().field())

    html = rendered(LongListSelect())
    assert html == rendered(Select())
    assert html.count("<optgroup") == 2
    assert '<optgroup label="Europe"><option value="Europe/Lisbon">' in html
