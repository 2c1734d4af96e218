"""The default criteria every new call starts with (DOMAIN.md), written in every language a
call may offer, so that a call in several languages starts with its criteria translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


# key -> locale -> field -> text: the defaults above in the call's other languages, in the
# words an organiser of each language would write (not word for word).
_FIELDS = ("name", "guidance", "rubric_low", "rubric_middle", "rubric_high")
DEFAULT_CRITERIA_TRANSLATIONS: dict[str, dict[str, tuple[str, str, str, str, str]]] = {
    "diversity": {
        "fr": (
            "Diversité",
            "Décrivez les cultures, les religions, les langues et les origines présentes dans "
            "votre ville, et la manière dont le café les réunirait.",
            "La diversité est mentionnée sans être décrite ; rien n'est prévu pour toucher les "
            "différentes communautés.",
            "Les communautés sont décrites ; la démarche pour aller vers elles est plausible "
            "mais reste générale.",
            "Un portrait riche et concret de la diversité de la ville, et un plan crédible pour "
            "y associer ses habitants.",
        ),
        "es": (
            "Diversidad",
            "Describa las culturas, religiones, lenguas y orígenes presentes en su ciudad y cómo "
            "el café los reuniría.",
            "Se menciona la diversidad sin describirla; no hay un plan para llegar a las "
            "distintas comunidades.",
            "Se describen las comunidades; el plan para llegar a ellas es plausible, pero general.",
            "Un retrato rico y concreto de la diversidad de la ciudad y un plan creíble para "
            "implicarla.",
        ),
        "pt": (
            "Diversidade",
            "Descreva as culturas, religiões, línguas e origens presentes na sua cidade e como o "
            "café as reuniria.",
            "A diversidade é mencionada, mas não descrita; não há plano para chegar às "
            "diferentes comunidades.",
            "As comunidades são descritas; o plano para as envolver é plausível, mas genérico.",
            "Um retrato rico e concreto da diversidade da cidade e um plano credível para a "
            "envolver.",
        ),
        "ar": (
            "التنوّع",
            "صِفوا الثقافات والأديان واللغات والخلفيات الموجودة في مدينتكم، وكيف سيجمع المقهى "
            "بينها.",
            "يُذكر التنوّع دون وصفه، ولا توجد خطة للوصول إلى المجتمعات المختلفة.",
            "المجتمعات موصوفة، وخطة الوصول إليها معقولة لكنها عامة.",
            "صورة غنية وملموسة عن تنوّع المدينة، وخطة مقنعة لإشراكه.",
        ),
    },
    "creativity": {
        "fr": (
            "Créativité",
            "En quoi le café serait-il plus qu'une salle de réunion ? Décrivez les formats et "
            "les idées qui donneraient envie de revenir.",
            "Des formats classiques uniquement ; on voit mal ce qui serait nouveau.",
            "Quelques formats originaux, pas encore ancrés dans les atouts de la ville.",
            "Des idées originales et bien ancrées, qui s'appuient sur la vie créative de la ville.",
        ),
        "es": (
            "Creatividad",
            "¿Cómo sería el café algo más que una sala de reuniones? Describa los formatos y las "
            "ideas que harían volver a la gente.",
            "Solo formatos convencionales; poca idea de lo que sería nuevo.",
            "Algunos formatos originales, aún no vinculados a los puntos fuertes de la ciudad.",
            "Ideas originales y bien fundadas, que se apoyan en la vida creativa de la ciudad.",
        ),
        "pt": (
            "Criatividade",
            "Como seria o café mais do que uma sala de reuniões? Descreva os formatos e as ideias "
            "que fariam as pessoas voltar.",
            "Apenas formatos convencionais; pouca noção do que seria novo.",
            "Alguns formatos originais, ainda não ligados aos pontos fortes da cidade.",
            "Ideias originais e bem fundamentadas, que partem da vida criativa da cidade.",
        ),
        "ar": (
            "الإبداع",
            "كيف سيكون المقهى أكثر من مجرد قاعة اجتماعات؟ صِفوا الأشكال والأفكار التي ستجعل "
            "الناس يعودون إليه.",
            "أشكال تقليدية فقط، ولا يتّضح ما الجديد فيها.",
            "بعض الأشكال المبتكرة، لكنها لم تُربط بعدُ بنقاط قوة المدينة.",
            "أفكار مبتكرة ومتينة تستند إلى الحياة الإبداعية في المدينة.",
        ),
    },
    "culture_of_peace": {
        "fr": (
            "Culture de la paix",
            "Expliquez comment le café contribuerait à la compréhension mutuelle et à une "
            "culture de la paix, dans la ville et entre les villes.",
            "La paix est citée comme une valeur, sans contribution concrète.",
            "Des intentions claires et quelques activités concrètes.",
            "Une contribution concrète et convaincante, avec des partenaires rompus au dialogue.",
        ),
        "es": (
            "Cultura de paz",
            "Explique cómo contribuiría el café al entendimiento mutuo y a una cultura de paz, "
            "en la ciudad y entre ciudades.",
            "La paz se nombra como un valor, sin ninguna contribución concreta.",
            "Intenciones claras con algunas actividades concretas.",
            "Una contribución concreta y convincente, con socios con experiencia en el diálogo.",
        ),
        "pt": (
            "Cultura de paz",
            "Explique como o café contribuiria para a compreensão mútua e para uma cultura de "
            "paz, na cidade e entre cidades.",
            "A paz é referida como um valor, sem qualquer contributo concreto.",
            "Intenções claras, com algumas atividades concretas.",
            "Um contributo concreto e convincente, com parceiros experientes no diálogo.",
        ),
        "ar": (
            "ثقافة السلام",
            "اشرحوا كيف سيسهم المقهى في التفاهم المتبادل وفي ثقافة السلام، داخل المدينة وبين "
            "المدن.",
            "يُذكر السلام كقيمة دون أي إسهام ملموس.",
            "نوايا واضحة مع بعض الأنشطة الملموسة.",
            "إسهام ملموس ومقنع، مع شركاء من ذوي الخبرة في الحوار.",
        ),
    },
    "intercultural_profile": {
        "fr": (
            "Profil interculturel",
            "Décrivez les politiques, l'expérience et les institutions interculturelles de "
            "votre ville.",
            "Peu d'éléments montrent un travail interculturel.",
            "Quelques politiques ou projets, pas encore reliés entre eux.",
            "Un profil interculturel reconnu, avec des réalisations à l'appui.",
        ),
        "es": (
            "Perfil intercultural",
            "Describa las políticas, la experiencia y las instituciones interculturales de su "
            "ciudad.",
            "Pocas muestras de trabajo intercultural.",
            "Algunas políticas o proyectos, aún sin conexión entre sí.",
            "Un perfil intercultural reconocido, con una trayectoria demostrada.",
        ),
        "pt": (
            "Perfil intercultural",
            "Descreva as políticas, a experiência e as instituições interculturais da sua cidade.",
            "Poucas provas de trabalho intercultural.",
            "Algumas políticas ou projetos, ainda sem ligação entre si.",
            "Um perfil intercultural reconhecido, com provas dadas.",
        ),
        "ar": (
            "الطابع المتعدد الثقافات",
            "صِفوا سياسات مدينتكم وخبرتها ومؤسساتها في مجال التواصل بين الثقافات.",
            "أدلة قليلة على عمل بين الثقافات.",
            "بعض السياسات أو المشاريع، لكنها غير مترابطة بعد.",
            "طابع متعدد الثقافات معترف به وسجلّ حافل من الإنجازات.",
        ),
    },
    "innovation": {
        "fr": (
            "Innovation",
            "Comment utiliseriez-vous la liaison par visioconférence et les nouveaux médias pour "
            "toucher des personnes qui ne se rencontreraient pas autrement ?",
            "La technologie n'est vue que comme un équipement.",
            "Une certaine réflexion sur la manière de toucher de nouveaux publics.",
            "Un usage inventif de la liaison, attentif à l'accès et à l'inclusion.",
        ),
        "es": (
            "Innovación",
            "¿Cómo usaría la conexión por videoconferencia y los nuevos medios para llegar a "
            "personas que de otro modo no se encontrarían?",
            "La tecnología se trata solo como equipamiento.",
            "Alguna reflexión sobre cómo llegar a nuevos públicos.",
            "Un uso ingenioso de la conexión, atento a la accesibilidad y la inclusión.",
        ),
        "pt": (
            "Inovação",
            "Como usaria a ligação por videoconferência e os novos media para chegar a pessoas "
            "que de outro modo não se encontrariam?",
            "A tecnologia é vista apenas como equipamento.",
            "Alguma reflexão sobre como chegar a novos públicos.",
            "Um uso inventivo da ligação, atento à acessibilidade e à inclusão.",
        ),
        "ar": (
            "الابتكار",
            "كيف ستستخدمون الربط عبر الاتصال المرئي ووسائل الإعلام الجديدة للوصول إلى أشخاص لن "
            "يلتقوا بطريقة أخرى؟",
            "يُنظر إلى التكنولوجيا على أنها مجرد معدّات.",
            "بعض التفكير في الوصول إلى جماهير جديدة.",
            "استخدام مبتكر للربط، مع عناية بإتاحة الوصول والإدماج.",
        ),
    },
    "collaboration": {
        "fr": (
            "Collaboration",
            "Quels partenaires (municipalité, ONG, universités, institutions culturelles) "
            "feraient vivre le café avec vous, et qu'apporterait chacun ?",
            "Les partenaires sont cités sans rôle défini.",
            "Des partenaires avec des rôles, mais leur engagement n'est pas encore démontré.",
            "Des partenaires engagés, aux rôles clairs, avec des lettres de soutien.",
        ),
        "es": (
            "Colaboración",
            "¿Qué socios (gobierno municipal, ONG, universidades, instituciones culturales) "
            "gestionarían el café con ustedes, y qué aportaría cada uno?",
            "Se nombra a los socios sin indicar su papel.",
            "Socios con un papel definido, pero sin un compromiso demostrado todavía.",
            "Socios comprometidos, con papeles claros y cartas de apoyo.",
        ),
        "pt": (
            "Colaboração",
            "Que parceiros (governo municipal, ONG, universidades, instituições culturais) "
            "gerirão o café convosco, e o que traria cada um?",
            "Os parceiros são referidos sem funções definidas.",
            "Parceiros com funções, mas sem compromisso ainda demonstrado.",
            "Parceiros empenhados, com funções claras e cartas de apoio.",
        ),
        "ar": (
            "التعاون",
            "ما الشركاء (حكومة المدينة، المنظمات غير الحكومية، الجامعات، المؤسسات الثقافية) "
            "الذين سيديرون المقهى معكم، وماذا سيقدّم كل منهم؟",
            "يُذكر الشركاء دون تحديد أدوارهم.",
            "شركاء لهم أدوار، لكن التزامهم لم يثبت بعد.",
            "شركاء ملتزمون بأدوار واضحة ورسائل دعم.",
        ),
    },
    "vision": {
        "fr": (
            "Vision",
            "Où voyez-vous le café dans cinq ans, et comment serait-il pérennisé ?",
            "Aucune perspective au-delà de l'ouverture.",
            "Un plan plausible, avec des questions encore ouvertes sur le financement.",
            "Une vision claire, financée et à long terme, liée à la coopération entre villes.",
        ),
        "es": (
            "Visión",
            "¿Dónde ve el café dentro de cinco años, y cómo se sostendría?",
            "Ninguna perspectiva más allá de la apertura.",
            "Un plan plausible, con preguntas abiertas sobre la financiación.",
            "Una visión clara, financiada y a largo plazo, ligada a la cooperación entre ciudades.",
        ),
        "pt": (
            "Visão",
            "Onde vê o café daqui a cinco anos, e como seria mantido?",
            "Nenhuma perspetiva para além da abertura.",
            "Um plano plausível, com questões em aberto sobre o financiamento.",
            "Uma visão clara, financiada e de longo prazo, ligada à cooperação entre cidades.",
        ),
        "ar": (
            "الرؤية",
            "أين ترون المقهى بعد خمس سنوات، وكيف ستضمنون استمراره؟",
            "لا رؤية لما بعد الافتتاح.",
            "خطة معقولة مع أسئلة مفتوحة حول التمويل.",
            "رؤية واضحة وممولة وطويلة الأمد، مرتبطة بالتعاون بين المدن.",
        ),
    },
}


def default_texts(
    default: DefaultCriterion, main: str
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """A default criterion's texts for a call whose main language is `main`: its columns'
    values, and its translations (locale -> field -> text) in every other language."""
    every = {"en": {field: getattr(default, field) for field in _FIELDS}} | {
        locale: dict(zip(_FIELDS, texts, strict=True))
        for locale, texts in DEFAULT_CRITERIA_TRANSLATIONS.get(default.key, {}).items()
    }
    columns = every.get(main, every["en"])
    return columns, {locale: texts for locale, texts in every.items() if texts is not columns}
