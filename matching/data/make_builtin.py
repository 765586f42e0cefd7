"""Regenerate taxonomy.json, the small built-in taxonomy, from the ESCO CSV download.

    python -m matching.data.make_builtin ../shared/esco/v1.1.1

Keeps the occupations of the ISCO-08 unit groups diaspora programmes recruit for most
(health, education, engineering, finance, ICT, agriculture, public administration),
the skills those occupations rely on most, English and French labels, and the
occupation-to-skill relations among what is kept.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from matching.esco import read_esco
from matching.taxonomy import Concept, Taxonomy

OUT = Path(__file__).with_name("taxonomy.json")
SECTORS = {
    "health": [
        "2211",
        "2212",
        "2221",
        "2222",
        "2261",
        "2262",
        "2263",
        "2264",
        "2265",
        "2269",
        "2240",
        "3211",
        "3212",
        "3213",
        "3221",
        "3222",
        "2634",
        "1342",
    ],
    "education": ["2310", "2320", "2330", "2341", "2342", "2351", "2352", "2359", "1345"],
    "engineering": [
        "2141",
        "2142",
        "2143",
        "2144",
        "2145",
        "2146",
        "2149",
        "2151",
        "2152",
        "2153",
        "2161",
        "2164",
        "2165",
        "3112",
        "3113",
        "3115",
    ],
    "finance": ["2411", "2412", "2413", "3311", "3313", "1211"],
    "ict": [
        "2511",
        "2512",
        "2513",
        "2514",
        "2519",
        "2521",
        "2522",
        "2523",
        "2529",
        "3511",
        "3512",
        "3513",
        "1330",
    ],
    "agriculture": ["2131", "2132", "2133", "2250", "3142", "3143", "6111", "6121", "6221"],
    "public administration": [
        "1112",
        "1213",
        "2422",
        "2421",
        "2423",
        "2611",
        "2631",
        "2635",
        "3354",
        "1219",
    ],
}
# Occupations diaspora programmes (MIDA, TRQN, MIDWEB...) recruit most, always kept.
COMMON = """general practitioner|specialised doctor|nurse responsible for general care|specialist nurse|
midwife|pharmacist|dental practitioner|physiotherapist|radiographer|psychologist|epidemiologist|
public health policy officer|secondary school teacher|primary school teacher|higher education lecturer|
vocational teacher|special educational needs teacher|headteacher|civil engineer|electrical engineer|
mechanical engineer|water engineer|environmental engineer|architect|land surveyor|software developer|
ICT system administrator|database administrator|ICT network engineer|data scientist|
ICT security manager|web developer|ICT project manager|accountant|financial auditor|financial analyst|
economist|statistician|bank manager|agronomist|agricultural technician|farm manager|soil scientist|
hydrologist|policy officer|lawyer|judge|social worker|project manager|monitoring and evaluation officer|
human resources manager|energy engineer|telecommunications engineer|dietitian|optometrist|
public administration manager|ICT business analyst|healthcare assistant|
mathematics teacher at secondary school|science teacher secondary school"""
PER_GROUP = 2
MAX_SKILLS = 420
MAX_ALT = {"occupation": 8, "skill": 4}
LANGUAGES = ("en", "fr")


def _trim(labels: dict[str, tuple[str, ...]], limit: int) -> dict[str, tuple[str, ...]]:
    return {k: v[:limit] for k, v in labels.items() if k in LANGUAGES and v}


def build(esco: Path) -> Taxonomy:
    """The built-in subset of an ESCO download."""
    concepts, isco_labels = read_esco(esco)
    groups = {g for codes in SECTORS.values() for g in codes}
    by_group: dict[str, list[Concept]] = {}
    for c in concepts:
        if c.kind == "occupation" and c.isco_group in groups:
            by_group.setdefault(c.isco_group, []).append(c)
    wanted = {w.strip() for w in COMMON.split("|")}
    common = [c for c in concepts if c.kind == "occupation" and c.label() in wanted]
    missing = wanted - {c.label() for c in common}
    if missing:
        print(f"not in this ESCO: {sorted(missing)}", file=sys.stderr)
    # Then the broadest occupations of each group (fewest dots in the ESCO code).
    occupations = {c.id: c for c in common}
    for g in sorted(by_group):
        for c in sorted(by_group[g], key=lambda c: (c.code.count("."), c.code))[:PER_GROUP]:
            occupations.setdefault(c.id, c)
    counts: Counter[str] = Counter()
    for c in occupations.values():
        counts.update({s: 2 for s in c.essential_skills})
        counts.update({s: 1 for s in c.optional_skills})
    keep = {s for s, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_SKILLS]}
    skills = [c for c in concepts if c.id in keep]
    out = [
        Concept(
            c.id, "skill", _trim(dict(c.preferred), 1), _trim(dict(c.alternative), MAX_ALT["skill"])
        )
        for c in skills
    ]
    out += [
        Concept(
            c.id,
            "occupation",
            _trim(dict(c.preferred), 1),
            _trim(dict(c.alternative), MAX_ALT["occupation"]),
            isco_group=c.isco_group,
            code=c.code,
            essential_skills=tuple(s for s in c.essential_skills if s in keep),
            optional_skills=tuple(s for s in c.optional_skills if s in keep),
        )
        for c in occupations.values()
    ]
    used_groups = {c.isco_group for c in occupations.values()}
    return Taxonomy(out, isco_labels={g: isco_labels[g] for g in used_groups if g in isco_labels})


def main() -> None:
    """Write taxonomy.json next to this script."""
    taxonomy = build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/esco/v1.1.1"))
    data = {
        "source": "ESCO v1.1.1 (European Skills, Competences, Qualifications and Occupations), "
        "(c) European Union, https://esco.ec.europa.eu - subset, labels trimmed",
        **taxonomy.to_json(compact=True),
    }
    OUT.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    kinds = Counter(c.kind for c in taxonomy.concepts)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB): {dict(kinds)}")


if __name__ == "__main__":
    main()
