"""Factories for placement requests, shortlists and assignments, built through the services."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from diaspora.assignments import service as assignments
from diaspora.assignments.models import Assignment
from diaspora.db import make_engine, metadata
from diaspora.placements import service as placements
from diaspora.placements.models import PlacementRequest, ShortlistEntry
from tests.conftest import USE_PG
from tests.factories import World


def request_data(world: World, **over: Any) -> dict[str, Any]:
    return {
        "programme_id": world.programme.id,
        "title": "Infection control trainer",
        "description": "Train ward nurses in infection prevention.",
        "sector": "health",
        "skills_essential": "nursing care",
        "skills_desirable": "infection control",
        "languages": "en",
        "min_education": "",
        "min_years_experience": 2,
        "mode": "temporary",
        "duration_weeks": 6,
        "start_from": "2027-03-01",
        "start_to": "2027-05-01",
        "location": "Accra",
        "positions": 1,
        **over,
    }


def make_request(
    session: Session, world: World, status: str = "draft", **over: Any
) -> PlacementRequest:
    """A request of institution A (carol's) in `status`, moved there through the state machine."""
    req = placements.create_request(
        session=session, actor=world.carol, data=request_data(world, **over)
    )
    path = {
        "draft": [],
        "submitted": [("submitted", world.carol)],
        "approved": [("submitted", world.carol), ("approved", world.sam)],
        "rejected": [("submitted", world.carol), ("rejected", world.sam)],
        "filled": [("submitted", world.carol), ("approved", world.sam)],
        "closed": [("submitted", world.carol), ("approved", world.sam), ("closed", world.sam)],
    }[status]
    for to, actor in path:
        req = placements.transition_request(
            session=session, actor=actor, request_id=req.id or 0, to=to, reason="because"
        )
    return req


def entry_of(session: Session, req: PlacementRequest, member_id: int) -> ShortlistEntry:
    entry = session.exec(
        select(ShortlistEntry).where(
            ShortlistEntry.request_id == req.id, ShortlistEntry.member_id == member_id
        )
    ).first()
    assert entry is not None, "member not on the shortlist"
    return entry


def shortlisted(
    session: Session, world: World, req: PlacementRequest, status: str = "shortlisted"
) -> ShortlistEntry:
    """Run matching and move alice's entry to `status` (shortlisted, contacted or interested)."""
    placements.run_matching(session=session, actor=world.sam, request_id=req.id or 0)
    entry = entry_of(session, req, world.alice_profile.id or 0)
    steps = {
        "suggested": [],
        "shortlisted": [("shortlisted", world.sam)],
        "contacted": [("shortlisted", world.sam), ("contacted", world.sam)],
        "interested": [
            ("shortlisted", world.sam),
            ("contacted", world.sam),
            ("interested", world.alice),
        ],
        "dismissed": [("dismissed", world.sam)],
    }[status]
    for to, actor in steps:
        entry = placements.transition_entry(
            session=session, actor=actor, entry_id=entry.id or 0, to=to
        )
    return entry


def make_assignment(
    session: Session, world: World, status: str = "proposed", **over: Any
) -> Assignment:
    """Alice assigned to an open request of institution A, moved to `status`."""
    req = make_request(session, world, "approved", **over)
    entry = shortlisted(session, world, req, "interested")
    a = assignments.propose(session=session, actor=world.sam, entry_id=entry.id or 0)
    path = {
        "proposed": [],
        "approved": [("approved", world.sam)],
        "accepted": [("approved", world.sam), ("accepted", world.alice)],
        "in_progress": [
            ("approved", world.sam),
            ("accepted", world.alice),
            ("in_progress", world.sam),
        ],
        "completed": [
            ("approved", world.sam),
            ("accepted", world.alice),
            ("in_progress", world.sam),
            ("completed", world.sam),
        ],
        "cancelled": [("cancelled", world.sam)],
        "declined": [("declined", world.alice)],
    }[status]
    for to, actor in path:
        data = (
            {"outcome_activities": "Trained 20 nurses", "people_trained": 20}
            if to == "completed"
            else None
        )
        a = assignments.transition_assignment(
            session=session,
            actor=actor,
            assignment_id=a.id or 0,
            to=to,
            reason="because",
            data=data,
        )
    return a


@pytest.fixture
def file_engine(engine, tmp_path):  # type: ignore[no-untyped-def]
    """An engine whose sessions have their own connections, for concurrency tests.

    PostgreSQL's engine already does; the in-memory SQLite of the other tests shares one
    connection, so a SQLite file stands in.
    """
    if USE_PG:
        yield engine
        return
    file_engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    metadata().create_all(file_engine)
    yield file_engine
    file_engine.dispose()
