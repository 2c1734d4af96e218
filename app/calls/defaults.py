"""The default criteria every new call starts with (DOMAIN.md), and the demo call's text."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class DefaultCriterion:
    key: str
    name: str
    guidance: str
    rubric_low: str
    rubric_middle: str
    rubric_high: str
    weight: float = 1.0


DEFAULT_CRITERIA: tuple[DefaultCriterion, ...] = (
    DefaultCriterion(
        "diversity",
        "Diversity",
        "Describe the cultures, faiths, languages and backgrounds present in your city and "
        "how the café would bring them together.",
        "Diversity is mentioned but not described; no plan to reach different communities.",
        "Communities are described; outreach is plausible but general.",
        "A rich, concrete picture of the city's diversity and a credible plan to involve it.",
        1.5,
    ),
    DefaultCriterion(
        "creativity",
        "Creativity",
        "How would the café be more than a meeting room? Describe the formats and ideas that "
        "would make people come back.",
        "Conventional formats only; little sense of what would be new.",
        "Some original formats, not yet tied to local strengths.",
        "Original, well-grounded ideas that draw on the city's creative life.",
        1.0,
    ),
    DefaultCriterion(
        "culture_of_peace",
        "Culture of peace",
        "Explain how the café would contribute to mutual understanding and a culture of peace, "
        "locally and between cities.",
        "Peace is named as a value without any concrete contribution.",
        "Clear intentions with some concrete activities.",
        "A convincing, concrete contribution, with partners experienced in dialogue.",
        1.5,
    ),
    DefaultCriterion(
        "intercultural_profile",
        "Intercultural profile",
        "Describe your city's intercultural policies, experience and institutions.",
        "Little evidence of intercultural work.",
        "Some policies or projects, not yet connected.",
        "A recognised intercultural profile with a track record.",
        1.0,
    ),
    DefaultCriterion(
        "innovation",
        "Innovation",
        "How would you use the videoconference link and new media to reach people who would "
        "not otherwise meet?",
        "Technology is treated as equipment only.",
        "Some thought on reaching new audiences.",
        "An inventive use of the link, with attention to access and inclusion.",
        1.0,
    ),
    DefaultCriterion(
        "collaboration",
        "Collaboration",
        "Which partners (city government, NGOs, universities, cultural bodies) would run the "
        "café with you, and what would each bring?",
        "Partners are named without roles.",
        "Partners with roles, but commitment is not yet shown.",
        "Committed partners with clear roles and letters of support.",
        1.0,
    ),
    DefaultCriterion(
        "vision",
        "Vision",
        "Where do you see the café in five years, and how would it be sustained?",
        "No view beyond the opening.",
        "A plausible plan with open questions on funding.",
        "A clear, funded, long-term vision linked to city-to-city cooperation.",
        1.0,
    ),
)

# Marked for translation here so that the extractor finds the default names.
_TRANSLATABLE_NAMES = [_l(criterion.name) for criterion in DEFAULT_CRITERIA]
