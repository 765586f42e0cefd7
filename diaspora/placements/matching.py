"""The app side of matching: profiles and requests as `matching` records, and a cached index.

The ranking itself is the `matching` library's; this module decides who is eligible
(active `matching` consent, not erased), turns rows into the library's plain records, and
keeps one index per engine that follows profile changes incrementally, so new scores show
without a restart and without rebuilding the index on every request.
"""

from __future__ import annotations

import dataclasses
import functools
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

from diaspora.members.models import MemberProfile
from diaspora.placements.models import PlacementRequest
from matching import MatchIndex, Member, Request, Taxonomy, rank_requests

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
    index: MatchIndex
    taxonomy: Taxonomy
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


@functools.cache
def _words_only() -> Taxonomy:
    log.warning("no skill taxonomy available; matching on words only")
    return Taxonomy([])


def _taxonomy(session: Session) -> Taxonomy:
    """The stored taxonomy (ESCO or built-in); without one, matching runs on words alone."""
    from diaspora.taxonomy.service import get_taxonomy

    try:
        return get_taxonomy(session=session)
    except OSError:  # no concepts stored and the library's built-in file is missing
        return _words_only()


def _stamps(session: Session) -> dict[int, tuple[Any, int]]:
    rows = session.exec(
        select(MemberProfile.id, MemberProfile.updated_at, MemberProfile.version).where(_eligible())
    ).all()
    return {int(i or 0): (u, v) for i, u, v in rows}


def current_index(session: Session) -> MatchIndex:
    """The engine's index, brought up to date with the profiles table (changed members only).

    A new taxonomy (e.g. after an ESCO import) rebuilds it, since every member is re-encoded.
    """
    engine = _engine(session)
    fingerprint = _fingerprint(session)
    taxonomy = _taxonomy(session)
    with _LOCK:
        cached = _CACHE.get(engine)
        if cached is not None and cached.taxonomy is taxonomy and cached.fingerprint == fingerprint:
            return cached.index
        stamps = _stamps(session)
        if cached is None or cached.taxonomy is not taxonomy:
            index = MatchIndex(_members(_load(session, sorted(stamps))), taxonomy=taxonomy)
            builds = cached.builds + 1 if cached else 1
            _CACHE[engine] = _Cached(
                index=index,
                taxonomy=taxonomy,
                stamps=stamps,
                fingerprint=fingerprint,
                builds=builds,
            )
            return index
        removed = [i for i in cached.stamps if i not in stamps]
        changed = sorted(i for i, s in stamps.items() if cached.stamps.get(i) != s)
        for member_id in removed:
            if str(member_id) in cached.index:
                cached.index.remove(str(member_id))
        for member in _members(_load(session, changed)):
            cached.index.update(member)  # adds the member when it is new
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
    with _LOCK:  # the index is mutated in place by refreshes
        index = current_index(session)
        matches = index.rank(request, limit=limit)
    return [
        RankedMember(int(m.member_id), float(m.score), plain_explanation(m.explanation))
        for m in matches
    ]


def rank_requests_for(
    session: Session,
    profile: MemberProfile,
    requests: Sequence[PlacementRequest],
    *,
    limit: int = 50,
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
    taxonomy = _taxonomy(session)
    try:
        matches = rank_requests(member, parsed, limit=limit, taxonomy=taxonomy)
    except (TypeError, ValueError):
        # One unreadable pair must not empty a member's page: rank request by request and
        # leave out (and log) only the ones the library fails on.
        log.exception("reverse ranking failed for member %s; retrying one by one", profile.id)
        matches = []
        for request in parsed:
            try:
                matches += rank_requests(member, [request], limit=1, taxonomy=taxonomy)
            except (TypeError, ValueError) as exc:
                log.warning("request %s left out for member %s: %r", request.id, profile.id, exc)
        matches.sort(key=lambda m: (-m.score, m.request_id))
        matches = matches[:limit]
    return [
        RankedRequest(int(m.request_id), float(m.score), plain_explanation(m.explanation))
        for m in matches
    ]
