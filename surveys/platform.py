"""Reference data behind the platform types `country` and `language`.

Codes come from pycountry (ISO 3166-1 alpha-2, ISO 639-1 or -3 when no two-letter
code exists); names in the respondent's language come from babel's CLDR data, so no
network is needed.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

# Kosovo is user-assigned in ISO 3166 but used by the UN, the EU and IOM.
_EXTRA_COUNTRIES = {"XK": "Kosovo"}


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code accepted as a country answer."""
    return frozenset({c.alpha_2 for c in pycountry.countries} | set(_EXTRA_COUNTRIES))


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    """Every ISO 639 code accepted: alpha-2 where one exists, else alpha-3."""
    return frozenset(
        getattr(language, "alpha_2", None) or language.alpha_3 for language in pycountry.languages
    )


@lru_cache(maxsize=4096)
def parse_country(value: str) -> str | None:
    """An alpha-2 code for a code or English/official name ("fr", "France"), else None."""
    text = value.strip()
    if not text:
        return None
    if text.upper() in country_codes():
        return text.upper()
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


@lru_cache(maxsize=4096)
def parse_language(value: str) -> str | None:
    """An ISO 639 code for a code or English name ("fr", "fra", "French"), else None."""
    text = value.strip()
    if not text:
        return None
    if text.lower() in language_codes():
        return text.lower()
    try:
        language = pycountry.languages.lookup(text)
    except LookupError:
        return None
    return str(getattr(language, "alpha_2", None) or language.alpha_3)


@lru_cache(maxsize=64)
def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse(language or "en")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def country_name(code: str, language: str | None = "en") -> str:
    """The country's name in `language` (English, then the code, as fallbacks)."""
    name = _locale(language).territories.get(code)
    if name:
        return str(name)
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country else _EXTRA_COUNTRIES.get(code, code)


def language_name(code: str, language: str | None = "en") -> str:
    """The language's name in `language` (English, then the code, as fallbacks)."""
    name = _locale(language).languages.get(code)
    if name:
        return str(name)
    found = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    return str(found.name) if found else code


@lru_cache(maxsize=16)
def country_choices(language: str | None = "en") -> tuple[tuple[str, str], ...]:
    """(code, name) for every country, sorted by name in `language`."""
    pairs = ((code, country_name(code, language)) for code in country_codes())
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


@lru_cache(maxsize=16)
def language_choices(language: str | None = "en") -> tuple[tuple[str, str], ...]:
    """(code, name) for living individual languages with a name in `language`, sorted by name."""
    locale = _locale(language)
    pairs = [
        (code, str(name)) for code, name in locale.languages.items() if code in language_codes()
    ]
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))
