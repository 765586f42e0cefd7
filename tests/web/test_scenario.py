"""The whole placement loop through HTTP, as each party would drive it.

Carol (institution A) posts a request, Sam (staff) approves it, matching proposes members,
Alice says she is interested and accepts, the assignment runs and completes with its outcome
report and both evaluations. Each party's view, the outbox, the audit trail and the report
figures are checked, and Dave (institution B) and Bob (another member) see none of it.
"""

from __future__ import annotations

import html as htmllib
import re

from diaspora.members.pseudonyms import for_request
from tests.factories import csrf, deliver_mail
from web.security import CSRF_HEADER


def _post(client, path: str, data: dict, expect: int = 303):  # type: ignore[no-untyped-def]
    response = client.post(path, data={**data, "csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == expect, (path, response.status_code, response.text[:2000])
    return response


def _version(html: str, action: str) -> str:
    """The version a page's form for `action` carries."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def test_the_whole_placement_loop(world, as_user, session) -> None:
    carol, sam, alice = as_user(world.carol), as_user(world.sam), as_user(world.alice)
    dave, bob = as_user(world.dave), as_user(world.bob)

    # Alice adds French and agrees to share her identity with host institutions.
    me = alice.get("/me/edit").text
    _post(
        alice,
        "/me/edit",
        {
            "skills": "nursing care, infection control",
            "languages": "en:C1, fr:B2",
            "modes": ["temporary", "virtual"],
            "version": _version(me, "/me/edit"),
        },
    )
    _post(
        alice,
        "/me/consents",
        {"purpose": ["mapping", "matching", "contact", "share_with_institution"]},
    )

    # 1. Carol posts and submits a request that needs English and French.
    created = _post(
        carol,
        "/institution/requests/new",
        {
            "programme_id": str(world.programme.id),
            "title": "Infection prevention trainer",
            "description": "Train ward nurses in Accra in infection prevention and control.",
            "sector": "health",
            "skills_essential": "infection control\nnursing care",
            "skills_desirable": "train health workers",
            "languages": "en, fr",
            "min_education": "",
            "min_years_experience": "3",
            "mode": "temporary",
            "duration_weeks": "6",
            "start_from": "2027-03-01",
            "start_to": "2027-05-01",
            "location": "Accra",
            "positions": "1",
            "submit": "1",
        },
    )
    request_id = int(created.headers["location"].split("/")[3].split("?")[0])
    req_path = f"/institution/requests/{request_id}"

    # 2. Sam finds it in the queue and approves it.
    queue = sam.get("/staff/requests", params={"status": "submitted"}).text
    assert "Infection prevention trainer" in queue
    staff_page = sam.get(f"/staff/requests/{request_id}").text
    _post(
        sam,
        f"/staff/requests/{request_id}/transition",
        {
            "to": "approved",
            "version": _version(staff_page, f"/staff/requests/{request_id}/transition"),
        },
    )
    assert "open" in carol.get(req_path).text

    # 3. Matching: Alice fits; Bob, who speaks no French, never appears.
    _post(sam, f"/staff/requests/{request_id}/shortlist/run", {})
    shortlist = sam.get(f"/staff/requests/{request_id}/shortlist").text
    assert world.alice_profile.pseudonym in shortlist
    assert world.bob_profile.pseudonym not in shortlist
    assert "infection control (essential) ← infection control" in htmllib.unescape(shortlist)
    entry_id = int(re.search(r'id="entry-(\d+)"', shortlist).group(1))
    action = f"/staff/shortlist/{entry_id}/transition"
    _post(sam, action, {"to": "shortlisted", "version": _version(shortlist, action)})
    shortlist = sam.get(f"/staff/requests/{request_id}/shortlist").text
    _post(sam, action, {"to": "contacted", "version": _version(shortlist, action)})

    # The institution sees the shortlist, pseudonymised.
    carol_view = carol.get(req_path).text
    # The request's own pseudonym (issue 11): the stable one is for staff only.
    per_request = for_request(world.alice_profile.id or 0, int(request_id))
    assert per_request in carol_view and "Alice" not in carol_view
    assert world.alice_profile.pseudonym not in carol_view

    # 4. Alice follows the link in the message she received (staff see it redacted), says yes.
    outbox = htmllib.unescape(sam.get("/staff/outbox").text)
    assert "[link sent only to the addressee]" in outbox and "respond?token=" not in outbox
    (mail,) = deliver_mail(session, "shortlist.contacted")
    token = re.search(r"/opportunities/respond\?token=([\w-]+)&answer=interested", mail.body).group(
        1
    )
    assert bob.get(f"/opportunities/respond?token={token}").status_code == 404
    assert "Infection prevention trainer" in alice.get(f"/opportunities/respond?token={token}").text
    _post(alice, "/opportunities/respond", {"token": token, "answer": "interested"})
    assert "Infection prevention trainer" in alice.get("/opportunities").text

    # 5. Sam proposes the assignment, records details and approves it.
    proposed = _post(sam, f"/staff/shortlist/{entry_id}/propose", {})
    staff_path = proposed.headers["location"]
    assignment_id = int(staff_path.rsplit("/", 1)[1])
    page = sam.get(staff_path).text
    _post(
        sam,
        f"{staff_path}/edit",
        {
            "start_date": "2027-03-08",
            "end_date": "2027-04-19",
            "host_supervisor": "Dr. K. Owusu",
            "allowance": "EUR 1,200 per month + travel",
            "travel_details": "AMS-ACC on 7 March",
            "version": _version(page, f"{staff_path}/edit"),
        },
    )
    inst_path = f"/institution/assignments/{assignment_id}"
    assert "Alice" not in carol.get(inst_path).text  # only proposed: pseudonym
    page = sam.get(staff_path).text
    _post(
        sam,
        f"{staff_path}/transition",
        {"to": "approved", "version": _version(page, f"{staff_path}/transition")},
    )
    released = carol.get(inst_path).text
    assert "Alice" in released and "alice@example.org" in released  # approved + consent

    # 6. Alice accepts; the placement runs and completes with its outcome report.
    my_path = f"/my/assignments/{assignment_id}"
    page = alice.get(my_path).text
    assert "Dr. K. Owusu" in page
    _post(
        alice,
        f"{my_path}/transition",
        {"to": "accepted", "version": _version(page, f"{my_path}/transition")},
    )
    page = sam.get(staff_path).text
    _post(
        sam,
        f"{staff_path}/transition",
        {"to": "in_progress", "version": _version(page, f"{staff_path}/transition")},
    )
    page = sam.get(staff_path).text
    _post(
        sam,
        f"{staff_path}/transition",
        {
            "to": "completed",
            "version": re.search(
                r'name="to" value="completed">\s*<input type="hidden" name="version" value="(\d+)"',
                page,
            ).group(1),
            "outcome_activities": "Six workshops and bedside coaching on three wards.",
            "people_trained": "42",
            "deliverables": "IPC checklist and a trainers' handbook.",
        },
    )

    # 7. Both evaluations.
    page = carol.get(inst_path).text
    _post(
        carol,
        f"{inst_path}/evaluation",
        {
            "party": "host",
            "rating": "5",
            "text": "Very useful.",
            "version": _version(page, f"{inst_path}/evaluation"),
        },
    )
    page = alice.get(my_path).text
    _post(
        alice,
        f"{my_path}/evaluation",
        {
            "party": "member",
            "rating": "4",
            "text": "Well organised.",
            "report": "Trained 42 nurses; follow-up online sessions agreed.",
            "version": _version(page, f"{my_path}/evaluation"),
        },
    )

    # Each party's view.
    final_staff = sam.get(staff_path).text
    for text in ("completed", "42", "5/5 Very useful.", "4/5 Well organised.", "Trained 42 nurses"):
        assert text in final_staff
    assert "completed" in carol.get("/institution/assignments").text
    assert "Infection prevention trainer" in alice.get("/my/assignments").text
    assert (
        world.alice_profile.pseudonym
        in sam.get("/staff/assignments", params={"status": "completed"}).text
    )

    # The outbox: every party heard what concerned them.
    outbox = sam.get("/staff/outbox").text
    for kind in (
        "request.submitted",
        "request.approved",
        "shortlist.shortlisted",
        "shortlist.contacted",
        "shortlist.interested",
        "assignment.proposed",
        "assignment.approved",
        "assignment.accepted",
        "assignment.completed",
        "evaluation.due",
    ):
        assert kind in outbox, kind
    assert "dave@example.org" not in outbox and "bob@example.org" not in outbox

    # The audit trail on each record, and the identity release.
    history = carol.get(req_path).text
    for action_name in (
        "request.create",
        "request.submitted",
        "request.approved",
        "shortlist.run",
        "shortlist.contacted",
        "shortlist.interested",
        "assignment.proposed",
    ):
        assert action_name in history, action_name
    a_history = sam.get(staff_path).text
    for action_name in (
        "assignment.proposed",
        "assignment.update",
        "assignment.approved",
        "assignment.accepted",
        "assignment.in_progress",
        "assignment.completed",
        "assignment.evaluation_host",
        "assignment.evaluation_member",
    ):
        assert action_name in a_history, action_name
    releases = sam.get("/admin/audit", params={"action": "member.identity_release"}).text
    assert (
        f"member {world.alice_profile.id}" in releases
        and f"institution #{world.carol.id}" in releases
    )

    # The report figures come from this data.
    report = sam.get("/reports").text
    assert "1 diaspora members on assignment: 1 temporary, 0 permanent, 0 virtual." in report
    figures = sam.get(
        "/api/v1/reports/programme", params={"programme": world.programme.code}
    ).json()
    assert (figures["members_placed"], figures["completed"], figures["people_trained"]) == (
        1,
        1,
        42,
    )
    assert (figures["host_rating_avg"], figures["member_rating_avg"]) == (5.0, 4.0)
    residence = next(t for t in figures["tables"] if t["key"] == "assignments_by_residence")
    assert residence["rows"] == [["NL", 1, 1, 42]]
    assert "people trained,42" in sam.get("/reports/programme.csv").content.decode("utf-8-sig")

    # Dave (institution B) and Bob (another member) see none of it.
    for path in (req_path, f"{req_path}/edit", inst_path):
        assert dave.get(path).status_code == 404, path
    assert "Infection prevention trainer" not in dave.get("/institution/requests").text
    assert "Infection prevention trainer" not in dave.get("/institution/assignments").text
    for path in (
        f"/api/v1/requests/{request_id}",
        f"/api/v1/requests/{request_id}/shortlist",
        f"/api/v1/assignments/{assignment_id}",
    ):
        assert dave.get(path).status_code == 404, path
        assert bob.get(path).status_code == 404, path
    assert dave.get("/api/v1/assignments").json() == []
    assert bob.get(my_path).status_code == 404
    assert bob.get(f"/opportunities/{request_id}").status_code == 404
    assert "Infection prevention trainer" not in bob.get("/opportunities").text
    assert "Infection prevention trainer" not in bob.get("/my/assignments").text
    assert bob.get("/api/v1/assignments").json() == []
    assert bob.get("/api/v1/me/opportunities").json() == []
    late = bob.post(
        f"/opportunities/{request_id}/respond",
        data={"answer": "interested", "csrf_token": csrf(bob)},
        follow_redirects=False,
    )
    assert late.status_code == 404
    assert dave.get("/reports").status_code == 403 and bob.get("/reports").status_code == 403
    # A cookie API call by dave to move the assignment is refused without revealing it.
    assert (
        dave.post(
            f"/api/v1/assignments/{assignment_id}/transitions",
            json={"to": "cancelled", "reason": "x", "version": 1},
            headers={CSRF_HEADER: csrf(dave)},
        ).status_code
        == 404
    )
