"""Fixtures for the matching library: a tiny hand-made taxonomy, member factories, ESCO."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from matching import Concept, Member, Request, Taxonomy

ROOT = Path(__file__).resolve().parents[2]
ESCO_PATH = Path(os.environ.get("DIASPORA_ESCO_PATH") or ROOT.parent / "shared" / "esco" / "v1.1.1")


def skill(sid: str, label: str, *alt: str, fr: tuple[str, ...] = ()) -> Concept:
    """A skill concept with English labels (and optional French alternatives)."""
    alternative = {"en": alt} if alt else {}
    if fr:
        alternative["fr"] = fr
    return Concept(f"s:{sid}", "skill", {"en": (label,)}, alternative)


def occupation(
    oid: str,
    label: str,
    isco: str,
    essential: tuple[str, ...],
    optional: tuple[str, ...] = (),
    *,
    alt=(),
    fr=(),
) -> Concept:
    """An occupation concept with its ISCO group and skills (ids without the 's:' prefix)."""
    alternative: dict[str, tuple[str, ...]] = {"en": tuple(alt)} if alt else {}
    if fr:
        alternative["fr"] = tuple(fr)
    return Concept(
        f"o:{oid}",
        "occupation",
        {"en": (label,)},
        alternative,
        isco_group=isco,
        code=f"{isco}.{oid}",
        essential_skills=tuple(f"s:{s}" for s in essential),
        optional_skills=tuple(f"s:{s}" for s in optional),
    )


CONCEPTS = [
    skill("care", "provide nursing care", "nursing care", "patient care"),
    skill("meds", "administer medication", "give medicines"),
    skill("wound", "wound care", "treat wounds"),
    skill("prenatal", "provide prenatal care", "antenatal care"),
    skill("birth", "assist childbirth", "deliver babies"),
    skill("python", "Python (computer programming)", "python", "python programming"),
    skill("code", "write computer code", "programming", "coding"),
    skill("debug", "debug software", "fix software bugs"),
    skill("js", "JavaScript", "javascript programming"),
    skill("html", "HTML", "hypertext markup language"),
    skill("struct", "structural analysis", "analyse structures"),
    skill("cad", "use CAD software", "computer-aided design"),
    skill("teach", "teach mathematics", "mathematics teaching"),
    skill("plan", "prepare lesson plans", "lesson planning"),
    skill("budget", "manage budgets", "budgeting"),
    occupation(
        "nurse",
        "nurse responsible for general care",
        "2221",
        ("care", "meds", "wound"),
        ("budget",),
        alt=("general nurse", "registered nurse"),
        fr=("infirmière", "infirmier"),
    ),
    occupation(
        "snurse",
        "specialist nurse",
        "2221",
        ("care", "meds"),
        ("wound",),
        alt=("nurse specialist",),
    ),
    occupation("midwife", "midwife", "2222", ("prenatal", "birth", "care"), fr=("sage-femme",)),
    occupation(
        "dev",
        "software developer",
        "2512",
        ("python", "code", "debug"),
        ("js",),
        alt=("programmer", "software engineer"),
        fr=("développeur logiciel",),
    ),
    occupation("web", "web developer", "2513", ("js", "html", "code"), ("debug",)),
    occupation(
        "civil", "civil engineer", "2142", ("struct", "cad"), ("budget",), fr=("ingénieur civil",)
    ),
    occupation("teacher", "mathematics teacher", "2330", ("teach", "plan"), alt=("maths teacher",)),
]


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    """The hand-made taxonomy above."""
    return Taxonomy(
        CONCEPTS, isco_labels={"2221": "Nursing professionals", "2512": "Software developers"}
    )


def member(mid: str, **kw: Any) -> Member:
    """A member who passes the usual constraints unless told otherwise."""
    base: dict[str, Any] = {
        "id": mid,
        "languages": ["en"],
        "modes": ["temporary", "virtual", "permanent"],
        "years_experience": 5,
    }
    base.update(kw)
    return Member.from_dict(base)


def request(rid: str = "r1", **kw: Any) -> Request:
    """A request with sensible defaults."""
    base: dict[str, Any] = {
        "id": rid,
        "languages": ["en"],
        "mode": "temporary",
        "min_years_experience": 0,
    }
    base.update(kw)
    return Request.from_dict(base)


@pytest.fixture(scope="session")
def esco_taxonomy() -> Taxonomy:
    """The full ESCO taxonomy, loaded once per session (skips when the download is absent)."""
    if not ESCO_PATH.exists():
        pytest.skip(f"ESCO not found at {ESCO_PATH}")
    from matching.esco import load_esco

    return load_esco(ESCO_PATH)
