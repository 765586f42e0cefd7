"""Pages and API for placement requests, shortlists, opportunities, assignments and reports."""

from __future__ import annotations

from sqlmodel import select

from diaspora.consent.service import set_consents
from diaspora.members.pseudonyms import for_request
from diaspora.outbox.models import OutboxMessage
from diaspora.placements.models import PlacementRequest, ShortlistEntry
from diaspora.taxonomy.models import SkillConcept
from tests.factories import csrf, deliver_mail
from tests.placement_factories import make_assignment, make_request, request_data, shortlisted
from web.security import CSRF_HEADER


def post(client, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    """A form post with this client's CSRF token."""
    return client.post(
        path, data={**data, "csrf_token": csrf(client)}, follow_redirects=False, **kw
    )


def form_data(world, **over) -> dict:  # type: ignore[no-untyped-def]
    return {k: "" if v is None else str(v) for k, v in request_data(world, **over).items()}


# --- institution pages ---------------------------------------------------------------------


def test_it_creates_and_submits_a_request_from_the_form(session, world, as_user) -> None:
    carol = as_user(world.carol)
    r = post(carol, "/institution/requests/new", {**form_data(world), "submit": "1"})
    assert r.status_code == 303
    req = session.exec(select(PlacementRequest)).one()
    assert r.headers["location"] == f"/institution/requests/{req.id}?saved=1"
    assert req.status == "submitted" and req.institution_id == world.inst_a.id
    page = carol.get(r.headers["location"]).text
    assert (
        "Infection control trainer" in page and "submitted" in page and "request.submitted" in page
    )
    assert "Infection control trainer" in carol.get("/institution/requests").text
    staff_mail = session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == "request.submitted")
    ).one()
    assert staff_mail.to_address == "sam@example.org"


def test_it_shows_errors_next_to_fields_and_keeps_typed_values(session, world, as_user) -> None:
    carol = as_user(world.carol)
    data = form_data(
        world,
        title="Lab mentor",
        start_from="2027-05-01",
        start_to="2027-03-01",
        positions=0,
        languages="en, xx",
    )
    r = post(carol, "/institution/requests/new", data)
    assert r.status_code == 422
    html = r.text
    for field in ("start_to", "positions", "languages"):
        assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error"' in html
    assert 'value="Lab mentor"' in html and 'value="en, xx"' in html
    assert "unknown language code" in html
    assert session.exec(select(PlacementRequest)).all() == []


def test_it_adds_a_suggested_skill_without_javascript(session, world, as_user) -> None:
    carol = as_user(world.carol)
    post(
        carol,
        "/institution/requests/new",
        {**form_data(world), "add_essential": "infection control"},
    )
    req = session.exec(select(PlacementRequest)).one()
    assert req.skills_essential == ["nursing care", "infection control"]


def test_it_suggests_skills_for_the_datalist(session, world, as_user) -> None:
    session.add(SkillConcept(id="s1", preferred_label="infection control"))
    session.commit()
    html = as_user(world.carol).get("/skills/suggest", params={"add_essential": "infec"}).text
    assert '<option value="infection control">' in html
    assert as_user(world.carol).get("/api/v1/skills", params={"q": "infec"}).json() == [
        "infection control"
    ]


def test_it_edits_a_draft_and_refuses_a_stale_form(session, world, as_user) -> None:
    req = make_request(session, world)
    carol = as_user(world.carol)
    assert 'name="version" value="1"' in carol.get(f"/institution/requests/{req.id}/edit").text
    r = post(
        carol,
        f"/institution/requests/{req.id}/edit",
        {**form_data(world, positions=2), "version": "1"},
    )
    assert r.status_code == 303
    r = post(
        carol,
        f"/institution/requests/{req.id}/edit",
        {**form_data(world, positions=5), "version": "1"},
    )
    assert r.status_code == 409 and "changed by someone else" in r.text
    assert 'value="5"' in r.text  # what was typed is kept
    session.refresh(req)
    assert (req.positions, req.version) == (2, 2)


def test_it_shows_a_clear_message_for_an_invalid_transition(session, world, as_user) -> None:
    req = make_request(session, world, "submitted")
    carol = as_user(world.carol)
    r = post(
        carol,
        f"/institution/requests/{req.id}/transition",
        {"to": "approved", "version": str(req.version)},
    )
    assert r.status_code == 409
    assert "Only staff can move a request from submitted to approved" in r.text
    assert "<h1>Infection control trainer</h1>" in r.text  # the request page, not a bare error


