"""ESCO's licence asks for a notice wherever its data is used."""

from __future__ import annotations

from diaspora.taxonomy.models import SkillConcept
from diaspora.taxonomy.service import ESCO_NOTICE


def test_it_shows_the_esco_notice_only_when_esco_is_stored(app, session) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert ESCO_NOTICE not in client.get("/login").text
        session.add(
            SkillConcept(
                id="http://data.europa.eu/esco/skill/x",
                preferred_label="nursing care",
                source="esco",
            )
        )
        session.commit()
        app.state.esco_checked = (0.0, False)  # the page rechecks every few minutes; do it now
        assert ESCO_NOTICE in client.get("/login").text
