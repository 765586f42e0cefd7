"""Reading the ESCO CSV download: a folder of zips, a single zip, an extracted folder."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from matching import Member, Request, Taxonomy
from matching.esco import EscoError, load_esco, read_esco
from matching.index import MatchIndex

OCC = "http://data.europa.eu/esco/occupation/"
SK = "http://data.europa.eu/esco/skill/"


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


FILES = {
    "classification-en-csv.zip": {
        "occupations_en.csv": _csv(
            [
                {
                    "conceptType": "Occupation",
                    "conceptUri": OCC + "nurse",
                    "iscoGroup": "2221",
                    "preferredLabel": "nurse responsible for general care",
                    "altLabels": "general nurse\nregistered nurse",
                    "hiddenLabels": "registred nurse",
                    "code": "2221.1",
                },
            ]
        ),
        "skills_en.csv": _csv(
            [
                {
                    "conceptType": "KnowledgeSkillCompetence",
                    "conceptUri": SK + "wound",
                    "preferredLabel": "wound care",
                    "altLabels": "treat wounds",
                    "hiddenLabels": "",
                },
                {
                    "conceptType": "KnowledgeSkillCompetence",
                    "conceptUri": SK + "meds",
                    "preferredLabel": "administer medication",
                    "altLabels": "",
                    "hiddenLabels": "",
                },
            ]
        ),
        "ISCOGroups_en.csv": _csv(
            [{"conceptUri": "x", "code": "2221", "preferredLabel": "Nursing professionals"}]
        ),
    },
    "classification-fr-partial-csv.zip": {
        "occupations_fr.csv": _csv(
            [
                {
                    "conceptType": "Occupation",
                    "conceptUri": OCC + "nurse",
                    "iscoGroup": "2221",
                    "preferredLabel": "infirmier/infirmière",
                    "altLabels": "infirmier soins généraux",
                    "hiddenLabels": "",
                    "code": "2221.1",
                },
            ]
        ),
    },
    "relations-csv.zip": {
        "occupationSkillRelations.csv": _csv(
            [
                {
                    "occupationUri": OCC + "nurse",
                    "relationType": "essential",
                    "skillType": "skill",
                    "skillUri": SK + "wound",
                },
                {
                    "occupationUri": OCC + "nurse",
                    "relationType": "optional",
                    "skillType": "skill",
                    "skillUri": SK + "meds",
                },
            ]
        ),
    },
}


def _zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)


@pytest.fixture(params=["folder of zips", "single zip", "extracted folder", "zip of zips"])
def esco_download(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    kind = request.param
    if kind == "folder of zips":
        for name, files in FILES.items():
            _zip(tmp_path / name, files)
        return tmp_path
    if kind == "single zip":
        _zip(tmp_path / "esco.zip", {n: t for files in FILES.values() for n, t in files.items()})
        return tmp_path / "esco.zip"
    if kind == "extracted folder":
        for name, files in FILES.items():
            folder = tmp_path / name.removesuffix(".zip")
            folder.mkdir()
            for n, t in files.items():
                (folder / n).write_text(t, encoding="utf-8")
        return tmp_path
    inner = tmp_path / "inner"
    inner.mkdir()
    for name, files in FILES.items():
        _zip(inner / name, files)
    _zip(tmp_path / "all.zip", {})
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as z:
        for p in inner.iterdir():
            z.write(p, f"esco/{p.name}")
    return tmp_path / "all.zip"


def test_it_reads_concepts_labels_relations_and_isco_groups(esco_download: Path) -> None:
    concepts, isco = read_esco(esco_download)
    by_id = {c.id: c for c in concepts}
    nurse = by_id[OCC + "nurse"]
    assert nurse.kind == "occupation"
    assert nurse.isco_group == "2221" and nurse.code == "2221.1"
    assert nurse.preferred == {
        "en": ("nurse responsible for general care",),
        "fr": ("infirmier/infirmière",),
    }
    assert "registred nurse" in nurse.alternative["en"]
    assert nurse.essential_skills == (SK + "wound",)
    assert nurse.optional_skills == (SK + "meds",)
    assert by_id[SK + "wound"].alternative == {"en": ("treat wounds",)}
    assert isco == {"2221": "Nursing professionals"}
    taxonomy = Taxonomy(concepts, isco_labels=isco)
    assert [m.concept_id for m in taxonomy.match("infirmière", kind="occupation")] == [
        OCC + "nurse"
    ]


def test_it_refuses_a_path_without_esco(tmp_path: Path) -> None:
    with pytest.raises(EscoError, match="not found"):
        read_esco(tmp_path / "nope")
    with pytest.raises(EscoError, match="no ESCO"):
        read_esco(tmp_path)


def test_it_caches_the_compiled_taxonomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, files in FILES.items():
        _zip(tmp_path / name, files)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = load_esco(tmp_path)
    assert list((tmp_path / "cache" / "diaspora-matching").glob("esco-*.pickle"))
    again = load_esco(tmp_path)
    assert again.concepts == first.concepts
    assert again.match("wound cre") == first.match("wound cre")


@pytest.mark.esco
def test_it_reads_the_real_esco_download(esco_taxonomy: Taxonomy) -> None:
    kinds = [c.kind for c in esco_taxonomy.concepts]
    assert kinds.count("occupation") > 2900 and kinds.count("skill") > 13000
    found = esco_taxonomy.match("directrice technique", kind="occupation")
    director = esco_taxonomy.get(found[0].concept_id)
    assert director is not None and director.label() == "technical director"
    assert director.isco_group == "2654" and director.essential_skills
    assert esco_taxonomy.isco_labels["2654"]
    assert (
        esco_taxonomy.match("tecnhical and oerations director", kind="occupation")[0].concept_id
        == director.id
    )


@pytest.mark.esco
def test_it_ranks_with_esco_across_languages_and_typos(esco_taxonomy: Taxonomy) -> None:
    members = [
        Member.from_dict(
            {
                "id": "fr",
                "occupation": "infirmière",
                "skills": ["soin des plaies"],
                "languages": ["fr", "en"],
                "modes": ["virtual"],
                "years_experience": 6,
            }
        ),
        Member.from_dict(
            {
                "id": "typo",
                "occupation": "sofware developer",
                "skills": ["pyhton"],
                "languages": ["en"],
                "modes": ["virtual"],
                "years_experience": 6,
            }
        ),
    ]
    index = MatchIndex(members, taxonomy=esco_taxonomy)
    nurse_job = Request.from_dict(
        {
            "id": "r",
            "title": "nurse responsible for general care",
            "mode": "virtual",
            "languages": ["en"],
        }
    )
    dev_job = Request.from_dict(
        {
            "id": "d",
            "title": "software developer",
            "skills_essential": ["Python (computer programming)"],
            "mode": "virtual",
            "languages": ["en"],
        }
    )
    assert [m.member_id for m in index.rank(nurse_job)][0] == "fr"
    top = index.rank(dev_job)[0]
    assert top.member_id == "typo"
    assert top.explanation is not None and top.explanation.covered[0].member_words == ("pyhton",)