def test_it_shows_other_institutions_nothing(session, world, as_user) -> None:
    req = make_request(session, world, "approved")
    dave = as_user(world.dave)
    assert dave.get(f"/institution/requests/{req.id}").status_code == 404
    assert "Infection control trainer" not in dave.get("/institution/requests").text
    assert dave.get(f"/api/v1/requests/{req.id}").status_code == 404
    assert dave.get("/api/v1/requests").json() == []


# --- staff pages ---------------------------------------------------------------------------


def test_it_lets_staff_filter_the_queue_and_decide(session, world, as_user) -> None:
    submitted = make_request(session, world, "submitted", title="To review")
    make_request(session, world, "draft", title="Still a draft")
    sam = as_user(world.sam)
    html = sam.get("/staff/requests", params={"status": "submitted"}).text
    assert "To review" in html and "Still a draft" not in html
    assert (
        "To review"
        in sam.get("/staff/requests", params={"programme": str(world.programme.id)}).text
    )
    r = post(
        sam,
        f"/staff/requests/{submitted.id}/transition",
        {"to": "rejected", "reason": "", "version": "2"},
    )
    assert r.status_code == 422 and "give a reason to reject" in r.text
    r = post(
        sam,
        f"/staff/requests/{submitted.id}/transition",
        {"to": "draft", "reason": "Add dates", "version": "2"},
    )
    assert r.status_code == 303
    session.refresh(submitted)
    assert (submitted.status, submitted.status_reason) == ("draft", "Add dates")
    assert "Add dates" in as_user(world.carol).get(f"/institution/requests/{submitted.id}").text


def test_it_runs_matching_and_curates_the_shortlist(session, world, as_user) -> None:
    req = make_request(session, world, "approved")
    sam = as_user(world.sam)
    r = post(sam, f"/staff/requests/{req.id}/shortlist/run", {})
    assert r.status_code == 303
    html = sam.get(f"/staff/requests/{req.id}/shortlist").text
    assert world.alice_profile.pseudonym in html and world.bob_profile.pseudonym in html
    assert (
        "Why this score" in html
        and "nursing care (essential)" in html
        and "Factor contributions" in html
    )
    assert "Alice" not in html  # pseudonyms only
    only_de = sam.get(f"/staff/requests/{req.id}/shortlist", params={"country": "DE"}).text
    assert world.bob_profile.pseudonym in only_de and world.alice_profile.pseudonym not in only_de
    entry = session.exec(
        select(ShortlistEntry).where(ShortlistEntry.member_id == world.alice_profile.id)
    ).one()
    r = post(sam, f"/staff/shortlist/{entry.id}/transition", {"to": "contacted", "version": "1"})
    assert r.status_code == 303
    body = session.exec(
        select(OutboxMessage.body).where(OutboxMessage.kind == "shortlist.contacted")
    ).one()
    assert "http://testserver/opportunities/respond?token={{secret}}" in body
    (mail,) = deliver_mail(session, "shortlist.contacted")
    assert "http://testserver/opportunities/respond?token=" in mail.body
    r = post(sam, f"/staff/shortlist/{entry.id}/transition", {"to": "contacted", "version": "1"})
    assert r.status_code == 409 and "changed by someone else" in r.text


def test_it_refuses_matching_on_a_draft_with_a_message(session, world, as_user) -> None:
    req = make_request(session, world, "draft")
    r = post(as_user(world.sam), f"/staff/requests/{req.id}/shortlist/run", {})
    assert r.status_code == 409 and "Matching runs on submitted or open requests" in r.text


# --- members -------------------------------------------------------------------------------


