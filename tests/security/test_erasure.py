"""Erasure leaves nothing that identifies the member, anywhere the application keeps data.

Attacker finding: the erased member's address and resume link stayed in `outbox_message`
and on /staff/outbox.  This test gives a member every kind of trace (a response with an
uploaded file, mail to and about them, a shortlist entry, an assignment, sessions, a
token, failed sign-ins, a staff comment), erases them over HTTP, then searches every
text, JSON and binary column of every table, the outbox page and the matching index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from diaspora.accounts import service as accounts
from diaspora.assignments.models import Assignment
from diaspora.errors import DomainError
from diaspora.members import service as members
from diaspora.members.models import MemberProfile
from diaspora.outbox.service import enqueue
from diaspora.placements import matching
from diaspora.responses import respond, review
from diaspora.responses.models import ResponseAttachment
from tests.factories import build_world, csrf, sign_in
from tests.placement_factories import make_assignment
from tests.survey_factories import SLUG, builtin, submitted

FIRST, LAST, PHONE = "Zephyrine", "Quartermaine", "+44 7700 900123"
EMAIL = "alice@example.org"
NEEDLES = (EMAIL, FIRST, LAST, PHONE, "447700900123")


def _hits(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value).lower()
        return [n for n in NEEDLES if n.lower().encode() in data]
    text = (
        json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    ).lower()
    return [n for n in NEEDLES if n.lower() in text]


def database_hits(session) -> list[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    """(table, column, needles) for every stored value that still names the member: every
    column of every table, judged by the Python value it holds (text, JSON, bytes)."""
    session.expire_all()
    found = []
    tables = SQLModel.metadata.sorted_tables
    assert {"outbox_message", "audit_event", "response_attachment"} <= {t.name for t in tables}
    for table in tables:
        columns = list(table.columns)
        for row in session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, (str, bytes, dict, list)) and (hits := _hits(value)):
                    found.append((table.name, column.name, hits))
    return found


def object_hits(root: Any) -> list[str]:
    """Needles anywhere inside an in-memory object graph (the matching index)."""
    seen: set[int] = set()
    hits: list[str] = []
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes)):
            hits += _hits(obj)
        elif isinstance(obj, dict):
            stack += list(obj.keys()) + list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack += list(obj)
        elif dataclasses.is_dataclass(obj) or hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
            for name in getattr(obj, "__slots__", ()) or ():
                stack.append(getattr(obj, name, None))
            stack += list(getattr(obj, "__dict__", {}).values())
        elif getattr(getattr(obj, "dtype", None), "kind", "") in ("O", "U", "S"):
            stack += list(obj.ravel().tolist())
    return hits


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    w = build_world(session)
    builtin(session)
    return w


def dashboard(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/analytics/dashboard")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    tables = data["tables"]
    return {
        "members": data["members"],
        **{k: tables[k]["rows"] for k in ("residence", "origin", "sector") if k in tables},
    }


def give_every_trace(app, as_user, session, world) -> None:  # type: ignore[no-untyped-def]
    alice = world.alice
    member_id = world.alice_profile.id or 0
    members.update_profile(
        session=session,
        actor=alice,
        member_id=member_id,
        data={"first_name": FIRST, "last_name": LAST, "phone": PHONE},
    )
    response = submitted(session, alice, first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE)
    cv = f"%PDF-1.4 curriculum vitae of {FIRST} {LAST}, {EMAIL}".encode()
    session.add(
        ResponseAttachment(
            response_id=response.id or 0,
            question="cv",
            filename=f"cv-{LAST.lower()}.pdf",
            content_type="application/pdf",
            size=len(cv),
            sha256=hashlib.sha256(cv).hexdigest(),
            data=cv,
        )
    )
    session.commit()
    review.set_review(
        session=session,
        actor=world.sam,
        slug=SLUG,
        response_id=response.id or 0,
        state="has_issues",
        comment=f"Called {FIRST} {LAST} on {PHONE}: the city is wrong",
    )
    # Mail to them (a resume link) and about them (to staff).
    draft = respond.start(session=session, actor=alice)
    respond.send_resume_link(
        session=session, actor=alice, response_id=draft.id or 0, base_url="http://testserver"
    )
    enqueue(
        session=session,
        to_address="sam@example.org",
        subject=f"{FIRST} {LAST} accepted",
        body=f"{FIRST} {LAST} ({EMAIL}, {PHONE}) accepted the placement. Call {FIRST}.",
        kind="test.mention",
    )
    session.commit()
    # A shortlist entry and a completed assignment, with text the member and host wrote.
    assignment = make_assignment(session, world, "completed")
    assignment.member_report = f"I, {FIRST} {LAST}, trained twenty nurses."
    assignment.host_evaluation = f"{FIRST} {LAST} was excellent."
    session.add(assignment)
    session.commit()
    # Sessions, a token, failed sign-ins.
    sign_in(app, as_user(None), alice)
    accounts.issue_token(session=session, user=alice, name=f"{FIRST}'s phone")
    for _ in range(2):
        with pytest.raises(DomainError):
            accounts.authenticate(
                session=session, email=EMAIL, password="wrong", address="10.0.0.9"
            )


def test_erasure_leaves_nothing_that_identifies(app, as_user, session, world) -> None:
    give_every_trace(app, as_user, session, world)
    assert database_hits(session), "the test must start with traces to find"
    staff = as_user(world.sam)
    before = dashboard(staff)
    facts = [
        (a.status, a.mode, a.start_date, a.end_date, a.people_trained, a.request_id)
        for a in session.exec(select(Assignment)).scalars()
    ]

    alice = as_user(world.alice)
    erased = alice.post(
        "/me/erase",
        data={"confirm": "ERASE", "csrf_token": csrf(alice, "/me/erase")},
        follow_redirects=False,
    )
    assert erased.status_code == 303

    assert database_hits(session) == []
    page = staff.get("/staff/outbox")
    assert page.status_code == 200 and _hits(page.text) == [], page.text[-3000:]
    index = matching.current_index(session)
    assert str(world.alice_profile.id) not in index
    assert object_hits(index) == []
    assert object_hits(matching._CACHE.get(session.get_bind().engine)) == []

    # Aggregates and assignment facts still add up.
    assert dashboard(staff) == before
    session.expire_all()
    assert [
        (a.status, a.mode, a.start_date, a.end_date, a.people_trained, a.request_id)
        for a in session.exec(select(Assignment)).scalars()
    ] == facts
    profile = session.get(MemberProfile, world.alice_profile.id)
    assert profile is not None and profile.erased_at is not None
    assert profile.residence_country and profile.origin_country  # coarse attributes kept


def test_staff_cannot_erase_but_an_admin_can(session, world) -> None:
    from diaspora.errors import Forbidden

    with pytest.raises(Forbidden):
        members.erase(session=session, actor=world.sam, member_id=world.bob_profile.id or 0)
    members.erase(session=session, actor=world.ada, member_id=world.bob_profile.id or 0)
    assert [hit for hit in database_hits(session) if "bob@example.org" in str(hit)] == []
