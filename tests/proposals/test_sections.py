"""The one definition of the form: completeness, formats and the readable copy agree."""

from __future__ import annotations

import pytest

from app.proposals import sections
from tests.factories import make_call, make_proposal
from tests.proposals.helpers import complete_proposal


def test_a_complete_proposal_has_no_problem_and_every_section_is_marked_complete():
    call = make_call()
    proposal = complete_proposal(call=call)
    assert sections.all_problems(proposal, call) == []
    assert all(sections.completeness(proposal, call).values())


def test_a_new_draft_is_complete_only_in_its_optional_sections():
    call = make_call()
    proposal = make_proposal(call=call, city="")
    proposal.answers = {}
    marks = sections.completeness(proposal, call)
    assert {key for key, done in marks.items() if done} == {"attachments"}


def test_the_narratives_follow_the_calls_criteria():
    call = make_call()
    call.criteria[0].max_length = 1234
    narratives = sections.fields_of(sections.get_section("narratives"), call)
    assert [spec.key for spec in narratives] == [c.key for c in call.criteria]
    assert narratives[0].max_length == 1234
    assert narratives[0].hint == call.criteria[0].guidance


def test_every_field_name_is_unique_across_the_form():
    call = make_call()
    names = [
        spec.name for section in sections.SECTIONS for spec in sections.fields_of(section, call)
    ]
    assert len(names) == len(set(names))


def test_columns_named_in_the_sections_exist_on_the_proposal():
    from app.proposals.models import Proposal

    for section in sections.SECTIONS:
        for spec in section.fields:
            if spec.column:
                assert spec.name in Proposal.__table__.columns


@pytest.mark.parametrize(
    ("name", "value", "fine"),
    [
        ("contact_email", "ana@lisboa.pt", True),
        ("contact_email", "ana at lisboa", False),
        ("contact_phone", "+351 (21) 000-0000", True),
        ("contact_phone", "+351 21 000 0000 ext. 5", False),
        ("population", 0, True),
        ("population", -1, False),
        ("country_code", "PT", True),
        ("country_code", "ZZ", False),
        ("language", "en", True),
        ("language", "xx", False),
        ("city", "x" * 200, True),
        ("city", "x" * 201, False),
        ("broadband", "planned", True),
        ("broadband", "perhaps", False),
    ],
)
def test_format_rules(name, value, fine):
    call = make_call()
    spec = next(
        spec
        for section in sections.SECTIONS
        for spec in sections.fields_of(section, call)
        if spec.name == name
    )
    assert (sections.format_error(spec, value, call) is None) is fine


def test_the_readable_copy_names_choices_and_countries_in_words():
    call = make_call()
    proposal = complete_proposal(call=call)
    readable = {part.key: dict(part.items) for part in sections.readable_answers(proposal, call)}
    assert readable["city"]["Country"] == "Portugal"
    assert readable["technical"]["Broadband connection"] == "Yes, in place"
    assert "Casa da Cultura" in readable["partners"]["Partner 1"]
