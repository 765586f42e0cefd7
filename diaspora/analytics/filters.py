"""The dashboard's filters: parsed from query parameters, validated with messages that say
what to change (an unknown value is an error, never silently ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlmodel import Session, col, select

from diaspora.errors import ValidationFailed
from diaspora.institutions.models import Programme
from diaspora.responses.models import Survey, SurveyVersion
from diaspora.vocab import MODES, SECTORS, country_name, is_country

FILTER_PARAMS = ("origin", "programme", "sector", "skill", "mode", "version")
COMPARE_PARAMS = ("round_a", "round_b")
# Parameters the site uses on every page (the language switch), accepted and left alone.
SITE_PARAMS = ("lang",)


@dataclass(frozen=True)
class Filters:
    """Which members a view counts; None means "all"."""

    origin: str | None = None
    programme: str | None = None
    programme_id: int | None = None
    sector: str | None = None
    skill: str | None = None
    mode: str | None = None
    version_id: int | None = None
    round_a: int | None = None
    round_b: int | None = None

    def member_filters(self) -> dict[str, str | int]:
        """The filters on member attributes, as summary slice arguments."""
        values = {
            "origin": self.origin,
            "programme_id": self.programme_id,
            "sector": self.sector,
            "version_id": self.version_id,
            "mode": self.mode,
        }
        return {k: v for k, v in values.items() if v is not None}

    def is_empty(self) -> bool:
        return not self.member_filters() and self.skill is None

    def params(self, *, compare: bool = True) -> dict[str, str]:
        """Query parameters that reproduce this view (for links and exports)."""
        out = {
            "origin": self.origin,
            "programme": self.programme,
            "sector": self.sector,
            "skill": self.skill,
            "mode": self.mode,
            "version": None if self.version_id is None else str(self.version_id),
        }
        if compare:
            out["round_a"] = None if self.round_a is None else str(self.round_a)
            out["round_b"] = None if self.round_b is None else str(self.round_b)
        return {k: v for k, v in out.items() if v}

    def with_version(self, version_id: int) -> Filters:
        data = asdict(self)
        data.update(version_id=version_id, round_a=None, round_b=None)
        return Filters(**data)


def version_labels(session: Session) -> dict[int, str]:
    """Every survey version as "Survey title · version N", for the round pickers."""
    rows = session.exec(
        select(SurveyVersion.id, SurveyVersion.number, Survey.title)
        .join(Survey, col(Survey.id) == col(SurveyVersion.survey_id))
        .order_by(col(Survey.title), col(SurveyVersion.number))
    ).all()
    return {vid: f"{title} · v{number}" for vid, number, title in rows if vid is not None}


def programme_codes(session: Session) -> dict[str, int]:
    rows = session.exec(select(Programme.code, Programme.id).order_by(col(Programme.code))).all()
    return {code: pid for code, pid in rows if pid is not None}


def _version(raw: str, name: str, versions: dict[int, str], errors: dict[str, str]) -> int | None:
    if not raw.isdigit():
        errors[name] = (
            f"'{raw}' is not a survey version number; choose a survey round from the list "
            "(a whole number such as 1) or leave it empty."
        )
        return None
    number = int(raw)
    if number not in versions:
        errors[name] = (
            f"There is no survey version {number}; choose one of the listed survey rounds "
            "or leave it empty."
        )
        return None
    return number


def parse(session: Session, params: Mapping[str, str]) -> Filters:
    """Validate query parameters into Filters; raises ValidationFailed naming what to change."""
    errors: dict[str, str] = {}
    known = set(FILTER_PARAMS) | set(COMPARE_PARAMS) | set(SITE_PARAMS)
    for name in params:
        if name not in known:
            errors[name] = (
                f"'{name}' is not a dashboard filter; use origin, programme, sector, skill, "
                "mode, version, round_a or round_b."
            )
    getlist = getattr(params, "getlist", None)  # a query string may repeat a parameter
    for name in (*FILTER_PARAMS, *COMPARE_PARAMS):
        if getlist is not None and len(getlist(name)) > 1:
            errors[name] = f"Give '{name}' once: a view takes one value of each filter."
    raw = {k: (params.get(k) or "").strip() for k in (*FILTER_PARAMS, *COMPARE_PARAMS)}
    origin = raw["origin"].upper() or None
    if origin and not is_country(origin):
        errors["origin"] = (
            f"'{raw['origin']}' is not a country code; use a two-letter ISO 3166 code such as "
            "GH, GY or XK, or leave it empty."
        )
    programme, programme_id = raw["programme"] or None, None
    if programme:
        codes = programme_codes(session)
        programme_id = codes.get(programme) or codes.get(programme.upper())
        if programme_id is None:
            listed = ", ".join(codes) or "none yet"
            errors["programme"] = (
                f"There is no programme with the code '{programme}'; use one of: {listed}."
            )
        else:
            programme = next(c for c, i in codes.items() if i == programme_id)
    sector = raw["sector"].lower().replace(" ", "_") or None
    if sector and sector not in SECTORS:
        errors["sector"] = f"'{raw['sector']}' is not a sector; use one of: {', '.join(SECTORS)}."
    mode = raw["mode"].lower() or None
    if mode and mode not in MODES:
        errors["mode"] = f"'{raw['mode']}' is not a mode; use temporary, permanent or virtual."
    skill = " ".join(raw["skill"].lower().split()) or None
    if skill and len(skill) > 200:
        errors["skill"] = "A skill is at most 200 characters; shorten it."
    versions = version_labels(session) if any(raw[k] for k in ("version", *COMPARE_PARAMS)) else {}
    version_id = _version(raw["version"], "version", versions, errors) if raw["version"] else None
    round_a = _version(raw["round_a"], "round_a", versions, errors) if raw["round_a"] else None
    round_b = _version(raw["round_b"], "round_b", versions, errors) if raw["round_b"] else None
    if (
        (round_a is None) != (round_b is None)
        and "round_a" not in errors
        and "round_b" not in errors
    ):
        errors["round_b" if round_b is None else "round_a"] = (
            "Choose two survey rounds to compare, or leave both empty."
        )
    elif round_a is not None and round_a == round_b:
        errors["round_b"] = "Choose two different survey rounds to compare."
    if errors:
        raise ValidationFailed(errors, "Some filters are not valid; change them and try again.")
    return Filters(
        origin=origin,
        programme=programme,
        programme_id=programme_id,
        sector=sector,
        skill=skill,
        mode=mode,
        version_id=version_id,
        round_a=round_a,
        round_b=round_b,
    )


def describe(filters: Filters, versions: dict[int, str]) -> list[tuple[str, str]]:
    """Human-readable (filter, value) pairs for headings and reports."""
    out: list[tuple[str, str]] = []
    if filters.origin:
        out.append(("Country of origin", f"{country_name(filters.origin)} ({filters.origin})"))
    if filters.programme:
        out.append(("Programme", filters.programme))
    if filters.sector:
        out.append(("Sector", filters.sector.replace("_", " ")))
    if filters.skill:
        out.append(("Skill", filters.skill))
    if filters.mode:
        out.append(("Mode", filters.mode))
    if filters.version_id is not None:
        out.append(("Survey round", versions.get(filters.version_id, str(filters.version_id))))
    return out
