"""Survey services: XLSForm versions, drafts, submission to profile, review, imports, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlmodel import Session, col, select

from diaspora.audit.models import AuditEvent
from diaspora.common import utcnow
from diaspora.consent.service import active_purposes
from diaspora.errors import InvalidTransition, NotFound, ValidationFailed
from diaspora.members.models import MemberIdentity, MemberProfile
from diaspora.outbox.models import OutboxMessage
from diaspora.responses import imports, respond, review, service
from diaspora.responses.models import Response, ResponseStatus
from surveys import import_xlsform
from tests.factories import build_world, deliver_mail
from tests.survey_factories import SLUG, answers, builtin, submitted
from tests.surveys.forms import SIMPLE, rewrite_zip, xlsform

V2 = xlsform(
    [
        ["type", "name", "label", "required"],
        ["text", "full_name", "Name", "yes"],
        ["text", "city", "City", ""],
    ],
    settings=[["form_id", "title"], ["simple", "Simple"]],
)
V1 = xlsform(
    [
        ["type", "name", "label", "required", "constraint"],
        ["text", "full_name", "Name", "yes", ""],
        ["integer", "age", "Age", "", ". >= 0 and . < 130"],
    ],
    settings=[["form_id", "title"], ["simple", "Simple"]],
)


@pytest.fixture
def world(session: Session):  # type: ignore[no-untyped-def]
    return build_world(session)


def actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --------------------------------------------------------------------------- forms and versions


def test_it_creates_a_draft_version_from_an_xlsform(session, world) -> None:
    version = service.create_from_xlsform(
        session=session, actor=world.sam, data=V1, filename="simple.xlsx"
    )
    assert (version.number, version.status) == (1, "draft")
    assert version.source_file == V1 and version.source_filename == "simple.xlsx"
    assert [c["name"] for c in version.definition["children"]] == ["full_name", "age"]
    survey = session.get(service.Survey, version.survey_id)
    assert survey is not None and survey.slug == "simple" and survey.title == "Simple"
    assert actions(session, "survey.create") and actions(session, "survey.version_create")


def test_it_lists_every_problem_of_a_bad_form_with_sheet_row_and_column(session, world) -> None:
    bad = xlsform(
        [
            ["type", "name", "label", "relevant"],
            ["not_a_type", "where", "Where", ""],
            ["select_one nolist", "code", "Code", ""],
        ]
    )
    with pytest.raises(ValidationFailed) as caught:
        service.create_from_xlsform(session=session, actor=world.sam, data=bad, filename="b.xlsx")
    problems = list(caught.value.errors.values())
    assert len(problems) >= 2
    assert all("sheet 'survey'" in p for p in problems)
    assert any("row 2" in p and "not_a_type" in p for p in problems)
    assert any("row 3" in p and "nolist" in p for p in problems)
    assert session.exec(select(service.Survey)).first() is None


@pytest.mark.parametrize(
    "data,filename,words",
    [
        (b"type,name,label\ntext,a,A\n", "form.csv", "not an Excel workbook"),
        (SIMPLE, "form.xlsm", "macro"),
        (rewrite_zip(SIMPLE, {}, {"xl/vbaProject.bin": b"\x00" * 64}), "f.xlsx", "vbaProject"),
        (
            rewrite_zip(SIMPLE, {}, {"xl/media/pad.bin": b"\x00" * (5 * 1024**2)}),
            "f.xlsx",
            "expands",
        ),
        (rewrite_zip(SIMPLE, {"xl/worksheets/sheet1.xml": b"<worksheet><row>"}), "f.xlsx", "XML"),
        (b"PK\x03\x04garbage", "f.xlsx", "f.xlsx"),
    ],
)
def test_it_refuses_hostile_files_with_a_message(session, world, data, filename, words) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_from_xlsform(session=session, actor=world.sam, data=data, filename=filename)
    assert words in " ".join(caught.value.errors.values())


def test_it_publishes_retires_and_never_changes_a_published_version(session, world) -> None:
    v1 = service.create_from_xlsform(session=session, actor=world.sam, data=V1, filename="s.xlsx")
    service.publish(session=session, actor=world.sam, slug="simple", number=1)
    with pytest.raises(InvalidTransition):
        service.publish(session=session, actor=world.sam, slug="simple", number=1)
    frozen = dict(v1.definition)
    v2 = service.add_version(
        session=session, actor=world.sam, slug="simple", data=V2, filename="s.xlsx"
    )
    assert (v2.number, v2.status) == (2, "draft")
    assert service.current_version(session=session, slug="simple")[1].number == 1
    service.publish(session=session, actor=world.sam, slug="simple", number=2)
    session.refresh(v1)
    assert v1.status == "retired" and v1.definition == frozen
    assert service.current_version(session=session, slug="simple")[1].number == 2
    service.retire(session=session, actor=world.sam, slug="simple", number=2)
    with pytest.raises(NotFound):
        service.current_version(session=session, slug="simple")
    with pytest.raises(NotFound):  # members do not see an unpublished survey
        service.get_survey(session=session, actor=world.alice, slug="simple")


def test_it_adds_no_version_for_an_identical_upload(session, world) -> None:
    first = service.import_form(session=session, actor=world.sam, data=V1, filename="s.xlsx")
    again = service.import_form(session=session, actor=world.sam, data=V1, filename="s.xlsx")
    assert again.id == first.id


def test_it_exports_a_version_as_an_xlsform_that_imports_again(session, world) -> None:
    version = builtin(session)
    name, data = service.export_form(session=session, actor=world.sam, slug=SLUG, number=1)
    assert name == f"{SLUG}-v1.xlsx"
    assert import_xlsform(data, filename=name).to_dict() == version.definition


def test_only_designers_create_or_publish(session, world) -> None:
    from diaspora.errors import Forbidden

    with pytest.raises(Forbidden):
        service.create_from_xlsform(session=session, actor=world.alice, data=V1, filename="s.xlsx")
    with pytest.raises(Forbidden):
        service.import_form(session=session, actor=world.carol, data=V1, filename="s.xlsx")


# --------------------------------------------------------------------------- versions and exports


def test_it_pins_responses_and_exports_keep_every_column_ever_asked(session, world) -> None:
    service.import_form(
        session=session, actor=world.sam, data=V1, filename="s.xlsx", publish_it=True
    )
    old, _ = respond.submit_answers(
        session=session,
        actor=world.sam,
        slug="simple",
        answers={"full_name": "=HYPERLINK()", "age": 40},
    )
    service.import_form(
        session=session, actor=world.sam, data=V2, filename="s.xlsx", publish_it=True
    )
    new, _ = respond.submit_answers(
        session=session,
        actor=world.sam,
        slug="simple",
        answers={"full_name": "Bo", "city": "Accra"},
    )
    assert session.get(Response, old.id).version_id != session.get(Response, new.id).version_id
    _, _, data = review.export(session=session, actor=world.sam, slug="simple", fmt="csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {"__version__", "full_name", "age", "city"} <= set(rows[0])
    assert [(r["__version__"], r["age"], r["city"]) for r in rows] == [
        ("1", "40", ""),
        ("2", "", "Accra"),
    ]
    assert rows[0]["full_name"] == "'=HYPERLINK()"
    _, _, data = review.export(session=session, actor=world.sam, slug="simple", fmt="xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {"__version__", "age", "city"} <= set(header)
    _, _, data = review.export(session=session, actor=world.sam, slug="simple", fmt="json")
    records = json.loads(data)
    assert records[1]["age"] is None and records[0]["city"] is None
    assert len(actions(session, "responses.export")) == 3


# --------------------------------------------------------------------------- drafts and submission


def fill(session: Session, user, pages: dict[int, dict]) -> Response:  # type: ignore[no-untyped-def]
    draft = respond.start(session=session, actor=user)
    result = None
    for index, form in pages.items():
        result = respond.save_page(
            session=session, actor=user, response_id=draft.id or 0, page_index=index, form=form
        )
        assert result.errors == {}, (index, result.errors)
    assert result is not None
    return result.response


PAGES = {
    0: {"consent_mapping": "yes", "consent_matching": "yes", "consent_research": "no"},
    1: {"first_name": "Alice", "last_name": "Asante", "email": "alice@example.org"},
    2: {
        "residence_country": "DE",
        "origin_country": "GH",
        "birth_year": "1980",
        "gender": "prefer_not",
    },
    3: {"education_level": "7", "education_field": "health_welfare"},
    4: {
        "occupation": "midwife",
        "sector": "civil_society",
        "years_experience": "15",
        "skills": ["prenatal care", ""],
    },
    5: {"languages[0].language_code": "en", "languages[0].language_level": "C1"},
    6: {"willing": "no", "contributions": ["mentoring"]},
    7: {"priorities": ["health", "jobs"]},
}


def test_it_saves_a_draft_at_every_page_and_applies_skip_logic(session, world) -> None:
    builtin(session)
    draft = respond.start(session=session, actor=world.alice)
    saved = respond.save_page(
        session=session,
        actor=world.alice,
        response_id=draft.id or 0,
        page_index=0,
        form={"consent_mapping": "no"},
    )
    assert saved.target is None  # nothing else applies: straight to the review
    assert saved.response.answers == {"consent_mapping": "no"}
    saved = respond.save_page(
        session=session,
        actor=world.alice,
        response_id=draft.id or 0,
        page_index=0,
        form={"consent_mapping": "yes"},
    )
    assert saved.target == 1 and saved.response.current_page == 1
    assert respond.start(session=session, actor=world.alice).id == draft.id


def test_it_keeps_valid_answers_when_a_page_has_errors(session, world) -> None:
    builtin(session)
    draft = fill(session, world.alice, {0: {"consent_mapping": "yes"}})
    saved = respond.save_page(
        session=session,
        actor=world.alice,
        response_id=draft.id or 0,
        page_index=2,
        form={"residence_city": "Bonn", "birth_year": "nineteen"},
    )
    assert set(saved.errors) >= {"birth_year", "residence_country", "origin_country"}
    assert saved.target == 2
    assert session.get(Response, draft.id).answers["residence_city"] == "Bonn"
    respond.save_page(
        session=session,
        actor=world.alice,
        response_id=draft.id or 0,
        page_index=2,
        form={"birth_year": "1980"},
        move="stay",
    )
    retyped = respond.save_page(
        session=session,
        actor=world.alice,
        response_id=draft.id or 0,
        page_index=2,
        form={"birth_year": "19xx"},
        move="next",
    )
    assert "birth_year" in retyped.errors
    assert session.get(Response, draft.id).answers["birth_year"] == 1980  # not lost


def test_it_submits_to_the_profile_and_consents(session, world) -> None:
    builtin(session)
    draft = fill(session, world.alice, PAGES)
    done = respond.submit(session=session, actor=world.alice, response_id=draft.id or 0)
    assert done.status == ResponseStatus.submitted and done.submitted_at is not None
    profile = session.get(MemberProfile, world.alice_profile.id)
    assert profile is not None
    assert (profile.residence_country, profile.occupation_title, profile.sector) == (
        "DE",
        "midwife",
        "social_services",
    )
    assert profile.gender == "prefer_not_to_say" and profile.education_level == 7
    assert profile.skills == ["prenatal care"] and profile.languages == [
        {"code": "en", "level": "C1"}
    ]
    assert profile.survey_version_id == done.version_id
    assert session.get(MemberIdentity, profile.id).last_name == "Asante"
    active = active_purposes(session=session, member_id=profile.id or 0)
    assert {"mapping", "matching"} <= active and "research" not in active
    assert actions(session, "response.submit")
    with pytest.raises(InvalidTransition):
        respond.submit(session=session, actor=world.alice, response_id=draft.id or 0)


def test_profile_refusals_are_field_errors_and_the_draft_is_kept(session, world) -> None:
    builtin(session)
    pages = {
        **PAGES,
        2: {**PAGES[2], "birth_year": "1930"},
        4: {**PAGES[4], "years_experience": "75"},
    }
    draft = fill(session, world.alice, pages)
    with pytest.raises(ValidationFailed) as caught:
        respond.submit(session=session, actor=world.alice, response_id=draft.id or 0)
    assert "years_experience" in caught.value.errors
    kept = session.get(Response, draft.id)
    assert kept is not None and kept.status == "draft" and kept.answers["years_experience"] == 75


def test_it_sends_a_resume_link_that_only_the_owner_can_use(session, world) -> None:
    builtin(session)
    draft = respond.start(session=session, actor=world.alice)
    respond.send_resume_link(
        session=session, actor=world.alice, response_id=draft.id or 0, base_url="https://x.example"
    )
    message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "survey.resume")).one()
    assert "token={{secret}}" in message.body  # the stored body never holds the token
    (mail,) = deliver_mail(session, "survey.resume")
    token = mail.token()
    stored = session.get(Response, draft.id)
    session.refresh(stored)
    assert stored is not None and stored.resume_token_hash and token not in stored.resume_token_hash
    with pytest.raises(NotFound):
        respond.resume(session=session, actor=world.bob, token=token)
    assert respond.resume(session=session, actor=world.alice, token=token).id == draft.id
    stored.resume_expires_at = utcnow() - timedelta(minutes=1)
    session.add(stored)
    session.commit()
    with pytest.raises(NotFound):
        respond.resume(session=session, actor=world.alice, token=token)


# --------------------------------------------------------------------------- review and corrections


def test_it_moves_review_states_and_a_rejection_needs_a_reason(session, world) -> None:
    builtin(session)
    response = submitted(session, world.alice)
    with pytest.raises(ValidationFailed) as caught:
        review.set_review(
            session=session,
            actor=world.sam,
            slug=SLUG,
            response_id=response.id or 0,
            state="rejected",
        )
    assert "comment" in caught.value.errors
    review.set_review(
        session=session,
        actor=world.sam,
        slug=SLUG,
        response_id=response.id or 0,
        state="rejected",
        comment="duplicate of an earlier response",
    )
    review.set_review(
        session=session, actor=world.sam, slug=SLUG, response_id=response.id or 0, state="approved"
    )
    events = actions(session, "response.review")
    assert [(e.details["from"], e.details["to"]) for e in events] == [
        ("received", "rejected"),
        ("rejected", "approved"),
    ]
    with pytest.raises(ValidationFailed):
        review.set_review(
            session=session, actor=world.sam, slug=SLUG, response_id=response.id or 0, state="maybe"
        )


def test_a_correction_is_revalidated_and_audited_without_values(session, world) -> None:
    builtin(session)
    response = submitted(session, world.alice)
    bad = {**response.answers, "birth_year": "abc"}
    with pytest.raises(ValidationFailed):
        review.correct(
            session=session, actor=world.sam, slug=SLUG, response_id=response.id or 0, form=bad
        )
    fixed = {**response.answers, "residence_city": "Utrecht", "skills": ["triage"]}
    corrected, changed = review.correct(
        session=session, actor=world.sam, slug=SLUG, response_id=response.id or 0, form=fixed
    )
    assert changed == ["residence_city", "skills"]
    assert corrected.answers["residence_city"] == "Utrecht"
    (event,) = actions(session, "response.correct")
    assert event.details == {"fields": ["residence_city", "skills"]}
    assert "Utrecht" not in json.dumps(event.details)


def test_lists_filter_by_version_status_source_and_review_state(session, world) -> None:
    builtin(session)
    first = submitted(session, world.alice)
    submitted(session, world.sam)
    respond.start(session=session, actor=world.bob)
    review.set_review(
        session=session, actor=world.sam, slug=SLUG, response_id=first.id or 0, state="has_issues"
    )
    rows, total = review.list_responses(session=session, actor=world.sam, slug=SLUG)
    assert total == 3
    rows, total = review.list_responses(session=session, actor=world.sam, slug=SLUG, source="api")
    assert total == 1 and rows[0].response.source == "api"
    _, total = review.list_responses(session=session, actor=world.sam, slug=SLUG, status="draft")
    assert total == 1
    rows, _ = review.list_responses(
        session=session, actor=world.sam, slug=SLUG, review_state="has_issues"
    )
    assert [r.response.id for r in rows] == [first.id]
    _, total = review.list_responses(session=session, actor=world.sam, slug=SLUG, version=2)
    assert total == 0


# --------------------------------------------------------------------------- imports


def kobo_csv(rows: list[dict]) -> bytes:
    headers = sorted({key for row in rows for key in row})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def kobo_row(number: int, **overrides) -> dict:  # type: ignore[no-untyped-def]
    data = answers(languages=None, email=f"m{number}@example.org")
    row = {
        f"group/{k}": " ".join(v)
        if k in ("modes", "contributions", "priorities")
        else "; ".join(v)
        if isinstance(v, list)
        else v
        for k, v in data.items()
    }
    row.update({"_uuid": f"uuid-{number}", "_submission_time": "2026-03-01T10:15:00"})
    row.update(overrides)
    return row


def test_imports_are_idempotent_and_keep_bad_rows_apart(session, world) -> None:
    builtin(session)
    data = kobo_csv([kobo_row(1), kobo_row(2, **{"group/birth_year": "nineteen"}), kobo_row(3)])
    report = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=data, filename="k.csv"
    )
    assert (report.source, report.added, report.duplicates, report.bad_rows) == ("kobo", 2, 0, 1)
    (problem,) = report.problems
    assert (problem.row, problem.field) == (3, "birth_year")
    again = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=data, filename="k.csv"
    )
    assert (again.added, again.duplicates) == (0, 2)
    stored = session.exec(select(Response).where(Response.source == "kobo")).all()
    assert sorted(r.external_id or "" for r in stored) == ["uuid-1", "uuid-3"]
    profile = session.get(MemberProfile, stored[0].member_id)
    assert profile is not None and profile.user_id is None and profile.residence_country == "NL"
    assert actions(session, "responses.import")


def test_a_large_import_stores_every_row_like_a_single_submission(session, world) -> None:
    """Batches of many rows take the bulk path (COPY on PostgreSQL): same rows, same audit."""
    from diaspora.analytics.summary import QUEUE
    from diaspora.consent.models import Consent
    from diaspora.members.models import MemberSkill

    builtin(session)
    count = 45
    rows = [kobo_row(n, **{"group/first_name": f"Ama{n}"}) for n in range(count)]
    rows[7]["group/birth_year"] = "1850"
    report = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=kobo_csv(rows), filename="k.csv"
    )
    assert (report.added, report.bad_rows) == (count - 1, 1)
    stored = session.exec(select(Response).where(Response.source == "kobo")).all()
    assert len(stored) == count - 1 and len({r.member_id for r in stored}) == count - 1
    by_uuid = {r.external_id: r for r in stored}
    assert "uuid-7" not in by_uuid
    member_ids = [r.member_id for r in stored]
    profiles = session.exec(
        select(MemberProfile).where(col(MemberProfile.id).in_(member_ids))
    ).all()
    assert len({p.pseudonym for p in profiles}) == count - 1
    # Bulk-inserted members get their own random record keys too (cell-key method).
    assert all(0 <= p.record_key < 256 for p in profiles)
    assert len({p.record_key for p in profiles}) > 1
    assert all(p.residence_country == "NL" and p.consent_mapping for p in profiles)
    names = session.exec(
        select(MemberIdentity.first_name).where(col(MemberIdentity.member_id).in_(member_ids))
    ).all()
    assert sorted(names) == sorted(f"Ama{n}" for n in range(count) if n != 7)
    for model in (MemberSkill, Consent):  # kobo_row answers no language question
        owners = session.exec(select(model.member_id).where(col(model.member_id).in_(member_ids)))
        assert set(owners) == set(member_ids), model.__name__
    submits = session.exec(select(AuditEvent).where(AuditEvent.action == "response.submit")).all()
    assert {e.entity_id for e in submits} >= {str(r.id) for r in stored}
    assert all(e.actor_id == world.sam.id for e in submits)
    queued = set(session.exec(select(QUEUE.c.member_id)))
    assert set(member_ids) <= queued
    again = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=kobo_csv(rows), filename="k.csv"
    )
    assert (again.added, again.duplicates) == (0, count - 1)


def test_a_large_csv_is_imported_by_worker_processes(engine, tmp_path, monkeypatch) -> None:
    """Above PARALLEL_FROM rows, forked workers import chunks with their own connections;
    rows keep their numbers, problems come in file order, nothing is stored twice."""
    from diaspora.db import make_engine, metadata, new_session

    monkeypatch.setattr(imports, "PARALLEL_FROM", 10)
    monkeypatch.setattr(imports, "CHUNK", 7)
    if engine.dialect.name == "sqlite":  # a database in memory is not shared: use a file
        engine = make_engine(f"sqlite:///{tmp_path}/import.db")
        metadata().create_all(engine)
    session = new_session(engine)
    assert imports._workers(session, 30) >= 1  # the parallel path is the one under test
    builtin(session)
    rows = [kobo_row(n) for n in range(30)]
    rows[17]["group/birth_year"] = "nineteen"  # refused by the engine, in the third chunk
    rows[23]["group/residence_country"] = "ZZ"  # in the fourth
    rows[25]["group/unknown_column"] = "x"
    rows[29]["_uuid"] = "uuid-3"  # the same submission in the first and the last chunk:
    # a bad row, as when one process reads the file (whichever chunk commits first is kept)
    seen: list[tuple[int, int]] = []
    report = imports.import_file(
        session=session,
        actor=None,
        slug=SLUG,
        data=kobo_csv(rows),
        filename="k.csv",
        progress=lambda done, total: seen.append((done, total)),
        parallel=True,
    )
    assert (report.added, report.duplicates, report.bad_rows) == (27, 0, 3)
    assert [(p.row, p.field) for p in report.problems] == [
        (19, "birth_year"),
        (25, "residence_country"),
        (31, None),
    ]
    assert report.problems[-1].reason == "duplicate submission id uuid-3 (first seen in row 5)"
    assert report.ignored_columns == ["group/unknown_column"]
    assert seen[-1] == (30, 30) and len(seen) == 5
    stored = session.exec(select(Response.external_id).where(Response.source == "kobo")).all()
    assert sorted(stored) == sorted(f"uuid-{n}" for n in range(29) if n not in (17, 23))
    assert actions(session, "responses.import")
    again = imports.import_file(
        session=session,
        actor=None,
        slug=SLUG,
        data=kobo_csv(rows),
        filename="k.csv",
        parallel=True,
    )
    assert (again.added, again.duplicates, again.bad_rows) == (0, 27, 3)
    session.close()


def test_chunks_cut_csv_records_only_outside_quotes(monkeypatch) -> None:
    """A field with line breaks and doubled quotes stays whole; offsets count records."""
    import csv
    import io

    monkeypatch.setattr(imports, "CHUNK", 2)
    records = [
        ["a", "b"],
        ["1", 'two\nlines, "quoted"'],
        ["2", "x"],
        ["3", '"\n"'],
        ["4", "plain"],
        ["5", "last"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(records)
    chunks = list(imports._chunks(("\ufeff" + buffer.getvalue()).encode()))
    assert [(offset, count) for _, _, offset, count in chunks] == [(0, 2), (2, 2), (4, 1)]
    parsed = []
    for text, delimiter, _, _ in chunks:
        assert delimiter == ";"
        header, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        assert header == records[0]
        parsed.extend(rows)
    assert parsed == records[1:]
    # An unterminated quote at the end is one (broken) record, not lost.
    broken = list(imports._chunks(b'a;b\n1;"open\n2;x\n'))
    assert [(offset, count) for _, _, offset, count in broken] == [(0, 1)]


def test_sqlite_writers_in_other_processes_wait_on_the_lock_file(tmp_path) -> None:
    """Server and import workers are processes: their write transactions on one SQLite
    file queue on a lock file beside it, not in SQLite's sleeping busy handler."""
    import fcntl
    import multiprocessing
    import os
    import threading

    from diaspora.db import make_engine, new_session
    from diaspora.responses.respond import serialised_writes

    database = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{database}")
    with new_session(engine) as session, serialised_writes(session):
        pass  # opens this process's lock file first: the child must not reuse it
    context = multiprocessing.get_context("fork")
    held, release = context.Event(), context.Event()

    def child() -> None:
        own = make_engine(f"sqlite:///{database}")
        with new_session(own) as session, serialised_writes(session):
            held.set()
            release.wait(30)

    process = context.Process(target=child)
    process.start()
    try:
        assert held.wait(30)
        probe = os.open(f"{database}-writers.lock", os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # This process's own writers wait too (the child opened its own lock file: one
        # inherited from here would be shared with it).
        entered = threading.Event()

        def write_here() -> None:
            with new_session(engine) as session, serialised_writes(session):
                entered.set()

        writer = threading.Thread(target=write_here)
        writer.start()
        assert not entered.wait(0.5)
    finally:
        release.set()
        process.join(30)
    assert entered.wait(30)
    writer.join(30)
    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once both let go
    os.close(probe)
    assert process.exitcode == 0


def test_rows_never_flushed_refuse_the_commit(session, world) -> None:
    """On PostgreSQL a RowWriter holds rows until flush: committing without it would lose
    them silently, so the commit is refused (SQLite writes at once: nothing held)."""
    from diaspora.audit.models import AuditEvent
    from diaspora.db import RowWriter
    from diaspora.responses.profile import audit_row, table

    writer = RowWriter(session)
    writer.insert(table(model=AuditEvent), [audit_row(None, "x.test", "x", 1, {}, utcnow())])
    if session.connection().dialect.name == "postgresql":
        with pytest.raises(RuntimeError, match="never flushed"):
            session.commit()
        session.rollback()
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "x.test")).all() == []
    else:
        session.commit()
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "x.test")).one()
    writer = RowWriter(session)
    writer.insert(table(model=AuditEvent), [audit_row(None, "y.test", "x", 1, {}, utcnow())])
    writer.flush()
    session.commit()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "y.test")).one()


