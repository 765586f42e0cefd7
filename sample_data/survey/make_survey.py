"""Generate the built-in "Diaspora mapping survey" XLSForm (diaspora_mapping.xlsx).

Modelled on IOM's Guyana Diaspora Project (GUYD) online mapping survey and diaspora
mapping practice: consent per purpose, contact, residence and origin, education
(ISCED 2011 levels, ISCED-F 2013 fields), occupation and skills, languages with CEFR
levels, willingness to return or help remotely, other contributions, priorities for
the home country and outreach channel.  Run from the project root:

    .venv/bin/python sample_data/survey/make_survey.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

OUT = Path(__file__).with_name("diaspora_mapping.xlsx")
LANGS = ("English (en)", "French (fr)", "Spanish (es)", "Portuguese (pt)", "Arabic (ar)")

# A text in the five languages, in LANGS order.
T = tuple[str, str, str, str, str]

CONSENT_RELEVANT = "${consent_mapping} = 'yes'"


def q(
    type_: str,
    name: str,
    label: T | None = None,
    *,
    hint: T | None = None,
    required: bool = False,
    relevant: str = "",
    constraint: str = "",
    constraint_message: T | None = None,
    appearance: str = "",
    diaspora_type: str = "",
    bind: str = "",
    calculation: str = "",
    repeat_count: str = "",
) -> dict[str, object]:
    """One survey row."""
    return {
        "type": type_,
        "name": name,
        "label": label,
        "hint": hint,
        "required": "yes" if required else "",
        "relevant": relevant,
        "constraint": constraint,
        "constraint_message": constraint_message,
        "appearance": appearance,
        "diaspora_type": diaspora_type,
        "bind::diaspora": bind,
        "calculation": calculation,
        "repeat_count": repeat_count,
    }


def end(kind: str) -> dict[str, object]:
    """Close a group or repeat."""
    return {"type": f"end {kind}"}


YES_NO_CONSENT: list[tuple[str, str, T, T]] = [
    (
        "consent_mapping",
        "consent:mapping",
        (
            "Do you agree that your answers are recorded to map the diaspora's skills and locations?",
            "Acceptez-vous que vos réponses soient enregistrées pour cartographier les compétences et la localisation de la diaspora ?",
            "¿Acepta que sus respuestas se registren para mapear las competencias y la ubicación de la diáspora?",
            "Aceita que as suas respostas sejam registadas para mapear as competências e a localização da diáspora?",
            "هل توافق على تسجيل إجاباتك لرسم خريطة مهارات أفراد الجالية وأماكن إقامتهم؟",
        ),
        (
            "Required to take part in the survey.",
            "Nécessaire pour participer à l’enquête.",
            "Necesario para participar en la encuesta.",
            "Necessário para participar no inquérito.",
            "ضروري للمشاركة في الاستبيان.",
        ),
    ),
    (
        "consent_matching",
        "consent:matching",
        (
            "May we match your profile with requests from institutions in your country of origin?",
            "Pouvons-nous rapprocher votre profil des demandes d’institutions de votre pays d’origine ?",
            "¿Podemos comparar su perfil con las solicitudes de instituciones de su país de origen?",
            "Podemos associar o seu perfil a pedidos de instituições do seu país de origem?",
            "هل يمكننا مطابقة ملفك الشخصي مع طلبات المؤسسات في بلدك الأصلي؟",
        ),
        (
            "Your identity is not shown to institutions at this stage.",
            "Votre identité n’est pas communiquée aux institutions à ce stade.",
            "Su identidad no se muestra a las instituciones en esta etapa.",
            "A sua identidade não é mostrada às instituições nesta fase.",
            "لا تُعرض هويتك على المؤسسات في هذه المرحلة.",
        ),
    ),
    (
        "consent_contact",
        "consent:contact",
        (
            "May programme staff contact you about opportunities?",
            "Le personnel du programme peut-il vous contacter au sujet d’opportunités ?",
            "¿Puede el personal del programa contactarle sobre oportunidades?",
            "A equipa do programa pode contactá-lo(a) sobre oportunidades?",
            "هل يمكن لموظفي البرنامج التواصل معك بشأن الفرص المتاحة؟",
        ),
        (
            "By email or telephone, using the details you give below.",
            "Par courriel ou téléphone, avec les coordonnées indiquées ci-dessous.",
            "Por correo electrónico o teléfono, con los datos que indique a continuación.",
            "Por correio eletrónico ou telefone, com os contactos que indicar abaixo.",
            "عبر البريد الإلكتروني أو الهاتف، باستخدام البيانات التي تقدمها أدناه.",
        ),
    ),
    (
        "consent_share",
        "consent:share_with_institution",
        (
            "May we share your profile with an institution once a placement is agreed?",
            "Pouvons-nous transmettre votre profil à une institution une fois une mission convenue ?",
            "¿Podemos compartir su perfil con una institución una vez acordada una asignación?",
            "Podemos partilhar o seu perfil com uma instituição depois de acordada uma colocação?",
            "هل يمكننا مشاركة ملفك الشخصي مع مؤسسة بعد الاتفاق على مهمة؟",
        ),
        (
            "Only the institution hosting the assignment sees your details.",
            "Seule l’institution d’accueil de la mission voit vos coordonnées.",
            "Solo la institución que acoge la asignación ve sus datos.",
            "Apenas a instituição de acolhimento vê os seus dados.",
            "لا يطّلع على بياناتك إلا المؤسسة المستضيفة للمهمة.",
        ),
    ),
    (
        "consent_research",
        "consent:research",
        (
            "May your anonymised answers be used for research and reports?",
            "Vos réponses anonymisées peuvent-elles servir à des études et des rapports ?",
            "¿Pueden usarse sus respuestas anonimizadas para investigaciones e informes?",
            "As suas respostas anonimizadas podem ser usadas em estudos e relatórios?",
            "هل يمكن استخدام إجاباتك بعد إخفاء الهوية لأغراض البحث وإعداد التقارير؟",
        ),
        (
            "Figures are published only in aggregate.",
            "Les chiffres ne sont publiés que sous forme agrégée.",
            "Las cifras solo se publican de forma agregada.",
            "Os números são publicados apenas de forma agregada.",
            "لا تُنشر الأرقام إلا بصورة إجمالية.",
        ),
    ),
]


def consent_page() -> list[dict[str, object]]:
    """Page 1: notice and consent per purpose."""
    rows = [
        q(
            "begin group",
            "consent",
            ("Consent", "Consentement", "Consentimiento", "Consentimento", "الموافقة"),
            appearance="field-list",
        ),
        q(
            "note",
            "intro",
            (
                "This survey maps the skills of the diaspora so they can support development at home through temporary, permanent or virtual assignments. It takes about 15 minutes.",
                "Cette enquête recense les compétences de la diaspora afin qu’elle puisse contribuer au développement du pays par des missions temporaires, permanentes ou virtuelles. Elle dure environ 15 minutes.",
                "Esta encuesta recoge las competencias de la diáspora para que pueda apoyar el desarrollo del país mediante asignaciones temporales, permanentes o virtuales. Dura unos 15 minutos.",
                "Este inquérito mapeia as competências da diáspora para que possa apoiar o desenvolvimento do país através de missões temporárias, permanentes ou virtuais. Demora cerca de 15 minutos.",
                "يرسم هذا الاستبيان خريطة مهارات أفراد الجالية ليتمكنوا من دعم التنمية في بلدهم الأصلي من خلال مهام مؤقتة أو دائمة أو افتراضية. يستغرق نحو 15 دقيقة.",
            ),
        ),
    ]
    for index, (name, bind, label, hint) in enumerate(YES_NO_CONSENT):
        rows.append(q("select_one yes_no", name, label, hint=hint, required=index == 0, bind=bind))
    rows.append(end("group"))
    return rows


def contact_page() -> list[dict[str, object]]:
    """Page 2: identity and contact details."""
    return [
        q(
            "begin group",
            "contact",
            ("Contact details", "Coordonnées", "Datos de contacto", "Contactos", "بيانات الاتصال"),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "text",
            "first_name",
            ("First name", "Prénom", "Nombre", "Nome próprio", "الاسم الأول"),
            required=True,
            bind="first_name",
        ),
        q(
            "text",
            "last_name",
            ("Last name", "Nom de famille", "Apellido", "Apelido", "اسم العائلة"),
            required=True,
            bind="last_name",
        ),
        q(
            "text",
            "email",
            (
                "Email address",
                "Adresse électronique",
                "Correo electrónico",
                "Endereço de correio eletrónico",
                "البريد الإلكتروني",
            ),
            required=True,
            bind="email",
            constraint="regex(., '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')",
            constraint_message=(
                "Enter a valid email address, e.g. name@example.org.",
                "Saisissez une adresse électronique valide, p. ex. nom@exemple.org.",
                "Introduzca un correo electrónico válido, p. ej. nombre@ejemplo.org.",
                "Introduza um endereço de correio eletrónico válido, p. ex. nome@exemplo.org.",
                "أدخل بريدًا إلكترونيًا صالحًا، مثل name@example.org.",
            ),
        ),
        q(
            "text",
            "phone",
            (
                "Telephone (with country code)",
                "Téléphone (avec indicatif du pays)",
                "Teléfono (con prefijo del país)",
                "Telefone (com indicativo do país)",
                "الهاتف (مع رمز البلد)",
            ),
            bind="phone",
            appearance="numbers",
            constraint="regex(., '^\\+?[0-9 ()-]{6,20}$')",
            constraint_message=(
                "Use digits, spaces and an optional leading +.",
                "Utilisez des chiffres, des espaces et éventuellement un + initial.",
                "Use dígitos, espacios y opcionalmente un + inicial.",
                "Use algarismos, espaços e opcionalmente um + inicial.",
                "استخدم الأرقام والمسافات مع علامة + اختيارية في البداية.",
            ),
        ),
        end("group"),
    ]


def residence_page() -> list[dict[str, object]]:
    """Page 3: where the respondent lives and comes from."""
    return [
        q(
            "begin group",
            "about",
            ("About you", "À propos de vous", "Sobre usted", "Sobre si", "معلومات عنك"),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "text",
            "residence_country",
            (
                "Country of residence",
                "Pays de résidence",
                "País de residencia",
                "País de residência",
                "بلد الإقامة",
            ),
            required=True,
            diaspora_type="country",
            bind="residence_country",
        ),
        q(
            "text",
            "residence_city",
            (
                "City of residence",
                "Ville de résidence",
                "Ciudad de residencia",
                "Cidade de residência",
                "مدينة الإقامة",
            ),
            bind="residence_city",
        ),
        q(
            "text",
            "origin_country",
            (
                "Country of origin",
                "Pays d’origine",
                "País de origen",
                "País de origem",
                "البلد الأصلي",
            ),
            required=True,
            diaspora_type="country",
            bind="origin_country",
        ),
        q(
            "text",
            "nationality",
            ("Nationality", "Nationalité", "Nacionalidad", "Nacionalidade", "الجنسية"),
            hint=(
                "Choose the nationality you hold; if several, the one of your country of origin.",
                "Choisissez votre nationalité ; si vous en avez plusieurs, celle de votre pays d’origine.",
                "Elija su nacionalidad; si tiene varias, la de su país de origen.",
                "Escolha a sua nacionalidade; se tiver várias, a do seu país de origem.",
                "اختر جنسيتك؛ وإن كانت لديك أكثر من جنسية فاختر جنسية بلدك الأصلي.",
            ),
            diaspora_type="country",
            bind="nationality",
        ),
        q(
            "select_one gender",
            "gender",
            ("Gender", "Genre", "Género", "Género", "الجنس"),
            bind="gender",
        ),
        q(
            "integer",
            "birth_year",
            (
                "Year of birth",
                "Année de naissance",
                "Año de nacimiento",
                "Ano de nascimento",
                "سنة الميلاد",
            ),
            required=True,
            bind="birth_year",
            constraint=". >= 1920 and . <= int(format-date(today(), '%Y')) - 16",
            constraint_message=(
                "Enter a year between 1920 and 16 years ago.",
                "Saisissez une année comprise entre 1920 et il y a 16 ans.",
                "Introduzca un año entre 1920 y hace 16 años.",
                "Introduza um ano entre 1920 e há 16 anos.",
                "أدخل سنة بين 1920 وما قبل 16 عامًا.",
            ),
        ),
        end("group"),
    ]


def education_page() -> list[dict[str, object]]:
    """Page 4: education."""
    return [
        q(
            "begin group",
            "education",
            ("Education", "Formation", "Educación", "Educação", "التعليم"),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "select_one isced",
            "education_level",
            (
                "Highest level of education completed",
                "Plus haut niveau d’études atteint",
                "Nivel de estudios más alto completado",
                "Nível de escolaridade mais elevado concluído",
                "أعلى مستوى تعليمي أتممته",
            ),
            required=True,
            bind="education_level",
        ),
        q(
            "select_one field_of_study",
            "education_field",
            (
                "Main field of study",
                "Principal domaine d’études",
                "Campo principal de estudio",
                "Principal área de estudo",
                "مجال الدراسة الرئيسي",
            ),
            relevant="${education_level} >= 3",
            bind="education_field",
        ),
        end("group"),
    ]


def work_page() -> list[dict[str, object]]:
    """Page 5: occupation, sector, experience, skills and associations."""
    return [
        q(
            "begin group",
            "work",
            (
                "Work and skills",
                "Travail et compétences",
                "Trabajo y competencias",
                "Trabalho e competências",
                "العمل والمهارات",
            ),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "text",
            "occupation",
            (
                "Current occupation",
                "Profession actuelle",
                "Ocupación actual",
                "Profissão atual",
                "المهنة الحالية",
            ),
            hint=(
                "Start typing and pick the closest job title.",
                "Commencez à taper et choisissez l’intitulé le plus proche.",
                "Empiece a escribir y elija el puesto más parecido.",
                "Comece a escrever e escolha a designação mais próxima.",
                "ابدأ الكتابة واختر أقرب مسمى وظيفي.",
            ),
            required=True,
            diaspora_type="occupation",
            bind="occupation_title",
        ),
        q(
            "select_one sector",
            "sector",
            (
                "Sector you work in",
                "Secteur d’activité",
                "Sector en el que trabaja",
                "Setor em que trabalha",
                "القطاع الذي تعمل فيه",
            ),
            required=True,
            bind="sector",
        ),
        q(
            "integer",
            "years_experience",
            (
                "Years of professional experience",
                "Années d’expérience professionnelle",
                "Años de experiencia profesional",
                "Anos de experiência profissional",
                "سنوات الخبرة المهنية",
            ),
            required=True,
            bind="years_experience",
            constraint=". >= 0 and (${birth_year} = '' or . <= int(format-date(today(), '%Y')) - ${birth_year} - 14)",
            constraint_message=(
                "Years of experience cannot exceed your age minus 14.",
                "Les années d’expérience ne peuvent pas dépasser votre âge moins 14.",
                "Los años de experiencia no pueden superar su edad menos 14.",
                "Os anos de experiência não podem exceder a sua idade menos 14.",
                "لا يمكن أن تتجاوز سنوات الخبرة عمرك ناقص 14.",
            ),
        ),
        q(
            "text",
            "skills",
            (
                "Your main skills",
                "Vos principales compétences",
                "Sus principales competencias",
                "As suas principais competências",
                "مهاراتك الرئيسية",
            ),
            hint=(
                "One skill per line, e.g. “surgical nursing”, “GIS mapping”.",
                "Une compétence par ligne, p. ex. « soins infirmiers chirurgicaux », « cartographie SIG ».",
                "Una competencia por línea, p. ej. «enfermería quirúrgica», «cartografía SIG».",
                "Uma competência por linha, p. ex. “enfermagem cirúrgica”, “cartografia SIG”.",
                "مهارة واحدة في كل سطر، مثل «التمريض الجراحي» أو «رسم الخرائط بنظم المعلومات الجغرافية».",
            ),
            required=True,
            diaspora_type="skill",
            bind="skills",
        ),
        q(
            "text",
            "professional_associations",
            (
                "Professional or diaspora associations you belong to",
                "Associations professionnelles ou de la diaspora dont vous êtes membre",
                "Asociaciones profesionales o de la diáspora a las que pertenece",
                "Associações profissionais ou da diáspora de que é membro",
                "الجمعيات المهنية أو جمعيات الجالية التي تنتمي إليها",
            ),
            hint=(
                "One per line.",
                "Une par ligne.",
                "Una por línea.",
                "Uma por linha.",
                "واحدة في كل سطر.",
            ),
            appearance="multiline",
            bind="professional_associations",
        ),
        end("group"),
    ]


def languages_page() -> list[dict[str, object]]:
    """Page 6: languages spoken, a repeat with CEFR levels."""
    return [
        q(
            "begin repeat",
            "languages",
            (
                "Languages you speak",
                "Langues parlées",
                "Idiomas que habla",
                "Línguas que fala",
                "اللغات التي تتحدثها",
            ),
            relevant=CONSENT_RELEVANT,
        ),
        q(
            "text",
            "language_code",
            ("Language", "Langue", "Idioma", "Língua", "اللغة"),
            required=True,
            diaspora_type="language",
            bind="languages.code",
        ),
        q(
            "select_one cefr",
            "language_level",
            ("Level", "Niveau", "Nivel", "Nível", "المستوى"),
            required=True,
            hint=(
                "Common European Framework levels; choose “native” for a mother tongue.",
                "Niveaux du Cadre européen commun ; choisissez « langue maternelle » le cas échéant.",
                "Niveles del Marco Común Europeo; elija «nativo» para la lengua materna.",
                "Níveis do Quadro Europeu Comum; escolha “nativo” para a língua materna.",
                "مستويات الإطار الأوروبي المرجعي المشترك؛ اختر «لغة أم» للغتك الأم.",
            ),
            bind="languages.level",
        ),
        end("repeat"),
    ]


WILLING = "${willing} = 'yes'"


def contribution_page() -> list[dict[str, object]]:
    """Page 7: willingness to contribute and other contributions."""
    return [
        q(
            "begin group",
            "contribution",
            (
                "Contributing at home",
                "Contribuer au pays",
                "Contribuir al país",
                "Contribuir para o país",
                "المساهمة في الوطن",
            ),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "select_one yes_no",
            "willing",
            (
                "Would you be willing to share your skills with institutions in your country of origin?",
                "Seriez-vous prêt(e) à mettre vos compétences au service d’institutions de votre pays d’origine ?",
                "¿Estaría dispuesto(a) a compartir sus competencias con instituciones de su país de origen?",
                "Estaria disposto(a) a partilhar as suas competências com instituições do seu país de origem?",
                "هل أنت مستعد لمشاركة مهاراتك مع مؤسسات في بلدك الأصلي؟",
            ),
            required=True,
        ),
        q(
            "select_multiple mode",
            "modes",
            (
                "How could you contribute?",
                "Sous quelle forme pourriez-vous contribuer ?",
                "¿Cómo podría contribuir?",
                "Como poderia contribuir?",
                "كيف يمكنك المساهمة؟",
            ),
            required=True,
            relevant=WILLING,
            bind="modes",
        ),
        q(
            "select_one duration",
            "preferred_duration",
            (
                "Preferred length of an assignment",
                "Durée de mission souhaitée",
                "Duración preferida de una asignación",
                "Duração preferida de uma missão",
                "المدة المفضلة للمهمة",
            ),
            relevant=WILLING
            + " and (selected(${modes}, 'temporary') or selected(${modes}, 'virtual'))",
            bind="preferred_duration",
        ),
        q(
            "date",
            "available_from",
            (
                "Available from",
                "Disponible à partir du",
                "Disponible desde",
                "Disponível a partir de",
                "متاح اعتبارًا من",
            ),
            relevant=WILLING,
            bind="available_from",
        ),
        q(
            "date",
            "available_to",
            (
                "Available until",
                "Disponible jusqu’au",
                "Disponible hasta",
                "Disponível até",
                "متاح حتى",
            ),
            relevant=WILLING,
            bind="available_to",
            constraint="${available_from} = '' or . >= ${available_from}",
            constraint_message=(
                "The end of your availability must be on or after its start.",
                "La fin de votre disponibilité doit être postérieure ou égale à son début.",
                "El fin de su disponibilidad debe ser igual o posterior a su inicio.",
                "O fim da sua disponibilidade deve ser igual ou posterior ao início.",
                "يجب أن يكون تاريخ انتهاء توفرك في تاريخ البدء أو بعده.",
            ),
        ),
        q(
            "select_multiple contribution",
            "contributions",
            (
                "Other ways you would contribute",
                "Autres formes de contribution envisagées",
                "Otras formas en que contribuiría",
                "Outras formas de contribuir",
                "طرق أخرى للمساهمة",
            ),
            bind="contributions",
        ),
        q(
            "select_multiple sector",
            "investment_sectors",
            (
                "Sectors you would invest in",
                "Secteurs dans lesquels vous investiriez",
                "Sectores en los que invertiría",
                "Setores em que investiria",
                "القطاعات التي قد تستثمر فيها",
            ),
            relevant="selected(${contributions}, 'investment')",
        ),
        q(
            "select_one investment_size",
            "investment_size",
            (
                "Indicative amount you might invest (USD)",
                "Montant indicatif que vous pourriez investir (USD)",
                "Monto indicativo que podría invertir (USD)",
                "Montante indicativo que poderia investir (USD)",
                "المبلغ التقريبي الذي قد تستثمره (بالدولار الأمريكي)",
            ),
            relevant="selected(${contributions}, 'investment')",
        ),
        end("group"),
    ]


def expectations_page() -> list[dict[str, object]]:
    """Page 8: priorities, expectations and outreach channel."""
    return [
        q(
            "begin group",
            "expectations",
            (
                "Priorities and expectations",
                "Priorités et attentes",
                "Prioridades y expectativas",
                "Prioridades e expectativas",
                "الأولويات والتوقعات",
            ),
            relevant=CONSENT_RELEVANT,
            appearance="field-list",
        ),
        q(
            "select_multiple priority",
            "priorities",
            (
                "Which areas matter most for your country’s development?",
                "Quels domaines comptent le plus pour le développement de votre pays ?",
                "¿Qué áreas son más importantes para el desarrollo de su país?",
                "Que áreas são mais importantes para o desenvolvimento do seu país?",
                "ما المجالات الأهم لتنمية بلدك؟",
            ),
            bind="priorities",
            constraint="count-selected(.) <= 3",
            constraint_message=(
                "Choose at most three.",
                "Choisissez-en trois au maximum.",
                "Elija tres como máximo.",
                "Escolha no máximo três.",
                "اختر ثلاثة على الأكثر.",
            ),
        ),
        q(
            "text",
            "expectations_text",
            (
                "What would you expect from a programme like this?",
                "Qu’attendriez-vous d’un tel programme ?",
                "¿Qué esperaría de un programa como este?",
                "O que esperaria de um programa como este?",
                "ما الذي تتوقعه من برنامج كهذا؟",
            ),
            appearance="multiline",
        ),
        q(
            "select_one channel or_other",
            "heard_about",
            (
                "How did you hear about this survey?",
                "Comment avez-vous connu cette enquête ?",
                "¿Cómo se enteró de esta encuesta?",
                "Como soube deste inquérito?",
                "كيف عرفت بهذا الاستبيان؟",
            ),
            bind="heard_about",
        ),
        q(
            "calculate",
            "profile_complete",
            calculation="if(${consent_mapping} = 'yes' and ${email} != '' and count-selected(${skills}) > 0, 'yes', 'no')",
        ),
        end("group"),
    ]


CHOICES: dict[str, list[tuple[str, T]]] = {
    "yes_no": [
        ("yes", ("Yes", "Oui", "Sí", "Sim", "نعم")),
        ("no", ("No", "Non", "No", "Não", "لا")),
    ],
    "gender": [
        ("female", ("Female", "Femme", "Mujer", "Mulher", "أنثى")),
        ("male", ("Male", "Homme", "Hombre", "Homem", "ذكر")),
        ("other", ("Another gender", "Autre genre", "Otro género", "Outro género", "جنس آخر")),
        (
            "prefer_not",
            (
                "Prefer not to say",
                "Je préfère ne pas répondre",
                "Prefiero no decirlo",
                "Prefiro não dizer",
                "أفضّل عدم الإجابة",
            ),
        ),
    ],
    "isced": [
        (
            "0",
            (
                "Early childhood education",
                "Éducation de la petite enfance",
                "Educación de la primera infancia",
                "Educação pré-escolar",
                "التعليم في مرحلة الطفولة المبكرة",
            ),
        ),
        (
            "1",
            (
                "Primary education",
                "Enseignement primaire",
                "Educación primaria",
                "Ensino primário",
                "التعليم الابتدائي",
            ),
        ),
        (
            "2",
            (
                "Lower secondary education",
                "Premier cycle du secondaire",
                "Educación secundaria baja",
                "Ensino secundário inferior",
                "التعليم الإعدادي",
            ),
        ),
        (
            "3",
            (
                "Upper secondary education",
                "Deuxième cycle du secondaire",
                "Educación secundaria alta",
                "Ensino secundário superior",
                "التعليم الثانوي",
            ),
        ),
        (
            "4",
            (
                "Post-secondary non-tertiary education",
                "Post-secondaire non supérieur",
                "Postsecundaria no terciaria",
                "Pós-secundário não superior",
                "التعليم ما بعد الثانوي غير العالي",
            ),
        ),
        (
            "5",
            (
                "Short-cycle tertiary education",
                "Enseignement supérieur de cycle court",
                "Terciaria de ciclo corto",
                "Ensino superior de ciclo curto",
                "التعليم العالي قصير الأمد",
            ),
        ),
        (
            "6",
            (
                "Bachelor’s or equivalent",
                "Licence ou équivalent",
                "Grado o equivalente",
                "Licenciatura ou equivalente",
                "البكالوريوس أو ما يعادله",
            ),
        ),
        (
            "7",
            (
                "Master’s or equivalent",
                "Master ou équivalent",
                "Máster o equivalente",
                "Mestrado ou equivalente",
                "الماجستير أو ما يعادله",
            ),
        ),
        (
            "8",
            (
                "Doctoral or equivalent",
                "Doctorat ou équivalent",
                "Doctorado o equivalente",
                "Doutoramento ou equivalente",
                "الدكتوراه أو ما يعادلها",
            ),
        ),
    ],
    "field_of_study": [
        (
            "generic",
            (
                "Generic programmes",
                "Programmes généraux",
                "Programas genéricos",
                "Programas gerais",
                "برامج عامة",
            ),
        ),
        ("education", ("Education", "Éducation", "Educación", "Educação", "التربية")),
        (
            "arts_humanities",
            (
                "Arts and humanities",
                "Arts et lettres",
                "Artes y humanidades",
                "Artes e humanidades",
                "الفنون والعلوم الإنسانية",
            ),
        ),
        (
            "social_sciences",
            (
                "Social sciences, journalism and information",
                "Sciences sociales, journalisme et information",
                "Ciencias sociales, periodismo e información",
                "Ciências sociais, jornalismo e informação",
                "العلوم الاجتماعية والصحافة والإعلام",
            ),
        ),
        (
            "business_law",
            (
                "Business, administration and law",
                "Commerce, administration et droit",
                "Administración de empresas y derecho",
                "Gestão, administração e direito",
                "الأعمال والإدارة والقانون",
            ),
        ),
        (
            "natural_sciences",
            (
                "Natural sciences, mathematics and statistics",
                "Sciences naturelles, mathématiques et statistiques",
                "Ciencias naturales, matemáticas y estadística",
                "Ciências naturais, matemática e estatística",
                "العلوم الطبيعية والرياضيات والإحصاء",
            ),
        ),
        (
            "ict",
            (
                "Information and communication technologies",
                "Technologies de l’information et de la communication",
                "Tecnologías de la información y la comunicación",
                "Tecnologias da informação e comunicação",
                "تكنولوجيا المعلومات والاتصالات",
            ),
        ),
        (
            "engineering",
            (
                "Engineering, manufacturing and construction",
                "Ingénierie, industrie et construction",
                "Ingeniería, industria y construcción",
                "Engenharia, indústria e construção",
                "الهندسة والتصنيع والبناء",
            ),
        ),
        (
            "agriculture",
            (
                "Agriculture, forestry, fisheries and veterinary",
                "Agriculture, sylviculture, halieutique et sciences vétérinaires",
                "Agricultura, silvicultura, pesca y veterinaria",
                "Agricultura, silvicultura, pescas e veterinária",
                "الزراعة والحراجة ومصايد الأسماك والطب البيطري",
            ),
        ),
        (
            "health_welfare",
            (
                "Health and welfare",
                "Santé et protection sociale",
                "Salud y bienestar",
                "Saúde e proteção social",
                "الصحة والرعاية الاجتماعية",
            ),
        ),
        ("services", ("Services", "Services", "Servicios", "Serviços", "الخدمات")),
    ],
    "sector": [
        ("health", ("Health", "Santé", "Salud", "Saúde", "الصحة")),
        (
            "education",
            (
                "Education and research",
                "Éducation et recherche",
                "Educación e investigación",
                "Educação e investigação",
                "التعليم والبحث",
            ),
        ),
        (
            "agriculture",
            (
                "Agriculture and food",
                "Agriculture et alimentation",
                "Agricultura y alimentación",
                "Agricultura e alimentação",
                "الزراعة والغذاء",
            ),
        ),
        (
            "ict",
            (
                "Information technology",
                "Informatique",
                "Tecnologías de la información",
                "Tecnologias de informação",
                "تكنولوجيا المعلومات",
            ),
        ),
        (
            "engineering",
            (
                "Engineering and infrastructure",
                "Ingénierie et infrastructures",
                "Ingeniería e infraestructura",
                "Engenharia e infraestruturas",
                "الهندسة والبنية التحتية",
            ),
        ),
        (
            "finance",
            (
                "Finance and banking",
                "Finance et banque",
                "Finanzas y banca",
                "Finanças e banca",
                "المالية والمصارف",
            ),
        ),
        (
            "public_administration",
            (
                "Public administration",
                "Administration publique",
                "Administración pública",
                "Administração pública",
                "الإدارة العامة",
            ),
        ),
        (
            "trade",
            (
                "Trade and business",
                "Commerce et entreprise",
                "Comercio y empresa",
                "Comércio e empresas",
                "التجارة والأعمال",
            ),
        ),
        (
            "tourism",
            (
                "Tourism and hospitality",
                "Tourisme et hôtellerie",
                "Turismo y hostelería",
                "Turismo e hotelaria",
                "السياحة والضيافة",
            ),
        ),
        (
            "energy_environment",
            (
                "Energy and environment",
                "Énergie et environnement",
                "Energía y medio ambiente",
                "Energia e ambiente",
                "الطاقة والبيئة",
            ),
        ),
        (
            "law_justice",
            (
                "Law and justice",
                "Droit et justice",
                "Derecho y justicia",
                "Direito e justiça",
                "القانون والعدالة",
            ),
        ),
        (
            "civil_society",
            (
                "Non-profit and civil society",
                "Associations et société civile",
                "Organizaciones sin fines de lucro y sociedad civil",
                "Organizações sem fins lucrativos e sociedade civil",
                "القطاع غير الربحي والمجتمع المدني",
            ),
        ),
    ],
    "cefr": [
        (
            "A1",
            ("A1 – beginner", "A1 – débutant", "A1 – principiante", "A1 – iniciante", "A1 – مبتدئ"),
        ),
        (
            "A2",
            (
                "A2 – elementary",
                "A2 – élémentaire",
                "A2 – elemental",
                "A2 – elementar",
                "A2 – أساسي",
            ),
        ),
        (
            "B1",
            (
                "B1 – intermediate",
                "B1 – intermédiaire",
                "B1 – intermedio",
                "B1 – intermédio",
                "B1 – متوسط",
            ),
        ),
        (
            "B2",
            (
                "B2 – upper intermediate",
                "B2 – intermédiaire supérieur",
                "B2 – intermedio alto",
                "B2 – intermédio superior",
                "B2 – فوق المتوسط",
            ),
        ),
        ("C1", ("C1 – advanced", "C1 – avancé", "C1 – avanzado", "C1 – avançado", "C1 – متقدم")),
        (
            "C2",
            ("C2 – proficient", "C2 – maîtrise", "C2 – maestría", "C2 – proficiente", "C2 – متمكن"),
        ),
        ("native", ("Native speaker", "Langue maternelle", "Nativo", "Nativo", "لغة أم")),
    ],
    "mode": [
        (
            "temporary",
            (
                "Temporary return (weeks to months)",
                "Retour temporaire (de quelques semaines à quelques mois)",
                "Retorno temporal (semanas o meses)",
                "Regresso temporário (semanas a meses)",
                "عودة مؤقتة (من أسابيع إلى أشهر)",
            ),
        ),
        (
            "permanent",
            (
                "Permanent return",
                "Retour définitif",
                "Retorno permanente",
                "Regresso definitivo",
                "عودة دائمة",
            ),
        ),
        (
            "virtual",
            (
                "Virtual support (online, e-learning)",
                "Appui à distance (en ligne, e-learning)",
                "Apoyo virtual (en línea, e-learning)",
                "Apoio virtual (online, e-learning)",
                "دعم افتراضي (عبر الإنترنت والتعلم الإلكتروني)",
            ),
        ),
    ],
    "duration": [
        (
            "under_1_month",
            (
                "Less than a month",
                "Moins d’un mois",
                "Menos de un mes",
                "Menos de um mês",
                "أقل من شهر",
            ),
        ),
        (
            "months_1_3",
            ("1 to 3 months", "1 à 3 mois", "De 1 a 3 meses", "1 a 3 meses", "من شهر إلى 3 أشهر"),
        ),
        (
            "months_3_6",
            ("3 to 6 months", "3 à 6 mois", "De 3 a 6 meses", "3 a 6 meses", "من 3 إلى 6 أشهر"),
        ),
        (
            "months_6_12",
            (
                "6 to 12 months",
                "6 à 12 mois",
                "De 6 a 12 meses",
                "6 a 12 meses",
                "من 6 إلى 12 شهرًا",
            ),
        ),
        (
            "over_12_months",
            ("More than a year", "Plus d’un an", "Más de un año", "Mais de um ano", "أكثر من سنة"),
        ),
    ],
    "contribution": [
        ("investment", ("Investment", "Investissement", "Inversión", "Investimento", "الاستثمار")),
        ("mentoring", ("Mentoring", "Mentorat", "Mentoría", "Mentoria", "الإرشاد")),
        (
            "knowledge_transfer",
            (
                "Knowledge transfer",
                "Transfert de connaissances",
                "Transferencia de conocimientos",
                "Transferência de conhecimento",
                "نقل المعرفة",
            ),
        ),
        (
            "philanthropy",
            ("Philanthropy", "Philanthropie", "Filantropía", "Filantropia", "العمل الخيري"),
        ),
    ],
    "investment_size": [
        (
            "under_10k",
            (
                "Under 10,000",
                "Moins de 10 000",
                "Menos de 10.000",
                "Menos de 10 000",
                "أقل من 10,000",
            ),
        ),
        (
            "from_10k_to_50k",
            (
                "10,000 to 50,000",
                "10 000 à 50 000",
                "10.000 a 50.000",
                "10 000 a 50 000",
                "من 10,000 إلى 50,000",
            ),
        ),
        (
            "from_50k_to_250k",
            (
                "50,000 to 250,000",
                "50 000 à 250 000",
                "50.000 a 250.000",
                "50 000 a 250 000",
                "من 50,000 إلى 250,000",
            ),
        ),
        (
            "over_250k",
            (
                "Over 250,000",
                "Plus de 250 000",
                "Más de 250.000",
                "Mais de 250 000",
                "أكثر من 250,000",
            ),
        ),
    ],
    "priority": [
        ("health", ("Health care", "Santé", "Salud", "Saúde", "الرعاية الصحية")),
        ("education", ("Education", "Éducation", "Educación", "Educação", "التعليم")),
        (
            "jobs",
            (
                "Jobs and entrepreneurship",
                "Emploi et entrepreneuriat",
                "Empleo y emprendimiento",
                "Emprego e empreendedorismo",
                "فرص العمل وريادة الأعمال",
            ),
        ),
        (
            "infrastructure",
            (
                "Infrastructure",
                "Infrastructures",
                "Infraestructura",
                "Infraestruturas",
                "البنية التحتية",
            ),
        ),
        (
            "agriculture",
            (
                "Agriculture and food security",
                "Agriculture et sécurité alimentaire",
                "Agricultura y seguridad alimentaria",
                "Agricultura e segurança alimentar",
                "الزراعة والأمن الغذائي",
            ),
        ),
        (
            "governance",
            (
                "Governance and public services",
                "Gouvernance et services publics",
                "Gobernanza y servicios públicos",
                "Governação e serviços públicos",
                "الحوكمة والخدمات العامة",
            ),
        ),
        (
            "digital",
            (
                "Digital transformation",
                "Transformation numérique",
                "Transformación digital",
                "Transformação digital",
                "التحول الرقمي",
            ),
        ),
        (
            "environment",
            (
                "Environment and climate",
                "Environnement et climat",
                "Medio ambiente y clima",
                "Ambiente e clima",
                "البيئة والمناخ",
            ),
        ),
    ],
    "channel": [
        (
            "iom",
            (
                "IOM or the programme",
                "L’OIM ou le programme",
                "La OIM o el programa",
                "A OIM ou o programa",
                "المنظمة الدولية للهجرة أو البرنامج",
            ),
        ),
        (
            "embassy",
            (
                "Embassy or consulate",
                "Ambassade ou consulat",
                "Embajada o consulado",
                "Embaixada ou consulado",
                "السفارة أو القنصلية",
            ),
        ),
        (
            "association",
            (
                "Diaspora association",
                "Association de la diaspora",
                "Asociación de la diáspora",
                "Associação da diáspora",
                "جمعية الجالية",
            ),
        ),
        (
            "social_media",
            (
                "Social media",
                "Réseaux sociaux",
                "Redes sociales",
                "Redes sociais",
                "وسائل التواصل الاجتماعي",
            ),
        ),
        (
            "friends",
            (
                "Friends or family",
                "Amis ou famille",
                "Amigos o familia",
                "Amigos ou família",
                "الأصدقاء أو العائلة",
            ),
        ),
        (
            "news",
            (
                "Newspaper, radio or TV",
                "Presse, radio ou télévision",
                "Prensa, radio o televisión",
                "Imprensa, rádio ou televisão",
                "الصحف أو الإذاعة أو التلفزيون",
            ),
        ),
    ],
}

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "appearance",
    "repeat_count",
    "diaspora_type",
    "bind::diaspora",
)
TRANSLATED = ("label", "hint", "constraint_message")


def survey_rows() -> list[dict[str, object]]:
    """Every row of the survey sheet, page by page."""
    return [
        *consent_page(),
        *contact_page(),
        *residence_page(),
        *education_page(),
        *work_page(),
        *languages_page(),
        *contribution_page(),
        *expectations_page(),
    ]


def build() -> Workbook:
    """The whole workbook: survey, choices and settings sheets."""
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    headers: list[str] = []
    for column in SURVEY_COLUMNS:
        headers += [f"{column}::{lang}" for lang in LANGS] if column in TRANSLATED else [column]
    survey.append(headers)
    for row in survey_rows():
        cells: list[object] = []
        for column in SURVEY_COLUMNS:
            value = row.get(column)
            if column in TRANSLATED:
                cells += list(value) if isinstance(value, tuple) else [None] * len(LANGS)
            else:
                cells.append(value or None)
        survey.append(cells)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", *(f"label::{lang}" for lang in LANGS)])
    for list_name, items in CHOICES.items():
        for name, labels in items:
            choices.append([list_name, name, *labels])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["Diaspora mapping survey", "diaspora_mapping", "2025.1", "English (en)"])
    for sheet in (survey, choices, settings):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    return workbook


def main() -> None:
    """Write diaspora_mapping.xlsx next to this script."""
    build().save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
