"""The survey API: definitions, submissions (422 per field), the Kobo REST Service endpoint."""

from __future__ import annotations

import pytest
from sqlmodel import select

from diaspora.accounts import service as accounts
from diaspora.members.models import MemberProfile
from diaspora.responses.models import Response
from tests.factories import build_world
from tests.survey_factories import SLUG, answers, builtin


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    w = build_world(session)
    builtin(session)
    return w


def bearer(session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {accounts.issue_token(session=session, user=user)}"}


def test_it_lists_surveys_and_gives_the_definition(client, session, world) -> None:
    headers = bearer(session, world.alice)
    listed = client.get("/api/v1/surveys", headers=headers).json()
    assert [(s["slug"], s["current_version"]) for s in listed] == [(SLUG, 1)]
    assert listed[0]["languages"] == ["en", "fr", "es", "pt", "ar"]
    survey = client.get(f"/api/v1/surveys/{SLUG}", headers=headers).json()
    assert survey["version"] == 1 and survey["definition"]["settings"]["form_id"] == SLUG
    assert client.get("/api/v1/surveys/nope", headers=headers).status_code == 404
    assert client.get("/api/v1/surveys").status_code == 401


def test_a_member_submits_their_own_answers(client, session, world) -> None:
    headers = bearer(session, world.alice)
    created = client.post(
        f"/api/v1/surveys/{SLUG}/responses",
        json={"answers": answers(residence_city="Leiden")},
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "submitted" and body["created"] is True
    stored = session.get(Response, body["id"])
    assert stored.user_id == world.alice.id and stored.source == "web"
    session.refresh(world.alice_profile)
    assert world.alice_profile.residence_city == "Leiden"
    own = client.get(f"/api/v1/responses/{body['id']}", headers=headers)
    assert own.status_code == 200 and own.json()["answers"]["residence_city"] == "Leiden"
    other = client.get(f"/api/v1/responses/{body['id']}", headers=bearer(session, world.bob))
    assert other.status_code == 404


def test_invalid_answers_get_one_error_per_field(client, session, world) -> None:
    bad = answers(birth_year="nineteen", willing="no", gender="robot", unknown_question="x")
    response = client.post(
        f"/api/v1/surveys/{SLUG}/responses",
        json={"answers": bad},
        headers=bearer(session, world.alice),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    errors = body["errors"]
    assert "whole number" in errors["birth_year"]
    assert "gender" in errors and "unknown_question" in errors
    assert "modes" in errors  # answered although "willing" is no: not relevant
    assert session.exec(select(Response)).first() is None
    missing = client.post(
        f"/api/v1/surveys/{SLUG}/responses", json={}, headers=bearer(session, world.alice)
    )
    assert missing.status_code == 422 and "answers" in missing.json()["errors"]


def test_profile_refusals_are_field_errors_too(client, session, world) -> None:
    response = client.post(
        f"/api/v1/surveys/{SLUG}/responses",
        json={"answers": answers(birth_year=1930, years_experience=75)},
        headers=bearer(session, world.alice),
    )
    assert response.status_code == 422 and "years_experience" in response.json()["errors"]


def test_staff_submit_on_behalf_idempotently(client, session, world) -> None:
    headers = bearer(session, world.sam)
    body = {"answers": answers(), "external_id": "paper-form-17"}
    first = client.post(f"/api/v1/surveys/{SLUG}/responses", json=body, headers=headers)
    again = client.post(f"/api/v1/surveys/{SLUG}/responses", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    stored = session.get(Response, first.json()["id"])
    assert stored.source == "api" and stored.user_id is None
    assert session.get(MemberProfile, stored.member_id).user_id is None
    institution = client.post(
        f"/api/v1/surveys/{SLUG}/responses", json=body, headers=bearer(session, world.carol)
    )
    assert institution.status_code == 403


def test_a_submission_token_is_checked_by_the_endpoint_itself(client, session, world) -> None:
    """The submission endpoints resolve their bearer token in their own thread: a
    revoked token, a disabled account's token and a session cookie are handled as
    everywhere else."""
    from diaspora.accounts.models import AccessToken
    from diaspora.common import utcnow

    url = f"/api/v1/surveys/{SLUG}/responses"
    body = {"answers": answers(), "external_id": "token-check"}
    headers = bearer(session, world.sam)
    token = session.exec(select(AccessToken).where(AccessToken.user_id == world.sam.id)).one()
    token.revoked_at = utcnow()
    session.add(token)
    session.commit()
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    headers = bearer(session, world.ada)
    assert client.post(url, json={**body, "external_id": "ada"}, headers=headers).status_code == 201
    accounts.set_active(session=session, actor=None, user_id=world.ada.id, active=False)
    session.commit()
    assert client.post(url, json=body, headers=headers).status_code == 401
    assert client.post(url, json=body).status_code == 401
    assert session.exec(select(Response).where(Response.external_id == "token-check")).all() == []


def kobo_payload(uuid: str = "9b1f") -> dict:
    data = answers()
    data.pop("languages")
    payload = {f"grp/{k}": " ".join(v) if isinstance(v, list) else v for k, v in data.items()}
    payload["grp/skills"] = "nursing care; triage"
    payload["languages"] = [
        {"languages/language_code": "en", "languages/language_level": "C1"},
    ]
    payload.update(
        {
            "_uuid": uuid,
            "meta/instanceID": f"uuid:{uuid}",
            "_submission_time": "2026-02-01T09:00:00",
        }
    )
    return payload


def test_the_kobo_endpoint_is_idempotent_and_needs_a_staff_token(client, session, world) -> None:
    url = f"/api/v1/surveys/{SLUG}/kobo"
    staff = bearer(session, world.sam)
    first = client.post(url, json=kobo_payload(), headers=staff)
    assert first.status_code == 201, first.text
    again = client.post(url, json=kobo_payload(), headers=staff)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    stored = session.get(Response, first.json()["id"])
    assert (stored.source, stored.external_id) == ("kobo", "9b1f")
    assert stored.answers["languages"] == [{"language_code": "en", "language_level": "C1"}]
    profile = session.get(MemberProfile, stored.member_id)
    assert profile.user_id is None and profile.skills == ["nursing care", "triage"]
    assert client.post(url, json=kobo_payload("x2")).status_code == 401
    assert (
        client.post(
            url, json=kobo_payload("x3"), headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert (
        client.post(url, json=kobo_payload("x4"), headers=bearer(session, world.alice)).status_code
        == 403
    )
    bad = client.post(url, json={**kobo_payload("x5"), "grp/birth_year": "1850"}, headers=staff)
    assert bad.status_code == 422 and "birth_year" in bad.json()["errors"]
    no_id = {k: v for k, v in kobo_payload().items() if k not in ("_uuid", "meta/instanceID")}
    assert client.post(url, json=no_id, headers=staff).status_code == 422
    assert (
        client.post(
            url, content=b"{not json", headers={**staff, "content-type": "application/json"}
        ).status_code
        == 422
    )
