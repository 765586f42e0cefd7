"""The app side of matching: profiles and requests as `matching` records, and a cached index.

The ranking itself is the `matching` library's; this module decides who is eligible
(active `matching` consent, not erased), turns rows into the library's plain records, and
keeps one index per engine that follows profile changes incrementally, so new scores show
without a restart and without rebuilding the index on every request.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

import matching

try:
    from matching import Member, Request  # type: ignore[attr-defined]
except ImportError:  # the package root exports them once the library is complete
    from matching.records import Member, Request
from diaspora.members.models import MemberProfile
from diaspora.placements.models import PlacementRequest

log = logging.getLogger("diaspora.matching")


@dataclass(frozen=True, slots=True)
class RankedMember:
    member_id: int
    score: float
    explanation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RankedRequest:
    request_id: int
    score: float
    explanation: dict[str, Any]


# --- records ------------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def member_record(profile: MemberProfile) -> dict[str, Any]:
    """A profile in the library's members.jsonl shape (no identity: the id is the profile id)."""
    return {
        "id": str(profile.id),
        "occupation": profile.occupation_title,
        "occupation_code": profile.occupation_code,
        "skills": list(profile.skills),
        "skill_ids": list(profile.skill_ids),
        "languages": sorted({lang["code"] for lang in profile.languages if lang.get("code")}),
        "modes": list(profile.modes),
        "years_experience": int(profile.years_experience or 0),
        "education": "" if profile.education_level is None else str(profile.education_level),
        "country_of_residence": profile.residence_country,
        "sectors": list(profile.sectors),
        "available_from": _iso(profile.available_from),
        "available_to": _iso(profile.available_to),
    }


def request_record(req: PlacementRequest) -> dict[str, Any]:
    """A placement request in the library's requests.jsonl shape."""
    return {
        "id": str(req.id),
        "title": req.title,
        "description": req.description,
        "skills_essential": list(req.skills_essential),
        "skills_desirable": list(req.skills_desirable),
        "languages": list(req.languages),
        "mode": req.mode,
        "min_years_experience": int(req.min_years_experience or 0),
        "sector": req.sector,
        "min_education": "" if req.min_education is None else str(req.min_education),
        "start_from": _iso(req.start_from),
        "start_to": _iso(req.start_to),
    }


def _eligible() -> Any:
    # consent_matching mirrors the consent history (kept in step by the consent service).
    return col(MemberProfile.consent_matching).is_(True) & col(MemberProfile.erased_at).is_(None)


def plain_explanation(explanation: Any) -> dict[str, Any]:
    """The library's explanation as JSON-ready data (stored on the shortlist entry)."""
    if explanation is None:
        return {}
    if hasattr(explanation, "to_dict"):
        data = explanation.to_dict()
    elif dataclasses.is_dataclass(explanation) and not isinstance(explanation, type):
        data = dataclasses.asdict(explanation)
    elif isinstance(explanation, dict):
        data = explanation
    else:
        data = {"summary": str(explanation)}
    return json.loads(json.dumps(data, default=str))


# --- the per-engine index -----------------------------------------------------------------


@dataclass
class _Cached:
    index: Any
    stamps: dict[int, tuple[Any, int]]  # member id -> (updated_at, version)
    fingerprint: tuple[Any, ...]
    builds: int = 1
    refreshes: int = 0
    changed: int = 0


_CACHE: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """Cheap summary of the eligible set; any edit, consent change or erasure changes it."""
    row = session.exec(
        select(
            func.count(),
            func.max(MemberProfile.updated_at),
            func.sum(MemberProfile.id),
            func.sum(MemberProfile.version),
        ).where(_eligible())
    ).one()
    return tuple(row)


def _to_member(profile: MemberProfile) -> Any:
    return Member.from_dict(member_record(profile))


def _load(session: Session, ids: Sequence[int]) -> list[MemberProfile]:
    out: list[MemberProfile] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        out.extend(
            session.exec(select(MemberProfile).where(col(MemberProfile.id).in_(chunk))).all()
        )
    return out


def _members(profiles: Sequence[MemberProfile]) -> list[Any]:
    out = []
    for profile in profiles:
        try:
            out.append(_to_member(profile))
        except ValueError as exc:  # a profile the library cannot read is skipped, not fatal
            log.warning("member %s left out of matching: %s", profile.id, exc)
    return out


def _taxonomy() -> Any:
    try:
        from matching.taxonomy import Taxonomy

        return Taxonomy.builtin()
    except (ImportError, OSError, ValueError):  # the built-in file ships with the library
        return None


def _new_index(members: list[Any]) -> Any:
    factory = getattr(matching, "MatchIndex", None)
    if factory is None:
        return _FallbackIndex(members)
    taxonomy = _taxonomy()
    return factory(members, taxonomy=taxonomy) if taxonomy is not None else factory(members)


def _stamps(session: Session) -> dict[int, tuple[Any, int]]:
    rows = session.exec(
        select(MemberProfile.id, MemberProfile.updated_at, MemberProfile.version).where(_eligible())
    ).all()
    return {int(i or 0): (u, v) for i, u, v in rows}


