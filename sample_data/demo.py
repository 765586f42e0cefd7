"""Demo data drawn from IOM's 2012 review (chapter 4): programmes, institutions, members,
placement requests and assignments. Generated with a fixed seed, never typed row by row."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from diaspora.accounts import passwords
from diaspora.accounts import service as accounts
from diaspora.accounts.models import Role, User
from diaspora.assignments.models import Assignment
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.consent.service import set_consents
from diaspora.institutions import service as institutions
from diaspora.members import service as members
from diaspora.placements.models import PlacementRequest

SEED = 20121231
DEMO_LOGINS = (
    ("admin@demo.example", "admin: users, institutions, everything staff can do"),
    (
        "staff@demo.example",
        "programme officer: surveys, requests, matching, assignments, dashboard",
    ),
    ("ministry@demo.example", "institution user at the Ministry of Health, Ghana"),
    ("member@demo.example", "diaspora member (a Ghanaian nurse in the Netherlands)"),
)

PROGRAMMES: list[dict[str, Any]] = [
    {
        "code": "MIDA-GH-HEALTH",
        "name": "MIDA Ghana Health",
        "countries_of_origin": ["GH"],
        "donor": "Government of the Netherlands",
        "allowed_modes": ["temporary", "virtual"],
        "description": "Temporary return of Ghanaian health professionals from the Netherlands, the United Kingdom and Germany to train health workers in Ghana.",
    },
    {
        "code": "TRQN",
        "name": "Temporary Return of Qualified Nationals",
        "countries_of_origin": ["AF", "SO", "SL", "SD"],
        "donor": "Government of the Netherlands",
        "allowed_modes": ["temporary", "virtual"],
        "description": "Qualified nationals return temporarily to rebuild capacity in countries recovering from crisis.",
    },
    {
        "code": "MIDWEB",
        "name": "Migration for Development in the Western Balkans",
        "countries_of_origin": ["AL", "BA", "XK", "ME", "MK", "RS"],
        "donor": "Italian Development Cooperation",
        "allowed_modes": ["temporary", "virtual"],
        "description": "Temporary and virtual placements of professionals living in Austria, Germany, Italy, the Netherlands, Switzerland and the UK.",
    },
    {
        "code": "GUYD",
        "name": "Guyana Diaspora Project",
        "countries_of_origin": ["GY"],
        "donor": "IOM Development Fund",
        "allowed_modes": ["temporary", "permanent", "virtual"],
        "description": "Online survey and database mapping the Guyanese diaspora.",
    },
]

# Who answers for each programme's data, and on what legal basis (the demo's notices).
NOTICES: dict[str | None, dict[str, str]] = {
    None: {
        "controller": "International Organization for Migration (IOM), demo mission",
        "contact": "privacy@demo.example, IOM demo mission, 17 route des Morillons, Geneva",
        "dpo": "IOM Data Protection Unit, dataprotection@demo.example",
        "legal_basis": "consent",
    },
    "MIDA-GH-HEALTH": {
        "controller": "Ministry of Health of Ghana with the IOM mission in Accra (joint controllers)",
        "contact": "mida-gh@demo.example, IOM Ghana, Accra",
        "dpo": "Data-protection officer, Ministry of Health, Accra: dpo-moh@demo.example",
        "legal_basis": "public_task",
        "legal_basis_note": "Mapping the health diaspora is a task of the Ministry of Health "
        "under its human-resources-for-health mandate; matching, contact, sharing and "
        "research still need your consent.",
    },
    "TRQN": {
        "controller": "IOM mission in The Hague (TRQN programme)",
        "contact": "trqn@demo.example, IOM The Hague",
        "dpo": "IOM Data Protection Unit, dataprotection@demo.example",
        "legal_basis": "consent",
    },
    "MIDWEB": {
        "controller": "IOM mission in Rome (MIDWEB programme)",
        "contact": "midweb@demo.example, IOM Rome",
        "dpo": "IOM Data Protection Unit, dataprotection@demo.example",
        "legal_basis": "consent",
    },
    "GUYD": {
        "controller": "Government of Guyana, Ministry of Foreign Affairs, with IOM Georgetown",
        "contact": "guyd@demo.example, IOM Georgetown",
        "dpo": "",
        "legal_basis": "public_task",
        "legal_basis_note": "The diaspora mapping is a public task of the Ministry of "
        "Foreign Affairs; every use beyond the mapping needs your consent.",
    },
}


def load_demo_notices(*, session: Session, admin: Any, programmes: dict[str, Any]) -> None:
    """A published privacy notice for the platform and for every demo programme."""
    from diaspora.notices import service as notices

    for code, own in NOTICES.items():
        programme_id = programmes[code].id if code else None
        data = {**notices.defaults(session=session, programme_id=programme_id), **own}
        notices.publish(session=session, actor=admin, programme_id=programme_id, data=data)


INSTITUTIONS: list[dict[str, Any]] = [
    {
        "name": "Ministry of Health, Ghana",
        "kind": "ministry",
        "country": "GH",
        "city": "Accra",
        "sector": "health",
    },
    {
        "name": "Tamale Teaching Hospital",
        "kind": "hospital",
        "country": "GH",
        "city": "Tamale",
        "sector": "health",
    },
    {
        "name": "Kintampo Municipal Hospital",
        "kind": "hospital",
        "country": "GH",
        "city": "Kintampo",
        "sector": "health",
    },
    {
        "name": "Ministry of Labour and Social Welfare, Kosovo",
        "kind": "ministry",
        "country": "XK",
        "city": "Pristina",
        "sector": "social_services",
    },
    {
        "name": "Revizor Accounting d.o.o.",
        "kind": "private",
        "country": "ME",
        "city": "Podgorica",
        "sector": "finance",
    },
    {
        "name": "State Market Inspectorate",
        "kind": "agency",
        "country": "MK",
        "city": "Skopje",
        "sector": "public_administration",
    },
    {
        "name": "Partners Albania NGO Network",
        "kind": "ngo",
        "country": "AL",
        "city": "Tirana",
        "sector": "social_services",
    },
    {
        "name": "Centre for Social Work Sarajevo",
        "kind": "agency",
        "country": "BA",
        "city": "Sarajevo",
        "sector": "social_services",
    },
    {
        "name": "University of Belgrade, Faculty of Organisational Sciences",
        "kind": "university",
        "country": "RS",
        "city": "Belgrade",
        "sector": "education",
    },
    {
        "name": "Ministry of Public Health, Afghanistan",
        "kind": "ministry",
        "country": "AF",
        "city": "Kabul",
        "sector": "health",
    },
    {
        "name": "Benadir Hospital",
        "kind": "hospital",
        "country": "SO",
        "city": "Mogadishu",
        "sector": "health",
    },
    {
        "name": "University of Guyana",
        "kind": "university",
        "country": "GY",
        "city": "Georgetown",
        "sector": "education",
    },
    {
        "name": "Guyana Office for Investment",
        "kind": "agency",
        "country": "GY",
        "city": "Georgetown",
        "sector": "trade",
    },
]

# Occupations with realistic skill sets, by sector; ISCO-08 unit group codes.
OCCUPATIONS: list[dict[str, Any]] = [
    {
        "title": "medical doctor",
        "isco": "2211",
        "sector": "health",
        "skills": [
            "diagnose diseases",
            "clinical examination",
            "prescribe medication",
            "emergency medicine",
            "patient counselling",
            "medical training",
        ],
    },
    {
        "title": "surgeon",
        "isco": "2212",
        "sector": "health",
        "skills": [
            "perform surgery",
            "surgical techniques",
            "anaesthesia",
            "clinical examination",
            "medical training",
        ],
    },
    {
        "title": "nurse",
        "isco": "2221",
        "sector": "health",
        "skills": [
            "nursing care",
            "patient care",
            "administer medication",
            "infection control",
            "train health workers",
            "maternal care",
        ],
    },
    {
        "title": "midwife",
        "isco": "2222",
        "sector": "health",
        "skills": [
            "maternal care",
            "assist deliveries",
            "prenatal care",
            "newborn care",
            "train health workers",
        ],
    },
    {
        "title": "pharmacist",
        "isco": "2262",
        "sector": "health",
        "skills": [
            "dispense medication",
            "pharmacology",
            "drug supply management",
            "patient counselling",
        ],
    },
    {
        "title": "medical laboratory scientist",
        "isco": "3212",
        "sector": "health",
        "skills": [
            "laboratory testing",
            "microbiology",
            "quality control",
            "laboratory equipment maintenance",
        ],
    },
    {
        "title": "university lecturer",
        "isco": "2310",
        "sector": "education",
        "skills": [
            "teach at university level",
            "curriculum development",
            "academic research",
            "supervise students",
            "e-learning",
        ],
    },
    {
        "title": "secondary school teacher",
        "isco": "2330",
        "sector": "education",
        "skills": [
            "teach mathematics",
            "lesson planning",
            "classroom management",
            "curriculum development",
        ],
    },
    {
        "title": "software developer",
        "isco": "2512",
        "sector": "ict",
        "skills": [
            "python",
            "web development",
            "database design",
            "software testing",
            "agile project management",
        ],
    },
    {
        "title": "network engineer",
        "isco": "2523",
        "sector": "ict",
        "skills": [
            "network administration",
            "cybersecurity",
            "cloud computing",
            "system administration",
        ],
    },
    {
        "title": "data analyst",
        "isco": "2511",
        "sector": "ict",
        "skills": ["data analysis", "statistics", "sql", "data visualisation", "python"],
    },
    {
        "title": "accountant",
        "isco": "2411",
        "sector": "finance",
        "skills": [
            "financial reporting",
            "international financial reporting standards",
            "auditing",
            "tax law",
            "bookkeeping",
        ],
    },
    {
        "title": "financial analyst",
        "isco": "2413",
        "sector": "finance",
        "skills": [
            "financial analysis",
            "investment appraisal",
            "financial modelling",
            "risk management",
        ],
    },
    {
        "title": "civil engineer",
        "isco": "2142",
        "sector": "engineering",
        "skills": [
            "structural engineering",
            "project management",
            "construction supervision",
            "autocad",
            "water supply engineering",
        ],
    },
    {
        "title": "electrical engineer",
        "isco": "2151",
        "sector": "energy",
        "skills": [
            "power systems",
            "solar energy installation",
            "electrical design",
            "project management",
        ],
    },
    {
        "title": "agronomist",
        "isco": "2132",
        "sector": "agriculture",
        "skills": [
            "crop production",
            "soil science",
            "irrigation",
            "agricultural extension",
            "food security",
        ],
    },
    {
        "title": "veterinarian",
        "isco": "2250",
        "sector": "agriculture",
        "skills": [
            "animal health",
            "livestock management",
            "veterinary medicine",
            "disease surveillance",
        ],
    },
    {
        "title": "lawyer",
        "isco": "2611",
        "sector": "legal",
        "skills": [
            "legal drafting",
            "human rights law",
            "labour law",
            "legal research",
            "policy analysis",
        ],
    },
    {
        "title": "social worker",
        "isco": "2635",
        "sector": "social_services",
        "skills": [
            "case management",
            "child protection",
            "foster care coaching",
            "counselling",
            "community development",
        ],
    },
    {
        "title": "public administration adviser",
        "isco": "2422",
        "sector": "public_administration",
        "skills": [
            "policy analysis",
            "public sector reform",
            "customer service training",
            "project management",
            "monitoring and evaluation",
        ],
    },
    {
        "title": "project manager",
        "isco": "1213",
        "sector": "public_administration",
        "skills": [
            "project management",
            "fundraising",
            "monitoring and evaluation",
            "budget management",
            "stakeholder engagement",
        ],
    },
    {
        "title": "marketing manager",
        "isco": "1221",
        "sector": "trade",
        "skills": [
            "marketing strategy",
            "business development",
            "market research",
            "digital marketing",
            "call centre management",
        ],
    },
    {
        "title": "entrepreneur",
        "isco": "1120",
        "sector": "trade",
        "skills": [
            "business development",
            "investment appraisal",
            "export promotion",
            "team leadership",
        ],
    },
    {
        "title": "journalist",
        "isco": "2642",
        "sector": "media",
        "skills": ["news writing", "media training", "investigative journalism", "editing"],
    },
    {
        "title": "hotel manager",
        "isco": "1411",
        "sector": "tourism",
        "skills": [
            "hospitality management",
            "customer service training",
            "tourism marketing",
            "budget management",
        ],
    },
]

ORIGIN_WEIGHTS = {
    "GH": 30,
    "GY": 14,
    "XK": 8,
    "ME": 5,
    "MK": 5,
    "AL": 7,
    "BA": 6,
    "RS": 6,
    "AF": 6,
    "SO": 6,
    "SL": 4,
    "RW": 3,
}
RESIDENCE_BY_ORIGIN = {
    "GH": ["NL", "GB", "DE", "US", "CA", "IT"],
    "GY": ["US", "CA", "GB"],
    "XK": ["DE", "CH", "AT"],
    "ME": ["DE", "AT", "IT"],
    "MK": ["DE", "IT", "CH"],
    "AL": ["IT", "GB", "DE"],
    "BA": ["AT", "DE", "CH", "NL"],
    "RS": ["DE", "AT", "CH"],
    "AF": ["NL", "DE", "GB"],
    "SO": ["GB", "NL", "SE"],
    "SL": ["GB", "US", "NL"],
    "RW": ["BE", "NL", "FR"],
}
CITIES = {
    "NL": ["Amsterdam", "Rotterdam", "The Hague", "Utrecht"],
    "GB": ["London", "Manchester", "Birmingham"],
    "DE": ["Berlin", "Hamburg", "Munich", "Rotenburg"],
    "IT": ["Rome", "Milan", "Turin"],
    "AT": ["Vienna", "Graz"],
    "CH": ["Zurich", "Geneva", "Basel"],
    "US": ["New York", "Washington", "Atlanta"],
    "CA": ["Toronto", "Montreal"],
    "BE": ["Brussels", "Antwerp"],
    "FR": ["Paris", "Lyon"],
    "SE": ["Stockholm"],
}
LANG_BY_ORIGIN = {
    "GH": ["tw", "ee"],
    "GY": [],
    "XK": ["sq"],
    "ME": ["sr"],
    "MK": ["mk"],
    "AL": ["sq"],
    "BA": ["bs"],
    "RS": ["sr"],
    "AF": ["fa", "ps"],
    "SO": ["so", "ar"],
    "SL": [],
    "RW": ["rw", "fr"],
}
LANG_BY_RESIDENCE = {
    "NL": "nl",
    "DE": "de",
    "IT": "it",
    "AT": "de",
    "CH": "de",
    "FR": "fr",
    "BE": "fr",
    "SE": "sv",
}
FIRST = [
    "Kwame",
    "Ama",
    "Kofi",
    "Akosua",
    "Yaw",
    "Efua",
    "Arben",
    "Liridona",
    "Milica",
    "Nikola",
    "Amina",
    "Ahmed",
    "Farah",
    "Mohammed",
    "Fatmata",
    "Ibrahim",
    "Devika",
    "Shondell",
    "Ravi",
    "Jasmine",
    "Elira",
    "Dragan",
    "Ana",
    "Jean",
]
LAST = [
    "Mensah",
    "Owusu",
    "Boateng",
    "Asante",
    "Krasniqi",
    "Gashi",
    "Petrović",
    "Jovanović",
    "Hoxha",
    "Hadžić",
    "Ahmadi",
    "Hussein",
    "Warsame",
    "Kamara",
    "Persaud",
    "Singh",
    "Nabare",
    "Uwase",
    "Dervishi",
    "Popović",
]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate_members(n: int = 320, seed: int = SEED) -> list[dict[str, Any]]:
    """Plain member records (identity + profile + consents), deterministic for a seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        origin = _weighted(rng, ORIGIN_WEIGHTS)
        residence = rng.choice(RESIDENCE_BY_ORIGIN[origin])
        occ = rng.choice(OCCUPATIONS[:6] if origin == "GH" and rng.random() < 0.6 else OCCUPATIONS)
        years = rng.randint(1, 30)
        skills = rng.sample(occ["skills"], k=min(len(occ["skills"]), rng.randint(3, 5)))
        if rng.random() < 0.3:
            other = rng.choice(OCCUPATIONS)
            skills.append(rng.choice(other["skills"]))
        langs = [{"code": "en", "level": rng.choice(["B2", "C1", "C2", "native"])}]
        for code in LANG_BY_ORIGIN[origin]:
            langs.append({"code": code, "level": "native"})
        if residence in LANG_BY_RESIDENCE and rng.random() < 0.8:
            langs.append(
                {"code": LANG_BY_RESIDENCE[residence], "level": rng.choice(["B1", "B2", "C1"])}
            )
        modes = [
            m
            for m, p in (("temporary", 0.7), ("virtual", 0.55), ("permanent", 0.15))
            if rng.random() < p
        ]
        start = date(2027, 1, 1) + timedelta(days=rng.randint(0, 200))
        out.append(
            {
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "phone": f"+{rng.randint(30, 49)} {rng.randint(600000000, 699999999)}",
                "residence_country": residence,
                "residence_city": rng.choice(CITIES[residence]),
                "origin_country": origin,
                "nationality": origin if rng.random() < 0.6 else residence,
                "gender": rng.choice(["female", "male", "female", "male", "prefer_not_to_say"]),
                "birth_year": rng.randint(1955, 2000),
                "education_level": rng.choice([5, 6, 6, 7, 7, 7, 8]),
                "education_field": occ["sector"].replace("_", " "),
                "occupation_title": occ["title"],
                "occupation_code": occ["isco"],
                "sector": occ["sector"],
                "years_experience": years,
                "skills": skills,
                "languages": langs,
                "modes": modes,
                "preferred_duration": rng.choice(
                    ["2-4 weeks", "1-3 months", "3-6 months", "over 6 months"]
                ),
                "available_from": start.isoformat(),
                "available_to": (start + timedelta(days=rng.randint(30, 365))).isoformat(),
                "contributions": [
                    c
                    for c, p in (
                        ("investment", 0.2),
                        ("mentoring", 0.45),
                        ("knowledge_transfer", 0.5),
                        ("philanthropy", 0.2),
                    )
                    if rng.random() < p
                ],
                "heard_about": rng.choice(
                    ["facebook", "linkedin", "embassy", "association", "friend"]
                ),
                "consents": {
                    "mapping": rng.random() < 0.97,
                    "matching": rng.random() < 0.85,
                    "contact": rng.random() < 0.8,
                    "share_with_institution": rng.random() < 0.7,
                    "research": rng.random() < 0.5,
                },
                "created_days_ago": rng.randint(0, 120),
            }
        )
    return out