def test_bulk_insert_reports_a_duplicate_as_an_integrity_error(session, world) -> None:
    from sqlalchemy.exc import IntegrityError

    from diaspora.db import RowWriter
    from diaspora.responses.profile import row_defaults, table

    def bulk_insert(rows: list[dict]) -> list[int]:  # type: ignore[type-arg]
        writer = RowWriter(session)
        ids = writer.insert(table(model=Response), rows, return_ids=True)
        writer.flush()
        return ids

    version = builtin(session)
    member = submitted(session, world.alice)
    now = utcnow()
    row = {
        **row_defaults(Response),
        "survey_id": version.survey_id,
        "version_id": version.id,
        "member_id": member.member_id,
        "status": "submitted",
        "source": "kobo",
        "external_id": "same",
        "created_at": now,
        "updated_at": now,
    }
    rows = [{**row, "external_id": f"id-{n}"} for n in range(30)] + [row, row]
    with pytest.raises(IntegrityError):
        bulk_insert(rows)
    session.rollback()
    assert session.exec(select(Response).where(Response.source == "kobo")).all() == []
    ids = bulk_insert(rows[:30])
    session.commit()
    assert len(ids) == 30 and ids == sorted(ids)
    stored = {
        r.id: r.external_id for r in session.exec(select(Response).where(Response.source == "kobo"))
    }
    assert [stored[i] for i in ids] == [f"id-{n}" for n in range(30)]


