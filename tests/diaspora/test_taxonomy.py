"""The taxonomy in the database: ESCO import, suggestions, built-in fallback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from diaspora.audit.models import AuditEvent
from diaspora.errors import ValidationFailed
from diaspora.taxonomy import service as taxonomy
from diaspora.taxonomy.models import SkillConcept

ESCO = Path(
    os.environ.get(
        "DIASPORA_ESCO_PATH", Path(__file__).resolve().parents[2].parent / "shared/esco/v1.1.1"
    )
)


def test_it_loads_the_builtin_taxonomy_and_suggests_skills(session) -> None:
    count = taxonomy.load_builtin(session=session)
    assert count > 50
    stored = session.exec(select(func.count()).select_from(SkillConcept)).one()
    assert stored == count
    some = session.exec(select(SkillConcept).where(SkillConcept.kind == "skill")).first()
    prefix = some.preferred_label[:4].lower()
    found = taxonomy.suggest(session=session, q=prefix, limit=50)
    assert found, "a stored label's own prefix must suggest something"
    assert found[0].lower().startswith(prefix)  # labels starting with the text come first
    assert all(prefix in s.lower() for s in found)
    assert taxonomy.suggest(session=session, q="a") == []  # too short to be useful
    assert not taxonomy.has_esco(session=session)


def test_it_builds_a_matching_taxonomy_from_the_database(session) -> None:
    taxonomy.load_builtin(session=session)
    tax = taxonomy.get_taxonomy(session=session)
    assert len(tax) == session.exec(select(func.count()).select_from(SkillConcept)).one()
    assert taxonomy.get_taxonomy(session=session) is tax  # cached until concepts change


def test_it_refuses_a_path_that_is_not_an_esco_download(session, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(ValidationFailed) as info:
        taxonomy.import_esco(session=session, actor=None, path=tmp_path)
    assert "ESCO" in info.value.errors["path"]


@pytest.mark.esco
@pytest.mark.skipif(not ESCO.exists(), reason="ESCO download not available")
def test_it_imports_the_official_esco_download(session) -> None:
    counts = taxonomy.import_esco(session=session, actor=None, path=ESCO)
    assert counts["skills"] > 13000 and counts["occupations"] > 2900
    assert taxonomy.has_esco(session=session)
    nurse = session.exec(
        select(SkillConcept).where(
            SkillConcept.kind == "occupation", SkillConcept.preferred_label == "specialist nurse"
        )
    ).first()
    assert nurse is not None and nurse.isco_group.startswith("2") and nurse.essential_skills
    assert "fr" in nurse.labels["preferred"]
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "taxonomy.import_esco")
    ).first()
    again = taxonomy.import_esco(
        session=session, actor=None, path=ESCO
    )  # replaces, does not duplicate
    assert session.exec(select(func.count()).select_from(SkillConcept)).one() == again["total"]


def test_it_reports_a_missing_path_on_the_command_line(tmp_path: Path) -> None:
    from diaspora.cli import app

    result = CliRunner().invoke(app, ["taxonomy", "import-esco", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output