def test_it_answers_through_the_contact_link_for_the_signed_in_member_only(
    session, world, as_user
) -> None:
    req = make_request(session, world, "approved")
    shortlisted(session, world, req, "contacted")
    (mail,) = deliver_mail(session, "shortlist.contacted")
    token = mail.token()
    anonymous = as_user(None)
    r = anonymous.get(
        f"/opportunities/respond?token={token}&answer=interested", follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert as_user(world.bob).get(f"/opportunities/respond?token={token}").status_code == 404
    alice = as_user(world.alice)
    page = alice.get(f"/opportunities/respond?token={token}&answer=interested")
    assert page.status_code == 200 and "Infection control trainer" in page.text
    entry = session.exec(
        select(ShortlistEntry).where(ShortlistEntry.member_id == world.alice_profile.id)
    ).one()
    session.refresh(entry)
    assert entry.status == "contacted"  # opening the link changes nothing
    r = post(alice, "/opportunities/respond", {"token": token, "answer": "interested"})
    assert r.status_code == 303
    session.refresh(entry)
    assert entry.status == "interested"
    assert "Your answer" in alice.get(f"/opportunities/{req.id}").text
    # The institution sees that a member answered, never which account did.
    history = as_user(world.carol).get(f"/institution/requests/{req.id}").text
    assert "shortlist.interested" in history and f"member #{world.alice.id}" not in history
    assert f"member #{world.alice.id}" in as_user(world.sam).get(f"/staff/requests/{req.id}").text


def test_it_lists_fitting_opportunities_and_records_interest(session, world, as_user) -> None:
    req = make_request(session, world, "approved", title="Fits alice")
    make_request(session, world, "approved", title="Needs French", languages="en, fr")
    alice = as_user(world.alice)
    html = alice.get("/opportunities").text
    assert "Fits alice" in html and "Needs French" not in html
    r = post(alice, f"/opportunities/{req.id}/respond", {"answer": "maybe"})
    assert r.status_code == 422 and "expected interested or declined" in r.text
    r = post(alice, f"/opportunities/{req.id}/respond", {"answer": "declined"})
    assert r.status_code == 303
    api = alice.get("/api/v1/me/opportunities").json()
    assert [(o["title"], o["answer"]) for o in api] == [("Fits alice", "declined")]
    assert "Alice" not in str(api)


# --- assignments ---------------------------------------------------------------------------


def test_it_runs_an_assignment_through_the_pages(session, world, as_user) -> None:
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"share_with_institution": True},
    )
    req = make_request(session, world, "approved")
    entry = shortlisted(session, world, req, "interested")
    sam, alice, carol = as_user(world.sam), as_user(world.alice), as_user(world.carol)
    r = post(sam, f"/staff/shortlist/{entry.id}/propose", {})
    assert r.status_code == 303
    path = r.headers["location"]
    aid = int(path.rsplit("/", 1)[1])
    assert "Alice" not in carol.get(f"/institution/assignments/{aid}").text  # not approved yet
    assert post(sam, f"{path}/edit", {"end_date": "2020-01-01", "version": "1"}).status_code == 422
    assert (
        post(
            sam,
            f"{path}/edit",
            {"host_supervisor": "Dr. K. Owusu", "allowance": "EUR 900", "version": "1"},
        ).status_code
        == 303
    )
    assert post(sam, f"{path}/transition", {"to": "approved", "version": "2"}).status_code == 303
    assert "Alice" in carol.get(f"/institution/assignments/{aid}").text  # released and audited
    mine = alice.get(f"/my/assignments/{aid}").text
    assert "Dr. K. Owusu" in mine and "Accept" in mine
    assert (
        post(
            alice, f"/my/assignments/{aid}/transition", {"to": "accepted", "version": "3"}
        ).status_code
        == 303
    )
    assert post(sam, f"{path}/transition", {"to": "in_progress", "version": "4"}).status_code == 303
    r = post(
        sam, f"{path}/transition", {"to": "completed", "version": "5", "outcome_activities": ""}
    )
    assert r.status_code == 422 and "describe what was done" in r.text
    r = post(
        sam,
        f"{path}/transition",
        {
            "to": "completed",
            "version": "5",
            "outcome_activities": "Workshops",
            "people_trained": "25",
        },
    )
    assert r.status_code == 303
    r = post(
        carol,
        f"/institution/assignments/{aid}/evaluation",
        {"party": "host", "rating": "9", "version": "6"},
    )
    assert r.status_code == 422 and "rating from 1" in r.text
    assert (
        post(
            carol,
            f"/institution/assignments/{aid}/evaluation",
            {"party": "host", "rating": "5", "text": "Great", "version": "6"},
        ).status_code
        == 303
    )
    assert (
        post(
            alice,
            f"/my/assignments/{aid}/evaluation",
            {"party": "member", "rating": "4", "report": "Trained 25 nurses", "version": "7"},
        ).status_code
        == 303
    )
    html = sam.get(path).text
    assert "5/5 Great" in html and "Trained 25 nurses" in html and "assignment.completed" in html
    assert as_user(world.bob).get(f"/my/assignments/{aid}").status_code == 404
    assert as_user(world.dave).get(f"/institution/assignments/{aid}").status_code == 404


# --- API -----------------------------------------------------------------------------------


def api_body(world, **over) -> dict:  # type: ignore[no-untyped-def]
    body = {
        **request_data(world),
        "skills_essential": ["nursing care"],
        "skills_desirable": ["infection control"],
        "languages": ["en"],
        "min_education": None,
    }
    return {**body, **over}


def api(client, method: str, path: str, json=None):  # type: ignore[no-untyped-def]
    """A cookie-authenticated API call (with the CSRF header the pages give)."""
    return client.request(method, path, json=json, headers={CSRF_HEADER: csrf(client)})