def current_index(session: Session) -> Any:
    """The engine's index, brought up to date with the profiles table (changed members only)."""
    engine = _engine(session)
    fingerprint = _fingerprint(session)
    with _LOCK:
        cached = _CACHE.get(engine)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached.index
        stamps = _stamps(session)
        if cached is None:
            index = _new_index(_members(_load(session, sorted(stamps))))
            _CACHE[engine] = _Cached(index=index, stamps=stamps, fingerprint=fingerprint)
            return index
        removed = [i for i in cached.stamps if i not in stamps]
        changed = sorted(i for i, s in stamps.items() if cached.stamps.get(i) != s)
        for member_id in removed:
            cached.index.remove(str(member_id))
        for member in _members(_load(session, changed)):
            if int(member.id) in cached.stamps:
                cached.index.update(member)
            else:
                cached.index.add(member)
        cached.stamps, cached.fingerprint = stamps, fingerprint
        cached.refreshes += 1
        cached.changed += len(removed) + len(changed)
        return cached.index


def index_stats(session: Session) -> dict[str, int]:
    """How often the engine's index was built and refreshed (for tests and the admin)."""
    cached = _CACHE.get(_engine(session))
    if cached is None:
        return {"builds": 0, "refreshes": 0, "changed": 0, "members": 0}
    return {
        "builds": cached.builds,
        "refreshes": cached.refreshes,
        "changed": cached.changed,
        "members": len(cached.stamps),
    }


def rank_members(session: Session, req: PlacementRequest, *, limit: int = 50) -> list[RankedMember]:
    """Eligible members for a request, best first, each with the library's explanation."""
    request = Request.from_dict(request_record(req))
    with _LOCK:
        index = current_index(session)
        matches = index.rank(request, limit=limit)
    return [
        RankedMember(int(m.member_id), float(m.score), plain_explanation(m.explanation))
        for m in matches
    ]


def rank_requests_for(
    profile: MemberProfile, requests: Sequence[PlacementRequest], *, limit: int = 50
) -> list[RankedRequest]:
    """The reverse query: open requests ranked for one member, hard constraints applied."""
    if not requests:
        return []
    member = _to_member(profile)
    parsed = []
    for req in requests:
        try:
            parsed.append(Request.from_dict(request_record(req)))
        except ValueError as exc:
            log.warning("request %s left out of matching: %s", req.id, exc)
    ranker = getattr(matching, "rank_requests", None) or _fallback_rank_requests
    matches = ranker(member, parsed, limit=limit)
    return [
        RankedRequest(int(m.request_id), float(m.score), plain_explanation(m.explanation))
        for m in matches
    ]


# --- a stand-in while the library's index is being written -------------------------------
# Used only when `matching.MatchIndex` / `matching.rank_requests` do not exist yet; it keeps
# the same interface and the same hard constraints, with a plain word-overlap score.


@dataclass(frozen=True, slots=True)
class _Match:
    member_id: str
    request_id: str
    score: float
    explanation: dict[str, Any]


def _words(text: str) -> set[str]:
    from matching.text import tokens

    return set(tokens(text))


def _fits(member: Any, request: Any) -> bool:
    if not set(request.languages) <= set(member.languages):
        return False
    if request.mode and request.mode not in member.modes:
        return False
    if member.years_experience < request.min_years_experience:
        return False
    starts, ends = request.start_from, request.start_to
    if member.available_to and starts and member.available_to < starts:
        return False
    return not (member.available_from and ends and member.available_from > ends)


def _score(member: Any, request: Any) -> _Match:
    own = [(skill, _words(skill)) for skill in (*member.skills, member.occupation) if skill]
    covered: list[dict[str, str]] = []
    missing: list[str] = []
    parts = {"essential": 0.0, "desirable": 0.0}
    for kind, skills, weight in (
        ("essential", request.skills_essential, 0.75),
        ("desirable", request.skills_desirable, 0.25),
    ):
        for skill in skills:
            want = _words(skill)
            best = max(own, key=lambda o: len(want & o[1]) / max(len(want), 1), default=None)
            share = len(want & best[1]) / max(len(want), 1) if best else 0.0
            if share >= 0.5 and best is not None:
                covered.append({"skill": skill, "via": best[0], "kind": kind})
                parts[kind] += weight * share / max(len(skills), 1)
            elif kind == "essential":
                missing.append(skill)
    score = round(parts["essential"] + parts["desirable"], 4)
    return _Match(
        member_id=member.id,
        request_id=request.id,
        score=score,
        explanation={"covered": covered, "missing_essential": missing, "factors": parts},
    )


class _FallbackIndex:
    def __init__(self, members: Sequence[Any]) -> None:
        self._members = {m.id: m for m in members}

    def add(self, member: Any) -> None:
        self._members[member.id] = member

    def update(self, member: Any) -> None:
        self._members[member.id] = member

    def remove(self, member_id: str) -> None:
        self._members.pop(member_id, None)

    def rank(self, request: Any, *, limit: int = 50) -> list[_Match]:
        found = [_score(m, request) for m in self._members.values() if _fits(m, request)]
        found.sort(key=lambda m: (-m.score, int(m.member_id)))
        return found[:limit]


def _fallback_rank_requests(member: Any, requests: Sequence[Any], *, limit: int = 50) -> list[Any]:
    found = [_score(member, r) for r in requests if _fits(member, r)]
    found.sort(key=lambda m: (-m.score, int(m.request_id)))
    return found[:limit]
