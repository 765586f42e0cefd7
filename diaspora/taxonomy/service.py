"""The skill/occupation taxonomy stored in the database: ESCO import, suggestions, and the
matching library's Taxonomy built from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.errors import ValidationFailed
from diaspora.taxonomy.models import SkillConcept
from matching.taxonomy import Concept, Taxonomy

ESCO_NOTICE = "This service uses the ESCO classification of the European Commission."
BATCH = 2000

Progress = Callable[[int, int], None]


def _row(concept: Concept, source: str) -> dict[str, Any]:
    return {
        "id": concept.id,
        "kind": concept.kind,
        "preferred_label": concept.label("en")[:300],
        "labels": {
            "preferred": {k: list(v) for k, v in concept.preferred.items()},
            "alternative": {k: list(v) for k, v in concept.alternative.items()},
            "code": concept.code,
        },
        "isco_group": concept.isco_group[:10],
        "essential_skills": list(concept.essential_skills),
        "optional_skills": list(concept.optional_skills),
        "source": source,
    }


def _store(
    session: Session, concepts: Sequence[Concept], source: str, progress: Progress | None
) -> int:
    session.exec(delete(SkillConcept).where(col(SkillConcept.source) == source))  # type: ignore[call-overload]
    total = len(concepts)
    for start in range(0, total, BATCH):
        rows = [_row(c, source) for c in concepts[start : start + BATCH]]
        session.execute(SkillConcept.__table__.insert(), rows)  # type: ignore[attr-defined]
        if progress:
            progress(min(start + BATCH, total), total)
    return total


def import_esco(
    *, session: Session, actor: User | None, path: Path, progress: Progress | None = None
) -> dict[str, int]:
    """Replace the ESCO concepts with those of an official ESCO CSV download (zip or folder)."""
    from matching.esco import EscoError, read_esco

    if actor is not None:
        require(actor, "survey.design")
    try:
        concepts, _isco_labels = read_esco(path)
    except (EscoError, OSError, KeyError, UnicodeDecodeError) as exc:
        raise ValidationFailed({"path": f"not a readable ESCO CSV download: {exc}"}) from exc
    # Skill ids shared with the built-in set would collide; ESCO replaces them.
    session.exec(
        delete(SkillConcept).where(
            col(SkillConcept.id).in_([c.id for c in concepts]),  # type: ignore[call-overload]
            col(SkillConcept.source) != "esco",
        )
    )
    count = _store(session, concepts, "esco", progress)
    counts = {
        "skills": sum(1 for c in concepts if c.kind == "skill"),
        "occupations": sum(1 for c in concepts if c.kind == "occupation"),
        "total": count,
    }
    record(
        session=session,
        actor=actor,
        action="taxonomy.import_esco",
        entity="taxonomy",
        details=counts,
    )
    session.commit()
    _cache.clear()
    return counts


def load_builtin(*, session: Session) -> int:
    """Store the small taxonomy that ships with the code (when no ESCO import exists)."""
    concepts = list(Taxonomy.builtin().concepts)
    count = _store(session, concepts, "builtin", None)
    session.commit()
    _cache.clear()
    return count


def has_esco(*, session: Session) -> bool:
    return (
        session.exec(select(SkillConcept.id).where(SkillConcept.source == "esco").limit(1)).first()
        is not None
    )


def suggest(*, session: Session, q: str, kind: str = "skill", limit: int = 10) -> list[str]:
    """Preferred labels starting with (then containing) the typed text, for form suggestions."""
    text = q.strip().lower()
    if len(text) < 2:
        return []
    label = func.lower(SkillConcept.preferred_label)
    base = select(SkillConcept.preferred_label).where(SkillConcept.kind == kind)
    starts = session.exec(
        base.where(label.like(f"{text}%"))
        .order_by(func.length(SkillConcept.preferred_label))
        .limit(limit)
    ).all()
    if len(starts) >= limit:
        return list(starts)
    contains = session.exec(
        base.where(label.like(f"%{text}%"))
        .order_by(func.length(SkillConcept.preferred_label))
        .limit(limit * 2)
    ).all()
    return list(dict.fromkeys([*starts, *contains]))[:limit]


_cache: dict[tuple[Any, ...], Taxonomy] = {}


def get_taxonomy(*, session: Session) -> Taxonomy:
    """The matching library's Taxonomy from the stored concepts (cached until they change)."""
    count, esco = session.exec(
        select(func.count(), func.sum(func.length(SkillConcept.source)))  # cheap change stamp
    ).one()
    key = (id(session.get_bind()), count, esco)
    if key in _cache:
        return _cache[key]
    if not count:
        taxonomy = Taxonomy.builtin()
    else:
        concepts = [
            Concept(
                id=row.id,
                kind=row.kind,
                preferred={k: tuple(v) for k, v in row.labels.get("preferred", {}).items()},
                alternative={k: tuple(v) for k, v in row.labels.get("alternative", {}).items()},
                isco_group=row.isco_group,
                code=row.labels.get("code", ""),
                essential_skills=tuple(row.essential_skills),
                optional_skills=tuple(row.optional_skills),
            )
            for row in session.exec(select(SkillConcept))
        ]
        taxonomy = Taxonomy(concepts)
    _cache.clear()
    _cache[key] = taxonomy
    return taxonomy
