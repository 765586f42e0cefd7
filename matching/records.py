"""Member and Request records: the library's input types, parsed from plain dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# ISO 639-1 (184 codes); a closed list catches "eng", "english" and typos early.
ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "sh",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)

MODES = ("temporary", "virtual", "permanent")

# Ordinal education levels (roughly ISCED 2011); words seen in surveys map onto them.
EDUCATION_LEVELS: dict[str, int] = {
    "none": 0,
    "primary": 1,
    "lower secondary": 2,
    "secondary": 3,
    "upper secondary": 3,
    "high school": 3,
    "vocational": 4,
    "post-secondary": 4,
    "tvet": 4,
    "short-cycle": 5,
    "diploma": 5,
    "associate": 5,
    "bachelor": 6,
    "licence": 6,
    "master": 7,
    "doctorate": 8,
    "phd": 8,
}


class InvalidRecord(ValueError):
    """A member or request dict that cannot be used, naming the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f'field "{field}": {reason}')
        self.field = field
        self.reason = reason


def education_level(text: str | None) -> int | None:
    """Ordinal level of an education string ('master', 'ISCED 7', '7'), or None when unknown."""
    if not text:
        return None
    key = text.strip().lower()
    if key in EDUCATION_LEVELS:
        return EDUCATION_LEVELS[key]
    digits = key.removeprefix("isced").strip()
    if digits.isdigit() and 0 <= int(digits) <= 8:
        return int(digits)
    for word, level in EDUCATION_LEVELS.items():
        if word in key:
            return level
    return None


def _text(d: Mapping[str, Any], field: str, *, required: bool = False) -> str:
    value = d.get(field)
    if value is None:
        if required:
            raise InvalidRecord(field, "missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRecord(field, f"expected a string, got {type(value).__name__}")
    return str(value).strip()


def _id(d: Mapping[str, Any]) -> str:
    value = _text(d, "id", required=True)
    if not value:
        raise InvalidRecord("id", "must not be empty")
    return value


def _strings(d: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = d.get(field)
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidRecord(field, "expected a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise InvalidRecord(field, "expected a list of strings")
    return tuple(s for s in (v.strip() for v in value) if s)


def _languages(d: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = d.get(field)
    if value is None:
        return ()
    expected = "expected a list of ISO 639-1 codes"
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidRecord(field, expected)
    codes = []
    for v in value:
        code = v.strip().lower() if isinstance(v, str) else None
        if code not in ISO_639_1:
            raise InvalidRecord(field, f"{expected} (unknown code {v!r})")
        codes.append(code)
    return tuple(sorted(set(codes)))


def _mode(value: Any, field: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in MODES:
        raise InvalidRecord(field, f"expected one of {', '.join(MODES)} (got {value!r})")
    return value.strip().lower()


def _years(d: Mapping[str, Any], field: str) -> int:
    value = d.get(field)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(field, f"expected a whole number of years (got {value!r})")
    if value < 0 or value > 80:
        raise InvalidRecord(field, f"expected 0 to 80 years (got {value})")
    return value


def _date(d: Mapping[str, Any], field: str) -> dt.date | None:
    value = d.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise InvalidRecord(field, f"expected an ISO date YYYY-MM-DD (got {value!r})")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InvalidRecord(field, f"expected an ISO date YYYY-MM-DD (got {value!r})") from None


def _window(
    start: dt.date | None, end: dt.date | None, fields: tuple[str, str]
) -> tuple[dt.date | None, dt.date | None]:
    if start and end and end < start:
        raise InvalidRecord(fields[1], f"ends ({end}) before {fields[0]} ({start})")
    return start, end


@dataclass(frozen=True, slots=True)
class Member:
    """A diaspora member's matchable profile."""

    id: str
    occupation: str = ""
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    years_experience: int = 0
    education: str = ""
    country_of_residence: str = ""
    sectors: tuple[str, ...] = ()
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    occupation_code: str = ""
    skill_ids: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Member:
        """Parse a members.jsonl record; extra fields are ignored, bad values raise InvalidRecord."""
        if not isinstance(d, Mapping):
            raise InvalidRecord("record", f"expected a JSON object, got {type(d).__name__}")
        modes = d.get("modes")
        if modes is not None and (isinstance(modes, str) or not isinstance(modes, list | tuple)):
            raise InvalidRecord("modes", f"expected a list of {', '.join(MODES)}")
        country = _text(d, "country_of_residence").upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise InvalidRecord(
                "country_of_residence", f"expected an ISO 3166 alpha-2 code (got {country!r})"
            )
        start, end = _window(
            _date(d, "available_from"), _date(d, "available_to"), ("available_from", "available_to")
        )
        return cls(
            id=_id(d),
            occupation=_text(d, "occupation"),
            skills=_strings(d, "skills"),
            languages=_languages(d, "languages"),
            modes=tuple(sorted({_mode(m, "modes") for m in modes or ()})),
            years_experience=_years(d, "years_experience"),
            education=_text(d, "education"),
            country_of_residence=country,
            sectors=_strings(d, "sectors"),
            available_from=start,
            available_to=end,
            occupation_code=_text(d, "occupation_code"),
            skill_ids=_strings(d, "skill_ids"),
        )


@dataclass(frozen=True, slots=True)
class Request:
    """A placement request posted by an institution."""

    id: str
    title: str = ""
    description: str = ""
    skills_essential: tuple[str, ...] = ()
    skills_desirable: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    mode: str | None = None
    min_years_experience: int = 0
    sector: str = ""
    min_education: str = ""
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    occupation_code: str = ""

    def __post_init__(self) -> None:
        if not self.title.strip() and not self.skills_essential and not self.skills_desirable:
            raise InvalidRecord("title", "a request needs a title or at least one skill")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Request:
        """Parse a requests.jsonl record; extra fields are ignored, bad values raise InvalidRecord."""
        if not isinstance(d, Mapping):
            raise InvalidRecord("record", f"expected a JSON object, got {type(d).__name__}")
        mode = d.get("mode")
        end_field = "start_to" if d.get("start_to") not in (None, "") else "end"
        start, end = _window(_date(d, "start_from"), _date(d, end_field), ("start_from", end_field))
        return cls(
            id=_id(d),
            title=_text(d, "title"),
            description=_text(d, "description"),
            skills_essential=_strings(d, "skills_essential"),
            skills_desirable=_strings(d, "skills_desirable"),
            languages=_languages(d, "languages"),
            mode=None if mode in (None, "") else _mode(mode, "mode"),
            min_years_experience=_years(d, "min_years_experience"),
            sector=_text(d, "sector"),
            min_education=_text(d, "min_education"),
            start_from=start,
            start_to=end,
            occupation_code=_text(d, "occupation_code"),
        )
