"""The dashboard service: exact counts on a small known data set, consent, filters, bad
filters, small-cell suppression, and the summary counts agreeing with a rebuild and with
counting live."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from diaspora.accounts.models import User
from diaspora.analytics import live, privacy, summary
from diaspora.analytics import service as analytics
from diaspora.analytics.filters import Filters
from diaspora.consent.service import set_consents
from diaspora.errors import Forbidden, Unauthorized, ValidationFailed
from diaspora.institutions.models import Institution, Programme
from diaspora.members import service as members
from diaspora.members.models import MemberProfile
from diaspora.placements.models import PlacementRequest
from diaspora.responses.models import Response, Survey, SurveyVersion
from tests.factories import make_institution, make_member, make_programme, make_user

TODAY = date(2026, 6, 1)

# Ten members count (six in NL, three in DE, one in XK); two have no mapping consent.
NURSE = dict(
    residence_country="NL", gender="female", birth_year=1980, education_level=6,
    education_field="nursing", occupation_code="2221", sector="health", years_experience=12,
    skills=["nursing care", "infection control"], languages=["en:C1", "nl:B2"],
    modes=["temporary", "virtual"], preferred_duration="1-3 months", contributions=["mentoring"],
)  # fmt: skip
TEACHER = dict(
    residence_country="DE", gender="male", birth_year=1990, education_level=7,
    education_field="education", occupation_code="2310", sector="education", years_experience=4,
    skills=["teaching"], languages=["en:C1", "de:B1"], modes=["temporary"],
    preferred_duration="2-4 weeks", contributions=[],
)  # fmt: skip
ENGINEER = dict(
    residence_country="XK", origin_country="XK", gender="male", birth_year=1975,
    education_level=8, education_field="ict", occupation_code="2512", sector="ict",
    years_experience=25, skills=["python"], languages=["en:C1", "sq:native"], modes=[],
    contributions=["investment"],
)  # fmt: skip


@dataclass
class Data:
    staff: User
    institution_user: User
    member: User
    programme: Programme
    institution: Institution
    v1: SurveyVersion
    v2: SurveyVersion
    nurses: list[MemberProfile]
    teachers: list[MemberProfile]
    engineer: MemberProfile
    unconsented: list[MemberProfile]


def _respond(session: Session, profile: MemberProfile, version: SurveyVersion, when: datetime,
             status: str = "submitted") -> None:  # fmt: skip
    session.add(
        Response(
            survey_id=version.survey_id,
            version_id=version.id or 0,
            member_id=profile.id,
            status=status,
            submitted_at=when if status == "submitted" else None,
        )
    )


def build(session: Session) -> Data:
    """The known data set every count below is checked against."""
    programme = make_programme(session, "MIDA-GH")
    institution = make_institution(session, "Ministry of Health", "GH")
    survey = Survey(slug="mapping", title="Mapping")
    session.add(survey)
    session.flush()
    v1 = SurveyVersion(survey_id=survey.id or 0, number=1, status="published")
    v2 = SurveyVersion(survey_id=survey.id or 0, number=2, status="published")
    session.add_all([v1, v2])
    session.commit()

    def member(email: str, data: dict[str, Any], version: SurveyVersion, *,
               consents: dict[str, bool] | None = None, programme_id: int | None = None) -> MemberProfile:  # fmt: skip
        _, profile = make_member(session, email, consents=consents, **data)
        profile.programme_id = programme_id
        profile.survey_version_id = version.id
        session.add(profile)
        session.commit()
        return profile

    nurses = [
        member(f"nurse{i}@example.org", NURSE, v1, programme_id=programme.id) for i in range(6)
    ]
    teachers = [
        member(f"teacher{i}@example.org", TEACHER, v2, programme_id=programme.id) for i in range(3)
    ]
    engineer = member("engineer@example.org", ENGINEER, v2)
    unconsented = [
        member(f"private{i}@example.org", {**NURSE, "residence_country": "FR"}, v1,
               consents={"mapping": False, "matching": True})
        for i in range(2)
    ]  # fmt: skip
    for profile in nurses + unconsented:
        _respond(session, profile, v1, datetime(2026, 3, 2, 10, tzinfo=UTC))
    for profile in teachers:
        _respond(session, profile, v2, datetime(2026, 3, 11, 9, tzinfo=UTC))
    _respond(session, engineer, v2, datetime(2026, 3, 11, 9, tzinfo=UTC), status="draft")
    for title, skills, sector, positions, status in (
        ("Nursing trainer", ["Nursing care", "paediatrics"], "health", 2, "approved"),
        ("Teacher", ["teaching"], "education", 1, "approved"),
        ("Developer", ["python"], "ict", 1, "draft"),
    ):
        session.add(
            PlacementRequest(
                institution_id=institution.id or 0, programme_id=programme.id, title=title,
                skills_essential=skills, sector=sector, positions=positions, status=status,
            )
        )  # fmt: skip
    session.commit()
    return Data(
        staff=make_user(session, "sam@example.org", "staff"),
        institution_user=make_user(session, "carol@example.org", "institution", institution),
        member=make_user(session, "bob@example.org"),
        programme=programme,
        institution=institution,
        v1=v1,
        v2=v2,
        nurses=nurses,
        teachers=teachers,
        engineer=engineer,
        unconsented=unconsented,
    )


@pytest.fixture
def data(session: Session) -> Data:
    return build(session)


def view(session: Session, actor: User, **params: str) -> analytics.Dashboard:
    return analytics.dashboard(session=session, actor=actor, params=params, today=TODAY)


def column(table: analytics.Table, name: str) -> dict[str, Any]:
    """{first cell: cell of the column whose key is `name`} for a table's rows."""
    index = [c.key for c in table.columns].index(name)
    return {row[0]: row[index] for row in table.rows}


