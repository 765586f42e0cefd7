"""Controlled vocabularies: countries, languages, ISCED levels, sectors, modes."""

from __future__ import annotations

from functools import lru_cache

import pycountry

ISCED_LEVELS: dict[int, str] = {
    0: "Early childhood education",
    1: "Primary education",
    2: "Lower secondary education",
    3: "Upper secondary education",
    4: "Post-secondary non-tertiary education",
    5: "Short-cycle tertiary education",
    6: "Bachelor's or equivalent",
    7: "Master's or equivalent",
    8: "Doctoral or equivalent",
}
SECTORS = (
    "health",
    "education",
    "agriculture",
    "ict",
    "engineering",
    "finance",
    "public_administration",
    "energy",
    "water_sanitation",
    "construction",
    "tourism",
    "trade",
    "manufacturing",
    "legal",
    "research",
    "social_services",
    "environment",
    "transport",
    "media",
    "other",
)
MODES = ("temporary", "permanent", "virtual")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
GENDERS = ("female", "male", "other", "prefer_not_to_say")
ISCO_MAJOR_GROUPS: dict[str, str] = {
    "0": "Armed forces occupations",
    "1": "Managers",
    "2": "Professionals",
    "3": "Technicians and associate professionals",
    "4": "Clerical support workers",
    "5": "Service and sales workers",
    "6": "Skilled agricultural, forestry and fishery workers",
    "7": "Craft and related trades workers",
    "8": "Plant and machine operators and assemblers",
    "9": "Elementary occupations",
}


# XK is the user-assigned code the EU, IOM and the World Bank use for Kosovo (not in ISO 3166-1).
EXTRA_COUNTRIES = {"XK": "Kosovo"}


@lru_cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(EXTRA_COUNTRIES)


@lru_cache
def language_codes() -> frozenset[str]:
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def country_name(code: str) -> str:
    if not code:
        return ""
    if code.upper() in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[code.upper()]
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def language_name(code: str) -> str:
    lang = pycountry.languages.get(alpha_2=code.lower()) if code else None
    return lang.name if lang else code


def is_country(code: str) -> bool:
    return code.upper() in country_codes()


def is_language(code: str) -> bool:
    return code.lower() in language_codes()