def odk_zip(members: dict[str, list[dict]]) -> bytes:
    """An ODK Central "Download (.csv.zip)" export: one comma-separated CSV per table."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, rows in members.items():
            headers = list(dict.fromkeys(key for row in rows for key in row))
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=headers)
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(name, buffer.getvalue())
    return out.getvalue()


def test_it_imports_an_odk_central_zip_with_repeat_tables(session, world) -> None:
    builtin(session)
    mains, languages = [], []
    for n in (1, 2):
        row = {k: v for k, v in kobo_row(n).items() if not k.startswith("_")}
        row = {k.replace("group/", "group-"): v for k, v in row.items()}
        key = f"uuid:odk-{n}"
        mains.append({"SubmissionDate": "2026-03-01T10:15:00.000Z", **row, "KEY": key})
        languages.append(
            {
                "language_code": "fr",
                "language_level": "B2",
                "PARENT_KEY": key,
                "KEY": f"{key}/languages[1]",
            }
        )
        languages.append(
            {
                "language_code": "en",
                "language_level": "C1",
                "PARENT_KEY": key,
                "KEY": f"{key}/languages[2]",
            }
        )
    data = odk_zip({"diaspora_mapping.csv": mains, "diaspora_mapping-languages.csv": languages})
    report = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=data, filename="export.csv.zip"
    )
    assert (report.source, report.added, report.bad_rows) == ("odk", 2, 0), report.problems
    stored = session.exec(select(Response).where(Response.source == "odk")).all()
    assert sorted(r.external_id or "" for r in stored) == ["odk-1", "odk-2"]
    assert stored[0].answers["languages"] == [
        {"language_code": "fr", "language_level": "B2"},
        {"language_code": "en", "language_level": "C1"},
    ]
    again = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=data, filename="export.zip"
    )
    assert (again.added, again.duplicates) == (0, 2)
    with pytest.raises(ValidationFailed) as refused:
        imports.import_file(
            session=session, actor=world.sam, slug=SLUG, data=odk_zip({}), filename="x.zip"
        )
    assert "file" in refused.value.errors


def test_it_imports_its_own_xlsx_export(session, world) -> None:
    builtin(session)
    data = kobo_csv([kobo_row(1), kobo_row(2)])
    imports.import_file(session=session, actor=world.sam, slug=SLUG, data=data, filename="k.csv")
    _, _, xlsx = review.export(session=session, actor=world.sam, slug=SLUG, fmt="xlsx")
    report = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=xlsx, filename="e.xlsx", source="odk"
    )
    assert (report.added, report.bad_rows) == (2, 0)


def test_it_refuses_unreadable_submission_files_with_a_message(session, world) -> None:
    builtin(session)
    with pytest.raises(ValidationFailed):
        imports.import_file(
            session=session, actor=world.sam, slug=SLUG, data=b"\xff\xfe\x00bad", filename="x.csv"
        )
    with pytest.raises(ValidationFailed):
        imports.import_file(
            session=session, actor=world.sam, slug=SLUG, data=SIMPLE, filename="x.xlsm"
        )


def test_a_kobo_post_is_idempotent_and_creates_a_profile_without_account(session, world) -> None:
    builtin(session)
    payload = {**kobo_row(9), "meta/instanceID": "uuid:abc-9"}
    payload.pop("_uuid")
    first, created = imports.receive_kobo(
        session=session, actor=world.sam, slug=SLUG, payload=payload
    )
    again, created_again = imports.receive_kobo(
        session=session, actor=world.sam, slug=SLUG, payload=payload
    )
    assert (created, created_again) == (True, False) and first.id == again.id
    first = session.get(Response, first.id)
    assert first.external_id == "abc-9" and first.source == "kobo"
    profile = session.get(MemberProfile, first.member_id)
    assert profile is not None and profile.user_id is None and profile.occupation_title == "nurse"
    with pytest.raises(ValidationFailed) as caught:
        imports.receive_kobo(
            session=session,
            actor=world.sam,
            slug=SLUG,
            payload={**payload, "meta/instanceID": "uuid:x", "group/birth_year": "1850"},
        )
    assert "birth_year" in caught.value.errors


def test_a_new_member_from_a_submission_matches_the_member_services(session, world) -> None:
    """new_member + insert_members write in a few statements what the member and consent
    services would."""
    from diaspora.consent.models import Channel, Consent
    from diaspora.members import service as members
    from diaspora.members.models import MemberLanguage, MemberSkill
    from diaspora.responses import profile as bridge
    from diaspora.responses.definitions import definition_of

    version = builtin(session)
    definition = definition_of(version)
    data = answers(sector="energy_environment", contributions=["investment", "mentoring"])
    audit: list = []
    now = utcnow()
    new = bridge.new_member(definition, data, version_id=version.id or 0, now=now)
    (fast_id,) = bridge.insert_members(
        session=session, actor=world.sam, new=[new], source="survey-api", now=now, audit=audit
    )
    session.execute(insert(AuditEvent), audit)
    slow = members.create_profile_for(session=session, user=None)
    bridge.apply(
        session=session,
        actor=world.sam,
        definition=definition,
        answers=data,
        member_id=slow.id or 0,
        version_id=version.id or 0,
        source="survey-api",
        channel=Channel.survey_api,
    )
    session.commit()
    fast = session.get(MemberProfile, fast_id)
    # record_key: drawn at random for each member (cell-key method), on either path.
    skip = {"id", "pseudonym", "record_key", "created_at", "updated_at", "last_activity_at"}
    assert fast.model_dump(exclude=skip) == slow.model_dump(exclude=skip)
    assert session.get(MemberIdentity, fast.id).model_dump(exclude={"member_id"}) == session.get(
        MemberIdentity, slow.id
    ).model_dump(exclude={"member_id"})

    def rows(model, member_id, *fields):  # type: ignore[no-untyped-def]
        found = session.exec(select(model).where(model.member_id == member_id)).all()
        return sorted(tuple(getattr(r, f) for f in fields) for r in found)

    for model, fields in (
        (MemberSkill, ("label", "concept_id")),
        (MemberLanguage, ("code", "level")),
        (Consent, ("purpose", "notice_id", "withdrawn_at", "source")),
    ):
        assert rows(model, fast.id, *fields) == rows(model, slow.id, *fields)

    def trail(member_id):  # type: ignore[no-untyped-def]
        return session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "member", AuditEvent.entity_id == str(member_id)
            )
        ).all()

    # The services write an event per step; a new member from a submission gets one
    # event that says the same: created, which fields, which consents under which notice.
    (created,) = trail(fast.id)
    slow_events = {e.action: e for e in trail(slow.id)}
    assert created.action == "member.create"
    assert created.details["fields"] == slow_events["member.update"].details["fields"]
    given = sorted(e.details["purpose"] for e in trail(slow.id) if e.action == "consent.give")
    assert sorted(created.details["consents"]) == given and given
    notices = {e.details["notice"] for e in trail(slow.id) if e.action == "consent.give"}
    assert notices == {created.details["notice"]}
    assert created.details["source"] == "survey-api"


def test_the_cli_imports_forms_and_submissions_and_exports(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from diaspora.cli import app
    from diaspora.config import get_settings
    from tests.surveys.forms import SURVEY_XLSX

    monkeypatch.setenv("DIASPORA_SQLITE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        done = runner.invoke(app, ["survey", "import", str(SURVEY_XLSX), "--publish"])
        assert done.exit_code == 0, done.output
        assert done.stdout.strip().splitlines()[-1] == SLUG
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(xlsform([["type", "name", "label"], ["not_a_type", "g", "Where"]]))
        refused = runner.invoke(app, ["survey", "import", str(bad)])
        assert refused.exit_code == 1, refused.output
        assert "row 2" in refused.output and "Traceback" not in refused.output
        data = tmp_path / "kobo.csv"
        data.write_bytes(kobo_csv([kobo_row(1), kobo_row(2, **{"group/birth_year": "x"})]))
        args = ["survey", "import-submissions", str(data), "--survey", SLUG]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        assert "added: 1" in first.stdout and "bad rows: 1" in first.stdout
        assert "row 3, birth_year" in first.stdout
        # The dashboard counts are brought up to date by the command itself.
        from diaspora.analytics.summary import pending
        from diaspora.db import make_engine, new_session

        engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
        with new_session(engine) as session:
            assert pending(session) == 0
        engine.dispose()
        again = runner.invoke(app, args)
        assert "added: 0" in again.stdout and "already present: 1" in again.stdout
        out = tmp_path / "out.json"
        exported = runner.invoke(
            app, ["survey", "export", SLUG, "--format", "json", "--out", str(out)]
        )
        assert exported.exit_code == 0 and json.loads(out.read_text())[0]["__version__"] == "1"
    finally:
        get_settings.cache_clear()


def test_concurrent_posts_of_one_submission_store_it_once(tmp_path) -> None:
    """Eight clients post the same external id at once: one response, the same id for all."""
    from concurrent.futures import ThreadPoolExecutor

    from diaspora.db import make_engine, metadata, new_session
    from tests.factories import make_user

    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    metadata().create_all(engine)
    with new_session(engine) as session:
        staff = make_user(session, "race@example.org", "staff")
        builtin(session)

    def post(_: int) -> tuple[int, bool]:
        with new_session(engine) as session:
            stored, created = respond.submit_answers(
                session=session, actor=staff, slug=SLUG, answers=answers(), external_id="same-1"
            )
            return stored.id or 0, created

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(8)))
    assert len({response_id for response_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with new_session(engine) as session:
        assert len(session.exec(select(Response)).all()) == 1
        assert len(session.exec(select(MemberProfile)).all()) == 1
    engine.dispose()