# --- exact counts ----------------------------------------------------------------------------


def test_it_counts_where_members_live(session: Session, data: Data) -> None:
    v = view(session, data.staff)
    assert v.members == 10
    residence = v.tables["residence"]
    assert column(residence, "members") == {"Netherlands": 6, "Germany": 3, "Kosovo": 1}
    assert column(residence, "share") == {"Netherlands": 60.0, "Germany": 30.0, "Kosovo": 10.0}
    assert residence.total == ["Total", "", "", 10, 100.0]


def test_it_notes_a_country_the_map_cannot_draw(session: Session, data: Data) -> None:
    v = view(session, data.staff)
    assert column(v.tables["residence"], "note") == {
        "Netherlands": "", "Germany": "", "Kosovo": "Not drawn on the map",
    }  # fmt: skip
    assert 'href="#map-row-NL"' in v.map_svg and "Netherlands: 6" in v.map_svg
    assert "map-row-XK" not in v.map_svg


def test_it_counts_the_composition(session: Session, data: Data) -> None:
    t = view(session, data.staff).tables
    assert column(t["age"], "members") == {"35-44": 3, "45-54": 7}
    assert column(t["gender"], "members") == {"Female": 6, "Male": 4}
    assert column(t["education_level"], "members") == {
        "Bachelor's or equivalent (ISCED 6)": 6,
        "Master's or equivalent (ISCED 7)": 3,
        "Doctoral or equivalent (ISCED 8)": 1,
    }
    assert column(t["education_field"], "members") == {"Nursing": 6, "Education": 3, "Ict": 1}
    assert column(t["occupation"], "members") == {"Professionals (ISCO 2)": 10}
    assert column(t["sector"], "members") == {"Health": 6, "Education": 3, "ICT": 1}
    assert column(t["experience"], "members") == {
        "3-5 years": 3, "11-20 years": 6, "More than 20 years": 1,
    }  # fmt: skip
    assert column(t["languages"], "members") == {
        "English (en)": 10, "Dutch (nl)": 6, "German (de)": 3, "Albanian (sq)": 1,
    }  # fmt: skip
    assert column(t["skills"], "members") == {
        "nursing care": 6, "infection control": 6, "teaching": 3, "python": 1,
    }  # fmt: skip


def test_it_counts_what_members_will_do(session: Session, data: Data) -> None:
    t = view(session, data.staff).tables
    assert column(t["willingness"], "members") == {
        "Temporary (weeks to months)": 9, "Permanent return": 0, "Virtual (online)": 6,
        "Any mode": 9, "No mode given": 1,
    }  # fmt: skip
    assert column(t["duration"], "members") == {"1-3 months": 6, "2-4 weeks": 3, "Not stated": 1}
    assert column(t["contributions"], "members") == {
        "Investment": 1, "Mentoring": 6, "Knowledge transfer": 0, "Philanthropy": 0,
    }  # fmt: skip


