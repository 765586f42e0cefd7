"""Linking a candidate across requests (issue 11, finding 19).

Alice is on the shortlists of a request of institution A (carol) and of institution B
(dave), and assigned (proposed, identity not released) on A's. Each institution sees her
under a pseudonym of its own request, unrelated to the other one and to her stable
pseudonym; nothing else they are given (pages, API answers, links, mail) carries an id or
name that would link the two.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from diaspora.assignments import service as assignments
from diaspora.members.pseudonyms import for_request
from diaspora.outbox.models import OutboxMessage
from diaspora.placements import service as placements
from tests.factories import World
from tests.placement_factories import request_data, shortlisted

PSEUDONYM = re.compile(r"DM-[0-9A-Z]{6}")


def _request_of_b(session: Session, world: World) -> int:
    req = placements.create_request(
        session=session, actor=world.dave, data=request_data(world, title="Nurse educator")
    )
    for to, actor in (("submitted", world.dave), ("approved", world.sam)):
        req = placements.transition_request(
            session=session, actor=actor, request_id=req.id or 0, to=to, reason="because"
        )
    return req.id or 0


def _request_of_a(session: Session, world: World) -> int:
    req = placements.create_request(session=session, actor=world.carol, data=request_data(world))
    for to, actor in (("submitted", world.carol), ("approved", world.sam)):
        req = placements.transition_request(
            session=session, actor=actor, request_id=req.id or 0, to=to, reason="because"
        )
    return req.id or 0


def test_one_member_has_unrelated_pseudonyms_on_two_institutions_requests(
    session: Session, world: World, as_user
) -> None:
    from diaspora.placements.models import PlacementRequest

    a_id, b_id = _request_of_a(session, world), _request_of_b(session, world)
    for rid in (a_id, b_id):
        req = session.get(PlacementRequest, rid)
        assert req is not None
        entry = shortlisted(session, world, req, "interested")
    entry_a = next(
        e.entry_id
        for e in placements.get_shortlist(session=session, actor=world.sam, request_id=a_id)
        if e.member_id == world.alice_profile.id
    )
    assignment = assignments.propose(session=session, actor=world.sam, entry_id=entry_a)
    assert entry is not None
    alice, stable = world.alice_profile.id or 0, world.alice_profile.pseudonym
    on_a, on_b = for_request(alice, a_id), for_request(alice, b_id)
    assert len({on_a, on_b, stable}) == 3

    carol, dave = as_user(world.carol), as_user(world.dave)
    seen: dict[str, list[str]] = {"carol": [], "dave": []}
    for who, client, rid, mine in (("carol", carol, a_id, on_a), ("dave", dave, b_id, on_b)):
        page = client.get(f"/institution/requests/{rid}")
        api = client.get(f"/api/v1/requests/{rid}/shortlist")
        assert page.status_code == 200 and api.status_code == 200
        assert mine in page.text
        assert [e["pseudonym"] for e in api.json() if e["pseudonym"] == mine] == [mine]
        assert all(e["member_id"] is None for e in api.json())
        seen[who] += [page.text, api.text]
    # The host's assignment pages, API and mail use the request's pseudonym.
    listing = carol.get("/institution/assignments")
    detail = carol.get(f"/institution/assignments/{assignment.id}")
    api_one = carol.get(f"/api/v1/assignments/{assignment.id}")
    api_all = carol.get("/api/v1/assignments")
    assert on_a in listing.text and on_a in detail.text
    assert api_one.json()["pseudonym"] == on_a and api_one.json()["member"] is None
    assert [a["pseudonym"] for a in api_all.json()] == [on_a]
    seen["carol"] += [listing.text, detail.text, api_one.text, api_all.text]
    mail = session.exec(
        select(OutboxMessage.body).where(OutboxMessage.to_address == "carol@example.org")
    ).all()
    assert any(on_a in body for body in mail)
    seen["carol"] += list(mail)

    for who, texts in seen.items():
        everything = "\n".join(texts)
        other = on_b if who == "carol" else on_a
        # Neither her stable pseudonym, nor the other request's, nor her name or id in a link.
        assert stable not in everything and other not in everything, who
        assert "Alice" not in everything and "alice@" not in everything, who
        assert f"/members/{alice}" not in everything and "member_id=" not in everything, who
        assert not re.search(rf"/(?:staff/)?members?/{alice}\b", everything), who
    # Staff keep the stable pseudonym to find the member again.
    staff_page = as_user(world.sam).get(f"/staff/requests/{a_id}/shortlist").text
    assert stable in staff_page and on_a not in staff_page


def test_pseudonyms_differ_per_member_and_request_and_do_not_repeat() -> None:
    names = {for_request(member, request) for member in range(1, 60) for request in range(1, 30)}
    assert len(names) == 59 * 29  # no collision in this range
    assert all(PSEUDONYM.fullmatch(n) for n in names)
    # Stable: the same member on the same request is always shown the same way.
    assert for_request(7, 3) == for_request(7, 3)


def test_institutions_see_only_the_skills_asked_for_and_a_band_of_years(
    session: Session, world: World, as_user
) -> None:
    # Exact years and a member's whole skill list would fingerprint a candidate across
    # requests as surely as a stable pseudonym (attacker re-run of issue 11).
    from diaspora.members import service as members
    from diaspora.placements.models import PlacementRequest

    members.update_profile(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id or 0,
        data={"skills": ["nursing care", "sign language interpreting"], "years_experience": 7},
    )
    a_id = _request_of_a(session, world)
    req = session.get(PlacementRequest, a_id)
    assert req is not None
    shortlisted(session, world, req, "interested")
    carol = as_user(world.carol)
    (row,) = [
        e
        for e in carol.get(f"/api/v1/requests/{a_id}/shortlist").json()
        if e["pseudonym"] == for_request(world.alice_profile.id or 0, a_id)
    ]
    assert row["skills"] == ["nursing care"]
    assert row["years_experience"] is None and row["experience"] == "6-10"
    page = carol.get(f"/institution/requests/{a_id}").text
    assert "sign language interpreting" not in page and "6-10" in page
    staff = placements.get_shortlist(session=session, actor=world.sam, request_id=a_id)
    (mine,) = [e for e in staff if e.member_id == world.alice_profile.id]
    assert "sign language interpreting" in mine.skills and mine.years_experience == 7