REQUESTS: list[dict[str, Any]] = [
    {
        "inst": 0,
        "prog": "MIDA-GH-HEALTH",
        "title": "Trainer for emergency obstetric care",
        "sector": "health",
        "skills_essential": ["maternal care", "train health workers"],
        "skills_desirable": ["assist deliveries"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 6,
        "min_edu": 6,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 1,
        "prog": "MIDA-GH-HEALTH",
        "title": "Visiting surgeon for the surgical ward",
        "sector": "health",
        "skills_essential": ["perform surgery", "surgical techniques"],
        "skills_desirable": ["medical training"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 4,
        "min_edu": 7,
        "years": 8,
        "status": "approved",
    },
    {
        "inst": 1,
        "prog": "MIDA-GH-HEALTH",
        "title": "Infection control nurse educator",
        "sector": "health",
        "skills_essential": ["infection control", "nursing care"],
        "skills_desirable": ["train health workers"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 8,
        "min_edu": 6,
        "years": 3,
        "status": "filled",
    },
    {
        "inst": 2,
        "prog": "MIDA-GH-HEALTH",
        "title": "Laboratory quality control mentor",
        "sector": "health",
        "skills_essential": ["laboratory testing", "quality control"],
        "skills_desirable": ["microbiology"],
        "languages": ["en"],
        "mode": "virtual",
        "weeks": 12,
        "min_edu": 6,
        "years": 3,
        "status": "approved",
    },
    {
        "inst": 0,
        "prog": "MIDA-GH-HEALTH",
        "title": "Pharmacy supply chain adviser",
        "sector": "health",
        "skills_essential": ["drug supply management"],
        "skills_desirable": ["pharmacology"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 4,
        "min_edu": 6,
        "years": 5,
        "status": "submitted",
    },
    {
        "inst": 0,
        "prog": "MIDA-GH-HEALTH",
        "title": "E-learning course on neonatal care",
        "sector": "health",
        "skills_essential": ["newborn care", "e-learning"],
        "skills_desirable": [],
        "languages": ["en"],
        "mode": "virtual",
        "weeks": 10,
        "min_edu": 6,
        "years": 2,
        "status": "draft",
    },
    {
        "inst": 3,
        "prog": "MIDWEB",
        "title": "Policy paper on the protection of vulnerable persons",
        "sector": "social_services",
        "skills_essential": ["policy analysis", "human rights law"],
        "skills_desirable": ["child protection"],
        "languages": ["sq", "en"],
        "mode": "temporary",
        "weeks": 6,
        "min_edu": 7,
        "years": 5,
        "status": "filled",
    },
    {
        "inst": 4,
        "prog": "MIDWEB",
        "title": "Training in international accounting standards",
        "sector": "finance",
        "skills_essential": ["international financial reporting standards", "financial reporting"],
        "skills_desirable": ["auditing"],
        "languages": ["sr"],
        "mode": "temporary",
        "weeks": 4,
        "min_edu": 6,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 5,
        "prog": "MIDWEB",
        "title": "Web-based software training for market inspectors",
        "sector": "public_administration",
        "skills_essential": ["web development", "database design"],
        "skills_desirable": ["software testing"],
        "languages": ["mk"],
        "mode": "virtual",
        "weeks": 8,
        "min_edu": 6,
        "years": 3,
        "status": "approved",
    },
    {
        "inst": 5,
        "prog": "MIDWEB",
        "title": "Customer service seminars for public servants",
        "sector": "public_administration",
        "skills_essential": ["customer service training", "public sector reform"],
        "skills_desirable": [],
        "languages": ["mk"],
        "mode": "temporary",
        "weeks": 2,
        "min_edu": 6,
        "years": 5,
        "status": "closed",
    },
    {
        "inst": 6,
        "prog": "MIDWEB",
        "title": "NGO training in fundraising and project management",
        "sector": "social_services",
        "skills_essential": ["fundraising", "project management"],
        "skills_desirable": ["monitoring and evaluation"],
        "languages": ["sq"],
        "mode": "temporary",
        "weeks": 3,
        "min_edu": 6,
        "years": 4,
        "status": "approved",
    },
    {
        "inst": 7,
        "prog": "MIDWEB",
        "title": "Coaching foster families: training for social workers",
        "sector": "social_services",
        "skills_essential": ["foster care coaching", "child protection"],
        "skills_desirable": ["counselling"],
        "languages": ["bs"],
        "mode": "temporary",
        "weeks": 4,
        "min_edu": 6,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 8,
        "prog": "MIDWEB",
        "title": "Guest lectures in data analysis",
        "sector": "education",
        "skills_essential": ["data analysis", "teach at university level"],
        "skills_desirable": ["statistics"],
        "languages": ["sr"],
        "mode": "virtual",
        "weeks": 12,
        "min_edu": 7,
        "years": 3,
        "status": "approved",
    },
    {
        "inst": 8,
        "prog": "MIDWEB",
        "title": "Call centre set-up for a national airline",
        "sector": "trade",
        "skills_essential": ["call centre management", "customer service training"],
        "skills_desirable": ["marketing strategy"],
        "languages": ["sr", "en"],
        "mode": "temporary",
        "weeks": 6,
        "min_edu": 6,
        "years": 5,
        "status": "rejected",
    },
    {
        "inst": 9,
        "prog": "TRQN",
        "title": "Emergency medicine specialist",
        "sector": "health",
        "skills_essential": ["emergency medicine", "clinical examination"],
        "skills_desirable": ["medical training"],
        "languages": ["fa"],
        "mode": "temporary",
        "weeks": 12,
        "min_edu": 7,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 10,
        "prog": "TRQN",
        "title": "Midwifery trainer",
        "sector": "health",
        "skills_essential": ["assist deliveries", "train health workers"],
        "skills_desirable": ["prenatal care"],
        "languages": ["so"],
        "mode": "temporary",
        "weeks": 8,
        "min_edu": 6,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 9,
        "prog": "TRQN",
        "title": "Hospital information system adviser",
        "sector": "ict",
        "skills_essential": ["database design", "system administration"],
        "skills_desirable": ["cybersecurity"],
        "languages": ["fa", "en"],
        "mode": "virtual",
        "weeks": 16,
        "min_edu": 6,
        "years": 4,
        "status": "submitted",
    },
    {
        "inst": 11,
        "prog": "GUYD",
        "title": "Curriculum development in civil engineering",
        "sector": "education",
        "skills_essential": ["curriculum development", "structural engineering"],
        "skills_desirable": ["teach at university level"],
        "languages": ["en"],
        "mode": "virtual",
        "weeks": 12,
        "min_edu": 7,
        "years": 5,
        "status": "approved",
    },
    {
        "inst": 11,
        "prog": "GUYD",
        "title": "Head of agronomy department",
        "sector": "agriculture",
        "skills_essential": ["crop production", "soil science"],
        "skills_desirable": ["agricultural extension"],
        "languages": ["en"],
        "mode": "permanent",
        "weeks": None,
        "min_edu": 8,
        "years": 10,
        "status": "approved",
    },
    {
        "inst": 12,
        "prog": "GUYD",
        "title": "Investment promotion mentor",
        "sector": "trade",
        "skills_essential": ["investment appraisal", "business development"],
        "skills_desirable": ["export promotion"],
        "languages": ["en"],
        "mode": "virtual",
        "weeks": 8,
        "min_edu": 6,
        "years": 8,
        "status": "approved",
    },
    {
        "inst": 12,
        "prog": "GUYD",
        "title": "Solar energy project engineer",
        "sector": "energy",
        "skills_essential": ["solar energy installation", "power systems"],
        "skills_desirable": ["project management"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 10,
        "min_edu": 6,
        "years": 5,
        "status": "submitted",
    },
    {
        "inst": 1,
        "prog": "MIDA-GH-HEALTH",
        "title": "Anaesthesia training week",
        "sector": "health",
        "skills_essential": ["anaesthesia"],
        "skills_desirable": ["medical training"],
        "languages": ["en"],
        "mode": "temporary",
        "weeks": 1,
        "min_edu": 7,
        "years": 5,
        "status": "approved",
    },
]

ASSIGNMENT_STATES = [
    "proposed",
    "approved",
    "accepted",
    "in_progress",
    "completed",
    "completed",
    "completed",
    "cancelled",
    "declined",
    "completed",
    "in_progress",
    "completed",
]


def _already_loaded(session: Session) -> bool:
    return session.exec(select(User).where(User.email == "admin@demo.example")).first() is not None


def reset_demo_passwords(*, session: Session, password: str) -> None:
    for email, _ in DEMO_LOGINS:
        user = accounts.get_by_email(session=session, email=email)
        if user is not None:
            user.password_hash = passwords.hash_password(password)
            user.is_active = True
            session.add(user)
    session.commit()


def load_demo(
    *, session: Session, password: str, esco_path: Path | None = None, n_members: int = 320
) -> bool:
    """Load the demo into an empty database; returns False when it was already there."""
    if _already_loaded(session):
        return False
    rng = random.Random(SEED)
    progs = {
        p["code"]: institutions.create_programme(session=session, actor=None, data=p)
        for p in PROGRAMMES
    }
    insts = [
        institutions.create_institution(session=session, actor=None, data=i) for i in INSTITUTIONS
    ]
    admin = accounts.create_user(
        session=session,
        actor=None,
        email="admin@demo.example",
        password=password,
        role=Role.admin,
        display_name="Demo Admin",
    )
    load_demo_notices(session=session, admin=admin, programmes=progs)
    staff = accounts.create_user(
        session=session,
        actor=None,
        email="staff@demo.example",
        password=password,
        role=Role.staff,
        display_name="Esi Programme-Officer",
    )
    accounts.create_user(
        session=session,
        actor=None,
        email="ministry@demo.example",
        password=password,
        role=Role.institution,
        institution_id=insts[0].id,
        display_name="MoH Ghana focal point",
    )
    accounts.create_user(
        session=session,
        actor=None,
        email="tamale@demo.example",
        password=password,
        role=Role.institution,
        institution_id=insts[1].id,
        display_name="Tamale focal point",
    )
    member_user = accounts.create_user(
        session=session,
        actor=None,
        email="member@demo.example",
        password=password,
        role=Role.member,
        display_name="Ama Mensah",
    )
    _ = admin
    records = generate_members(n_members)
    profile_ids: list[int] = []
    now = utcnow()
    # The demo member is a Ghanaian nurse in Amsterdam, like the MIDA Ghana Health participants.
    records[0].update(
        {
            "first_name": "Ama",
            "last_name": "Mensah",
            "origin_country": "GH",
            "residence_country": "NL",
            "residence_city": "Amsterdam",
            "occupation_title": "nurse",
            "occupation_code": "2221",
            "sector": "health",
            "skills": [
                "nursing care",
                "infection control",
                "maternal care",
                "train health workers",
            ],
            "languages": [
                {"code": "en", "level": "C2"},
                {"code": "tw", "level": "native"},
                {"code": "nl", "level": "B2"},
            ],
            "modes": ["temporary", "virtual"],
            "years_experience": 12,
            "consents": dict.fromkeys(
                ("mapping", "matching", "contact", "share_with_institution", "research"), True
            ),
        }
    )
    for i, rec in enumerate(records):
        if i == 0:
            profile = members.get_own(session=session, actor=member_user)
        else:
            profile = members.create_profile_for(session=session, user=None)
        data = {k: v for k, v in rec.items() if k not in ("consents", "created_days_ago")}
        data["email"] = (
            "member@demo.example" if i == 0 else f"{rec['first_name'].lower()}.{i}@example.org"
        )
        members.update_profile(
            session=session,
            actor=None,
            member_id=profile.id or 0,
            data=data,
            source="demo",
            commit=False,
        )
        profile.programme_id = (
            progs["MIDA-GH-HEALTH"].id
            if rec["origin_country"] == "GH"
            else (
                progs["GUYD"].id
                if rec["origin_country"] == "GY"
                else progs["MIDWEB"].id
                if rec["origin_country"] in ("AL", "BA", "XK", "ME", "MK", "RS")
                else progs["TRQN"].id
            )
        )
        profile.created_at = now - timedelta(days=rec["created_days_ago"])
        session.add(profile)
        set_consents(
            session=session,
            actor=None,
            member_id=profile.id or 0,
            choices=rec["consents"],
            channel="demo",
            commit=False,
        )
        profile_ids.append(profile.id or 0)
    session.commit()
    load_demo_survey(
        session=session, records=records, profile_ids=profile_ids, user_id=member_user.id
    )

    created_requests: list[PlacementRequest] = []
    for spec in REQUESTS:
        start = date(2027, 2, 1) + timedelta(days=rng.randint(0, 120))
        req = PlacementRequest(
            institution_id=insts[spec["inst"]].id or 0,
            programme_id=progs[spec["prog"]].id,
            title=spec["title"],
            sector=spec["sector"],
            description=f"{insts[spec['inst']].name} needs support: {spec['title'].lower()}.",
            skills_essential=spec["skills_essential"],
            skills_desirable=spec["skills_desirable"],
            languages=spec["languages"],
            min_education=spec["min_edu"],
            min_years_experience=spec["years"],
            mode=spec["mode"],
            duration_weeks=spec["weeks"],
            start_from=start,
            start_to=start + timedelta(days=60),
            location=insts[spec["inst"]].city,
            positions=rng.choice([1, 1, 2, 3]),
            status=spec["status"],
            status_reason="Outside the programme's priority sectors this year."
            if spec["status"] == "rejected"
            else "",
            created_by=staff.id,
        )
        session.add(req)
        session.flush()
        record(
            session=session,
            actor=None,
            action="request.create",
            entity="request",
            entity_id=req.id,
            details={"status": req.status, "source": "demo"},
        )
        created_requests.append(req)
    session.commit()

    # Assignments in every state, on requests that are open or filled.
    hosting = [r for r in created_requests if r.status in ("approved", "filled", "closed")]
    for i, state in enumerate(ASSIGNMENT_STATES):
        req = hosting[i % len(hosting)]
        member_id = profile_ids[0] if i == 4 else profile_ids[1 + (i * 17) % (len(profile_ids) - 1)]
        start = date(2026, 3, 1) + timedelta(days=30 * i)
        done = state == "completed"
        a = Assignment(
            request_id=req.id or 0,
            member_id=member_id,
            institution_id=req.institution_id,
            programme_id=req.programme_id,
            mode=req.mode,
            status=state,
            status_reason={
                "cancelled": "Host institution postponed the training.",
                "declined": "Member not available on the proposed dates.",
            }.get(state, ""),
            start_date=start,
            end_date=start + timedelta(weeks=req.duration_weeks or 12),
            host_supervisor="Dr. K. Owusu" if req.sector == "health" else "Head of department",
            allowance="EUR 1,200 per month + travel",
            virtual_hours=40 if req.mode == "virtual" else None,
            outcome_activities="Workshops and on-the-job training for staff." if done else "",
            people_trained=rng.randint(8, 60) if done else None,
            deliverables="Training curriculum and a handbook left with the host." if done else "",
            member_report="The host team was motivated; follow-up online sessions agreed."
            if done
            else "",
            host_rating=rng.randint(3, 5) if done else None,
            member_rating=rng.randint(3, 5) if done else None,
            host_evaluation="Very useful; we would host again." if done else "",
            member_evaluation="Well organised by the programme." if done else "",
            created_by=staff.id,
            completed_at=utcnow() if done else None,
        )
        session.add(a)
        session.flush()
        record(
            session=session,
            actor=None,
            action="assignment.create",
            entity="assignment",
            entity_id=a.id,
            details={"status": state, "source": "demo"},
        )
    session.commit()

    # The taxonomy behind skill suggestions and matching: ESCO when a download is at hand
    # (DIASPORA_ESCO_PATH), otherwise the small built-in set.
    from diaspora.placements import service as placements
    from diaspora.taxonomy import service as taxonomy

    if esco_path is not None and Path(esco_path).exists():
        taxonomy.import_esco(session=session, actor=None, path=Path(esco_path))
    else:
        taxonomy.load_builtin(session=session)

    # Matching has run on every open request, so staff find ranked, explained shortlists.

    for req in created_requests:
        if req.status == "approved":
            placements.run_matching(session=session, actor=staff, request_id=req.id or 0, limit=15)
    return True


# --------------------------------------------------------------------------- the mapping survey

# The survey asks sectors in its own words; map the profile's to the nearest one.
_SURVEY_SECTOR = {
    "energy": "energy_environment",
    "environment": "energy_environment",
    "legal": "law_justice",
    "social_services": "civil_society",
    "media": "civil_society",
    "other": "civil_society",
    "research": "education",
    "water_sanitation": "engineering",
    "construction": "engineering",
    "manufacturing": "engineering",
    "transport": "engineering",
}
_SURVEY_CHANNEL = {"facebook": "social_media", "linkedin": "social_media", "friend": "friends"}
_SURVEY_DURATION = {
    "2-4 weeks": "under_1_month",
    "1-3 months": "months_1_3",
    "3-6 months": "months_3_6",
    "over 6 months": "months_6_12",
}


def survey_answers(record: dict[str, Any], email: str) -> dict[str, Any]:
    """What a demo member would have answered to the built-in survey, from their record."""
    consents = record["consents"]
    yes = {True: "yes", False: "no"}
    answers: dict[str, Any] = {
        "consent_mapping": yes[consents["mapping"]],
        "consent_matching": yes[consents["matching"]],
        "consent_contact": yes[consents["contact"]],
        "consent_share": yes[consents["share_with_institution"]],
        "consent_research": yes[consents["research"]],
    }
    if not consents["mapping"]:
        return answers
    modes = record["modes"]
    answers.update(
        {
            "first_name": record["first_name"],
            "last_name": record["last_name"],
            "email": email,
            "phone": record["phone"],
            "residence_country": record["residence_country"],
            "residence_city": record["residence_city"],
            "origin_country": record["origin_country"],
            "nationality": record["nationality"],
            "gender": "prefer_not" if record["gender"] == "prefer_not_to_say" else record["gender"],
            "birth_year": record["birth_year"],
            "education_level": str(record["education_level"]),
            "occupation": record["occupation_title"],
            "sector": _SURVEY_SECTOR.get(record["sector"], record["sector"]),
            "years_experience": min(record["years_experience"], 2026 - record["birth_year"] - 14),
            "skills": record["skills"],
            "languages": [
                {"language_code": lang["code"], "language_level": lang["level"] or "B2"}
                for lang in record["languages"]
            ],
            "willing": "yes" if modes else "no",
            "contributions": record["contributions"],
            "priorities": ["health", "education"]
            if record["sector"] in ("health", "education")
            else ["jobs", "infrastructure"],
            "heard_about": _SURVEY_CHANNEL.get(record["heard_about"], record["heard_about"]),
        }
    )
    if modes:
        answers.update(
            {
                "modes": modes,
                "available_from": record["available_from"],
                "available_to": record["available_to"],
            }
        )
        if "temporary" in modes or "virtual" in modes:
            answers["preferred_duration"] = _SURVEY_DURATION.get(
                record["preferred_duration"], "months_1_3"
            )
    return answers


def load_demo_survey(
    *, session: Session, records: list[dict[str, Any]], profile_ids: list[int], user_id: int | None
) -> int:
    """Publish the built-in survey; about two thirds of the members get a submitted response
    pinned to it (from the web or from KoboToolbox), a few a draft.  Returns how many."""
    import uuid

    from diaspora.members.models import MemberProfile
    from diaspora.responses.definitions import definition_of
    from diaspora.responses.models import Response
    from diaspora.responses.service import import_builtin
    from surveys import validate_all

    version = import_builtin(session=session)
    definition = definition_of(version)
    rng = random.Random(SEED + 7)
    count = 0
    for index, (rec, member_id) in enumerate(zip(records, profile_ids, strict=True)):
        draw = rng.random()
        if index > 0 and draw > 0.7:
            continue
        email = (
            "member@demo.example"
            if index == 0
            else f"{rec['first_name'].lower()}.{index}@example.org"
        )
        answers = survey_answers(rec, email)
        if validate_all(definition, answers):
            continue  # only consistent answers go into the demo
        profile = session.get(MemberProfile, member_id)
        if profile is None:
            continue
        is_draft = index > 0 and draw < 0.03
        kobo = index > 0 and not is_draft and rng.random() < 0.3
        response = Response(
            survey_id=version.survey_id,
            version_id=version.id or 0,
            member_id=member_id,
            user_id=user_id if index == 0 else None,
            answers={k: answers[k] for k in list(answers)[:8]} if is_draft else answers,
            status="draft" if is_draft else "submitted",
            source="kobo" if kobo else "web",
            external_id=str(uuid.UUID(int=rng.getrandbits(128))) if kobo else None,
            review_state=rng.choice(["received", "received", "approved", "approved", "has_issues"])
            if not is_draft
            else "received",
            current_page=2 if is_draft else 0,
            created_at=profile.created_at,
            updated_at=profile.created_at,
            submitted_at=None if is_draft else profile.created_at,
        )
        session.add(response)
        session.flush()
        record(
            session=session,
            actor=None,
            action="response.start" if is_draft else "response.submit",
            entity="response",
            entity_id=response.id,
            details={"source": "demo"},
        )
        if not is_draft:
            profile.survey_version_id = version.id
            session.add(profile)
        count += 1
    session.commit()
    return count