def test_it_sets_open_requests_against_willing_members(session: Session, data: Data) -> None:
    t = view(session, data.staff).tables
    skills = {row[0]: row[1:] for row in t["supply_skills"].rows}
    # (open requests, positions, willing members, gap); the draft request does not count.
    assert skills == {
        "nursing care": [1, 2, 6, 4],
        "paediatrics": [1, 2, 0, -2],
        "teaching": [1, 1, 3, 2],
    }
    assert [r[:2] + r[3:] for r in t["supply_skills_by_country"].rows] == [
        ["nursing care", "Netherlands", 6], ["teaching", "Germany", 3],
    ]  # fmt: skip
    sectors = {row[0]: row[1:] for row in t["supply_sectors"].rows}
    assert sectors == {"Health": [1, 2, 6, 4], "Education": [1, 1, 3, 2]}


def test_it_counts_submitted_responses_per_week(session: Session, data: Data) -> None:
    t = view(session, data.staff).tables["responses"]
    assert [c.label for c in t.columns] == ["Week starting", "Mapping · v1", "Mapping · v2"]
    # The unconsented members' responses and the draft do not count.
    assert t.rows == [["2026-03-02", 6, 0], ["2026-03-09", 0, 3]]


def test_it_compares_two_survey_rounds(session: Session, data: Data) -> None:
    v = view(session, data.staff, round_a=str(data.v1.id), round_b=str(data.v2.id))
    rows = {r[0]: r[1:] for r in v.tables["comparison"].rows}
    assert rows["Members"] == [6, "", 4, "", ""]
    assert rows["Submitted responses"] == [6, "", 3, "", ""]
    assert rows["Women"] == [6, 100.0, 0, 0.0, -100.0]
    assert rows["Willing to contribute (any mode)"] == [6, 100.0, 3, 75.0, -25.0]
    assert rows["Most common country of residence"] == [
        "Netherlands (6)",
        "",
        "Germany (3)",
        "",
        "",
    ]


# --- consent ---------------------------------------------------------------------------------


def test_it_counts_only_members_with_mapping_consent(session: Session, data: Data) -> None:
    assert "France" not in column(view(session, data.staff).tables["residence"], "members")
    set_consents(
        session=session, actor=None, member_id=data.nurses[0].id or 0, choices={"mapping": False}
    )
    assert view(session, data.staff).members == 9
    set_consents(
        session=session,
        actor=None,
        member_id=data.unconsented[0].id or 0,
        choices={"mapping": True},
    )
    assert column(view(session, data.staff).tables["residence"], "members")["France"] == 1


def test_it_keeps_erased_members_with_consent_in_the_aggregates(
    session: Session, data: Data
) -> None:
    admin = make_user(session, "ada@example.org", "admin")
    members.erase(session=session, actor=admin, member_id=data.nurses[0].id or 0)
    t = view(session, data.staff).tables
    assert column(t["residence"], "members")["Netherlands"] == 6
    # Erasure keeps coarse attributes (birth decade) but removes the skills.
    assert column(t["skills"], "members")["nursing care"] == 5
    assert column(t["age"], "members") == {"35-44": 3, "45-54": 7}


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"origin": "GH"}, {"Netherlands": 6, "Germany": 3}),
        ({"origin": "xk"}, {"Kosovo": 1}),
        ({"programme": "MIDA-GH"}, {"Netherlands": 6, "Germany": 3}),
        ({"sector": "education"}, {"Germany": 3}),
        ({"skill": "Nursing Care"}, {"Netherlands": 6}),
        ({"mode": "virtual"}, {"Netherlands": 6}),
        ({"sector": "health", "mode": "virtual"}, {"Netherlands": 6}),
        ({"origin": "GH", "skill": "teaching"}, {"Germany": 3}),
    ],
)
def test_it_filters(
    session: Session, data: Data, params: dict[str, str], expected: dict[str, int]
) -> None:
    assert column(view(session, data.staff, **params).tables["residence"], "members") == expected


def test_it_filters_by_survey_round(session: Session, data: Data) -> None:
    v = view(session, data.staff, version=str(data.v2.id))
    assert column(v.tables["residence"], "members") == {"Germany": 3, "Kosovo": 1}
    assert ("Survey round", "Mapping · v2") in v.filter_labels


def test_it_filters_demand_by_the_country_of_origin(session: Session, data: Data) -> None:
    assert view(session, data.staff, origin="XK").tables["supply_skills"].rows == []