def test_api_validates_requests_naming_fields(session, world, as_user) -> None:
    carol = as_user(world.carol)
    body = api_body(
        world, languages=["en", "zz"], start_from="2027-05-01", start_to="2027-01-01", positions=0
    )
    r = api(carol, "POST", "/api/v1/requests", body)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"languages", "start_to", "positions"}
    r = api(carol, "POST", "/api/v1/requests", {**body, "start_from": "soon"})
    assert r.status_code == 422 and "start_from" in r.json()["errors"]
    assert session.exec(select(PlacementRequest)).all() == []


def test_api_runs_the_request_workflow_with_versions(session, world, as_user) -> None:
    carol, sam = as_user(world.carol), as_user(world.sam)
    body = api_body(world, submit=True)
    created = api(carol, "POST", "/api/v1/requests", body).json()
    assert (created["status"], created["version"]) == ("submitted", 2)
    assert created["allowed_transitions"] == ["closed"]
    rid = created["id"]
    r = api(carol, "PATCH", f"/api/v1/requests/{rid}", {"title": "x", "version": 2})
    assert r.status_code == 409 and "cannot be edited" in r.json()["detail"]
    r = api(carol, "POST", f"/api/v1/requests/{rid}/transitions", {"to": "approved", "version": 2})
    assert r.status_code == 409 and r.json()["detail"].startswith("Only staff")
    r = api(sam, "POST", f"/api/v1/requests/{rid}/transitions", {"to": "approved"})
    assert r.status_code == 422 and "version" in r.json()["errors"]
    r = api(sam, "POST", f"/api/v1/requests/{rid}/transitions", {"to": "approved", "version": 1})
    assert r.status_code == 409 and "changed by someone else" in r.json()["detail"]
    r = api(sam, "POST", f"/api/v1/requests/{rid}/transitions", {"to": "approved", "version": 2})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    ranked = api(sam, "POST", f"/api/v1/requests/{rid}/shortlist/run").json()
    assert {e["pseudonym"] for e in ranked} == {
        world.alice_profile.pseudonym,
        world.bob_profile.pseudonym,
    }
    alice_entry = next(e for e in ranked if e["member_id"] == world.alice_profile.id)
    assert alice_entry["explanation"]["covered"][0]["skill"] == "nursing care"
    r = api(
        sam,
        "POST",
        f"/api/v1/shortlist/{alice_entry['id']}/transitions",
        {"to": "shortlisted", "version": 1},
    )
    assert r.json() == {"id": alice_entry["id"], "status": "shortlisted", "version": 2}
    institution_view = api(carol, "GET", f"/api/v1/requests/{rid}/shortlist").json()
    # The institution gets the request's pseudonym, never the stable one (issue 11).
    assert [e["pseudonym"] for e in institution_view] == [for_request(world.alice_profile.id, rid)]
    assert institution_view[0]["member_id"] is None and institution_view[0]["explanation"] is None
    assert "alice" not in str(institution_view).lower()
    a = api(
        sam, "POST", "/api/v1/assignments", {"entry_id": alice_entry["id"], "allowance": "EUR 900"}
    )
    assert a.status_code == 201 and a.json()["status"] == "proposed"
    aid = a.json()["id"]
    assert api(carol, "GET", f"/api/v1/assignments/{aid}").json()["member"] is None
    r = api(
        sam, "POST", f"/api/v1/assignments/{aid}/transitions", {"to": "completed", "version": 1}
    )
    assert r.status_code == 409 and "cannot become completed" in r.json()["detail"]
    r = api(sam, "PATCH", f"/api/v1/assignments/{aid}", {"end_date": "2001-01-01", "version": 1})
    assert r.status_code == 422 and "end_date" in r.json()["errors"]
    assert api(sam, "GET", "/api/v1/reports/programme", None).json()["assignments"] == 1


def test_api_report_and_downloads(session, world, as_user) -> None:
    make_assignment(session, world, "completed")
    sam = as_user(world.sam)
    data = sam.get("/api/v1/reports/programme", params={"programme": "MIDA-GH"}).json()
    assert data["programme"] == "MIDA-GH" and data["people_trained"] == 20
    assert data["members_placed_by_mode"]["temporary"] == 1
    assert sam.get("/api/v1/reports/programme", params={"programme": "NOPE"}).status_code == 404
    csv = sam.get("/reports/programme.csv", params={"programme": "MIDA-GH"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="programme-report-MIDA-GH.csv"' in csv.headers["content-disposition"]
    assert "people trained,20" in csv.content.decode("utf-8-sig")
    xlsx = sam.get("/reports/programme.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert "1 diaspora members on assignment" in sam.get("/reports").text