@pytest.mark.parametrize(
    "params, field, says",
    [
        ({"origin": "ZZ"}, "origin", "two-letter ISO 3166 code"),
        ({"programme": "NOPE"}, "programme", "use one of: MIDA-GH"),
        ({"sector": "mining"}, "sector", "use one of: health"),
        ({"mode": "forever"}, "mode", "temporary, permanent or virtual"),
        ({"version": "two"}, "version", "not a survey version number"),
        ({"version": "999"}, "version", "no survey version 999"),
        ({"country": "GH"}, "country", "not a dashboard filter"),
    ],
)
def test_it_says_which_filter_to_change(
    session: Session, data: Data, params: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        view(session, data.staff, **params)
    assert says in caught.value.errors[field]


def test_it_wants_two_different_rounds_to_compare(session: Session, data: Data) -> None:
    with pytest.raises(ValidationFailed) as caught:
        view(session, data.staff, round_a=str(data.v1.id))
    assert "Choose two survey rounds" in caught.value.errors["round_b"]
    with pytest.raises(ValidationFailed) as caught:
        view(session, data.staff, round_a=str(data.v1.id), round_b=str(data.v1.id))
    assert "two different survey rounds" in caught.value.errors["round_b"]


def test_it_explains_an_empty_view(session: Session, data: Data) -> None:
    v = view(session, data.staff, skill="underwater basket weaving")
    assert v.empty and v.members == 0
    assert "No member with an active mapping consent lists the skill" in v.empty_message
    v = view(session, data.staff, origin="SO")
    assert "Remove a filter or choose another value" in v.empty_message


# --- who may see what ------------------------------------------------------------------------


def test_it_refuses_members_and_anonymous_users(session: Session, data: Data) -> None:
    with pytest.raises(Forbidden):
        view(session, data.member)
    with pytest.raises(Unauthorized):
        analytics.dashboard(session=session, actor=None, params={})


# The cell-key method replaced "< 5" / "x" markers and secondary suppression (issue 11):
# institution users now see every count perturbed by a bounded amount, never a count of 1-4,
# and no breakdown at all of a view with fewer than 5 members. The tests below check those
# properties against the exact (staff) figures instead of fixed markers.


def _published_cells(v: analytics.Dashboard) -> list[tuple[str, str, Any]]:
    out = []
    for table in v.tables.values():
        keys = [c.key for c in table.columns]
        if "members" in keys:
            index = keys.index("members")
            out.extend((table.key, row[0], row[index]) for row in table.rows)
    return out


def test_it_perturbs_every_count_shown_to_institution_users(session: Session, data: Data) -> None:
    exact = view(session, data.staff)
    shown = view(session, data.institution_user)
    assert shown.suppressed and not exact.suppressed
    truth = {(k, label): n for k, label, n in _published_cells(exact)}
    for key, label, value in _published_cells(shown):
        assert isinstance(value, int) and not privacy.is_small(value), (key, label, value)
        if label != "Other (fewer than 5 each)":  # folded rows: no staff row to compare
            assert truth.get((key, label), 0) in privacy.possible_counts(value), (key, label)
    assert exact.members in privacy.possible_counts(shown.members)  # type: ignore[arg-type]
    residence = column(shown.tables["residence"], "members")
    # Germany (3) and Kosovo (1) are shown as 5 or left out (published 0), never exactly.
    assert set(residence) <= {"Netherlands", "Germany", "Kosovo"}
    assert all(residence[c] == 5 for c in ("Germany", "Kosovo") if c in residence)
    assert shown.tables["residence"].total[3] == shown.members
    assert shown.as_dict()["suppression"]["method"] == "cell-key"


def test_the_same_cell_gets_the_same_noise_whatever_the_query(session: Session, data: Data) -> None:
    """The six nurses are the Netherlands cell of the whole view and of origin GH, and the
    female cell of both: one set of members, one published value, whichever way it is asked."""
    everyone = view(session, data.institution_user)
    ghana = view(session, data.institution_user, origin="GH")
    nl = column(everyone.tables["residence"], "members")["Netherlands"]
    assert column(ghana.tables["residence"], "members")["Netherlands"] == nl
    assert column(everyone.tables["gender"], "members")["Female"] == nl
    again = view(session, data.institution_user).as_dict()
    assert again | {"generated_at": None} == everyone.as_dict() | {"generated_at": None}


def test_it_folds_rare_free_text_answers_for_institution_users(
    session: Session, data: Data
) -> None:
    fields = column(view(session, data.institution_user).tables["education_field"], "members")
    assert "Ict" not in fields and "Education" not in fields
    assert set(fields) <= {"Nursing", "Other (fewer than 5 each)"}


def test_it_shows_no_breakdown_of_a_tiny_view(session: Session, data: Data) -> None:
    for params in ({"origin": "XK"}, {"origin": "SO"}, {"sector": "ict"}):
        v = view(session, data.institution_user, **params)
        assert v.members == privacy.SMALL and v.tables == {} and v.map_svg == ""
        assert v.empty_message == analytics.FEW_MEMBERS
        body = v.as_dict()
        assert body["tables"] == {} and body["message"] == analytics.FEW_MEMBERS
    assert view(session, data.staff, origin="XK").members == 1
    assert column(view(session, data.staff, origin="XK").tables["residence"], "members") == {
        "Kosovo": 1
    }


def test_it_takes_only_published_skills_from_institution_users(
    session: Session, data: Data
) -> None:
    # "python" belongs to one member; "teaching" to three: neither may be asked for.
    for skill in ("python", "teaching", "underwater basket weaving"):
        with pytest.raises(ValidationFailed) as caught:
            view(session, data.institution_user, skill=skill)
        assert "not one of the skills this dashboard shows" in caught.value.errors["skill"]
    assert view(session, data.institution_user, skill="Nursing  Care").filters.skill == (
        "nursing care"
    )
    # Staff see exact counts and may look up any skill.
    assert view(session, data.staff, skill="python").members == 1


def test_the_perturbation_table_is_bounded_and_never_publishes_a_small_count() -> None:
    keys = range(privacy.KEY_RANGE)
    for n in range(0, 60):
        published = {privacy.perturb(n, key) for key in keys}
        for p in published:
            assert n in privacy.possible_counts(p)
            assert not privacy.is_small(p)
            bound = privacy.THRESHOLD if n < privacy.THRESHOLD else privacy.MAX_NOISE
            assert abs(p - n) <= bound
        if n == 0:
            assert published == {0}
        elif n < privacy.THRESHOLD:
            assert published == {0, privacy.THRESHOLD}
        # Mean-preserving for small counts and away from the floor at 5.
        mean = sum(privacy.perturb(n, k) for k in keys) / privacy.KEY_RANGE
        if n < privacy.THRESHOLD or n > privacy.THRESHOLD + privacy.MAX_NOISE:
            assert abs(mean - n) < 0.05, n
    # The bounds an attacker may use are exactly the table's: nothing wider, nothing missed.
    for p in range(0, 60):
        if privacy.is_small(p):
            continue
        producers = {n for n in range(0, 70) for k in keys if privacy.perturb(n, k) == p}
        assert producers == set(privacy.possible_counts(p)), p
        assert len(producers) > 1
    # The cell key is the key sum modulo the range: the same members, the same noise.
    assert privacy.perturb(17, 300) == privacy.perturb(17, 300 - privacy.KEY_RANGE)


# --- the summary stays exact --------------------------------------------------------------------


def _counts(session: Session) -> set[tuple[Any, ...]]:
    # The record-key sums (k) too: the incremental and the set-based paths must agree on them.
    rows = session.connection().execute(
        text("SELECT slice, dim, key1, key2, n, k FROM analytics_count WHERE n > 0")
    )
    return {tuple(r) for r in rows}


def test_it_keeps_the_counts_equal_to_a_rebuild(session: Session, data: Data) -> None:
    admin = make_user(session, "ada@example.org", "admin")
    members.update_profile(session=session, actor=None, member_id=data.teachers[0].id or 0,
                           data={"residence_country": "GB", "skills": ["teaching", "python"],
                                 "modes": ["virtual"]})  # fmt: skip
    set_consents(
        session=session, actor=None, member_id=data.nurses[1].id or 0, choices={"mapping": False}
    )
    members.erase(session=session, actor=admin, member_id=data.nurses[2].id or 0)
    _respond(session, data.engineer, data.v1, datetime(2026, 4, 5, 23, 59, tzinfo=UTC))  # a Sunday
    session.commit()
    summary.refresh(session)
    kept = _counts(session)
    summary.rebuild(session)
    assert _counts(session) == kept
    assert summary.pending(session) == 0


def test_a_long_queue_is_applied_by_a_rebuild(
    session: Session, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a bulk import most members are queued: refresh rebuilds instead, same counts."""
    summary.refresh(session)
    for member in (*data.teachers, data.engineer):
        members.update_profile(session=session, actor=None, member_id=member.id or 0,
                               data={"residence_country": "CA"})  # fmt: skip
    session.commit()
    queued = summary.pending(session)
    assert queued >= 3
    rebuilt: list[bool] = []
    real_rebuild = summary.rebuild
    monkeypatch.setattr(summary, "rebuild", lambda s, **k: rebuilt.append(True) or real_rebuild(s))
    monkeypatch.setattr(summary, "REBUILD_FROM", 10**9)
    assert summary.refresh(session) == queued and rebuilt == []
    one_by_one = _counts(session)
    for member in (*data.teachers, data.engineer):
        members.update_profile(session=session, actor=None, member_id=member.id or 0,
                               data={"residence_country": "NL"})  # fmt: skip
        members.update_profile(session=session, actor=None, member_id=member.id or 0,
                               data={"residence_country": "CA"})  # fmt: skip
    session.commit()
    monkeypatch.setattr(summary, "REBUILD_FROM", 2)
    assert summary.refresh(session) == queued and rebuilt == [True]
    assert _counts(session) == one_by_one
    assert summary.pending(session) == 0


def test_it_counts_live_as_the_summary_does(session: Session, data: Data) -> None:
    rng = random.Random(7)
    summary.refresh(session)
    labels = ["nursing care", "teaching", "paediatrics"]
    for _ in range(25):
        choices: dict[str, Any] = {
            "origin": rng.choice([None, "GH", "XK"]),
            "programme_id": rng.choice([None, data.programme.id]),
            "sector": rng.choice([None, "health", "education"]),
            "version_id": rng.choice([None, data.v1.id, data.v2.id]),
            "mode": rng.choice([None, "temporary", "virtual"]),
        }
        f = Filters(**choices)
        from_summary, source = analytics.counts(session, f, supply_labels=labels)
        assert source == "summary"
        assert from_summary == live.counts(session, f, supply_labels=labels), choices
    f = Filters(skill="nursing care")
    assert analytics.counts(session, f, supply_labels=labels)[0] == live.counts(
        session, f, supply_labels=labels
    )


def test_it_queues_changes_in_the_writers_transaction(session: Session, data: Data) -> None:
    summary.refresh(session)
    assert summary.pending(session) == 0
    members.update_profile(session=session, actor=None, member_id=data.engineer.id or 0,
                           data={"gender": "female"})  # fmt: skip
    assert summary.pending(session) == 1
    assert column(view(session, data.staff).tables["gender"], "members") == {"Female": 7, "Male": 3}
    assert summary.pending(session) == 0


# --- exports ---------------------------------------------------------------------------------


def test_it_exports_the_numbers_shown_and_audits_it(session: Session, data: Data) -> None:
    from diaspora.audit.models import AuditEvent

    exported = analytics.export(session=session, actor=data.institution_user,
                                params={"origin": "GH"}, table="gender", fmt="csv")  # fmt: skip
    lines = exported.content.decode("utf-8-sig").splitlines()
    shown = view(session, data.institution_user, origin="GH").tables["gender"]
    assert lines[0] == "Gender,Members,Per cent"
    assert lines[1:] == [",".join(str(c) for c in row) for row in shown.export_rows()]
    assert exported.filename == "diaspora-gender-origin-GH.csv"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "analytics.export")).one()
    assert event.entity_id == "gender" and event.details["filters"] == {"origin": "GH"}
    assert event.details["suppressed"] is True


def test_it_refuses_an_unknown_table_or_format(session: Session, data: Data) -> None:
    from diaspora.errors import NotFound

    with pytest.raises(NotFound):
        analytics.export(session=session, actor=data.staff, params={}, table="salaries", fmt="csv")
    with pytest.raises(NotFound):
        analytics.export(session=session, actor=data.staff, params={}, table="gender", fmt="pdf")


def test_it_counts_nothing_on_an_empty_database(session: Session) -> None:
    staff = make_user(session, "sam@example.org", "staff")
    v = view(session, staff)
    assert v.members == 0 and v.empty
    assert "No member has given mapping consent yet" in v.empty_message
    assert v.tables["residence"].rows == []


def test_it_counts_members_written_by_the_fast_submission_path(
    session: Session, data: Data
) -> None:
    """Submissions without an account write the profile with Core statements; they count."""
    from diaspora.responses import respond
    from tests.survey_factories import SLUG, answers, builtin

    builtin(session)
    respond.submit_answers(session=session, actor=data.staff, slug=SLUG,
                           answers=answers(residence_country="CA", email="new@example.org"))  # fmt: skip
    session.commit()
    v = view(session, data.staff)
    assert column(v.tables["residence"], "members")["Canada"] == 1
    assert v.members == 11
    summary.refresh(session)
    kept = _counts(session)
    summary.rebuild(session)
    assert _counts(session) == kept
