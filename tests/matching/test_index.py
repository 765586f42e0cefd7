"""Ranking: hard filters, explanations, determinism, incremental updates, reverse queries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Match, MatchIndex, Member, Request, Taxonomy, Weights, rank_requests

from .conftest import member, request

NURSES = [
    member(
        "m01",
        occupation="registered nurse",
        skills=["wound care", "patient care", "give medicines"],
    ),
    member("m02", occupation="specialist nurse", skills=["nursing care"]),
    member(
        "m03", occupation="midwife", skills=["antenatal care", "deliver babies", "patient care"]
    ),
    member("m04", occupation="software developer", skills=["python", "fix software bugs"]),
    member("m05", occupation="web developer", skills=["javascript", "HTML", "coding"]),
    member("m06", occupation="civil engineer", skills=["structural analysis", "budgeting"]),
    member("m07", occupation="", skills=["python programming", "coding", "debug software"]),
    member("m08", occupation="maths teacher", skills=["lesson planning"]),
]

NURSE_JOB = request(
    title="nurse responsible for general care",
    skills_essential=["wound care", "administer medication", "provide nursing care"],
    skills_desirable=["manage budgets"],
)


def ranked_ids(matches: list[Match]) -> list[str]:
    return [m.member_id for m in matches]


@pytest.fixture
def index(taxonomy: Taxonomy) -> MatchIndex:
    return MatchIndex(NURSES, taxonomy=taxonomy)


def test_it_ranks_the_same_occupation_first_then_the_same_isco_group(index: MatchIndex) -> None:
    ids = ranked_ids(index.rank(NURSE_JOB, limit=5))
    assert ids[0] == "m01"
    assert ids[1] == "m02"  # specialist nurse: same ISCO group 2221
    assert "m04" not in ids  # nothing in common with the request


def test_it_finds_developers_from_skills_alone(index: MatchIndex) -> None:
    job = request(skills_essential=["Python (computer programming)", "debug software"])
    top = index.rank(job, limit=3)
    assert set(ranked_ids(top)[:2]) == {"m04", "m07"}  # m07 gave no title
    assert top[1].explanation is not None and top[1].explanation.missing_essential == ()


def test_it_returns_nothing_for_an_empty_index(taxonomy: Taxonomy) -> None:
    assert MatchIndex([], taxonomy=taxonomy).rank(NURSE_JOB) == []
    assert MatchIndex(NURSES, taxonomy=taxonomy).rank(NURSE_JOB, limit=0) == []


def test_it_explains_covered_and_missing_skills_with_the_members_words(index: MatchIndex) -> None:
    top = index.rank(NURSE_JOB, limit=1)[0]
    e = top.explanation
    assert e is not None
    covered = {c.skill: c for c in e.covered}
    assert covered["wound care"].member_words == ("wound care",)
    assert covered["administer medication"].member_words == ("give medicines",)
    assert covered["provide nursing care"].member_words == ("patient care",)
    assert covered["wound care"].kind == "essential"
    assert e.missing_essential == ()
    assert e.occupation.startswith("same occupation: nurse responsible for general care")
    factors = {f.name: f for f in e.factors}
    assert set(factors) == {
        "essential_skills",
        "desirable_skills",
        "occupation",
        "text",
        "experience",
        "education",
        "languages",
        "sector",
        "availability",
    }
    assert factors["essential_skills"].value == pytest.approx(1.0)
    assert factors["desirable_skills"].value == 0.0
    assert sum(f.contribution for f in e.factors) == pytest.approx(top.score, abs=1e-4)
    assert e.to_dict()["factors"]["occupation"]["contribution"] > 0


def test_it_lists_missing_essential_skills(index: MatchIndex) -> None:
    second = index.rank(NURSE_JOB, limit=2)[1]
    assert second.member_id == "m02"
    assert second.explanation is not None
    assert set(second.explanation.missing_essential) == {"wound care", "administer medication"}
    assert (
        "same ISCO-08 group 2221" in second.explanation.occupation
        or "same occupation" not in second.explanation.occupation
    )


def test_it_matches_unmapped_text_as_words(taxonomy: Taxonomy) -> None:
    idx = MatchIndex(
        [member("a", skills=["solar panel installation"]), member("b", skills=["accounting"])],
        taxonomy=taxonomy,
    )
    job = request(skills_essential=["installation of solar panels"])
    top = idx.rank(job)
    assert ranked_ids(top) == ["a"]
    assert top[0].explanation is not None
    assert top[0].explanation.covered[0].member_words == ("solar panel installation",)


def test_it_is_deterministic_and_breaks_ties_by_member_id(taxonomy: Taxonomy) -> None:
    twins = [
        member(f"t{i}", occupation="civil engineer", skills=["structural analysis"])
        for i in (3, 1, 2)
    ]
    idx = MatchIndex(twins, taxonomy=taxonomy)
    job = request(title="civil engineer")
    first = idx.rank(job)
    assert ranked_ids(first) == ["t1", "t2", "t3"]
    assert len({m.score for m in first}) == 1
    assert idx.rank(job) == first
    assert MatchIndex(list(reversed(twins)), taxonomy=taxonomy).rank(job) == first


def test_it_breaks_ties_at_the_cut_by_id(taxonomy: Taxonomy) -> None:
    many = [member(f"x{i:03d}", occupation="civil engineer") for i in range(150, 0, -1)]
    idx = MatchIndex(many, taxonomy=taxonomy)
    assert ranked_ids(idx.rank(request(title="civil engineer"), limit=3)) == [
        "x001",
        "x002",
        "x003",
    ]


@pytest.mark.parametrize(
    ("breaker", "constraints"),
    [
        ({"languages": ["en"]}, {"languages": ["en", "fr"]}),
        ({"modes": ["virtual"]}, {"mode": "permanent"}),
        ({"years_experience": 2}, {"min_years_experience": 3}),
        (
            {"available_from": "2025-01-01", "available_to": "2025-02-01"},
            {"start_from": "2025-03-01", "end": "2025-04-01"},
        ),
    ],
)
def test_it_filters_out_members_breaking_a_hard_constraint(
    taxonomy: Taxonomy, breaker: dict, constraints: dict
) -> None:
    ok = member(
        "ok",
        occupation="civil engineer",
        languages=["en", "fr"],
        available_from="2025-01-01",
        available_to="2025-12-31",
    )
    idx = MatchIndex([member("x", occupation="civil engineer", **breaker), ok], taxonomy=taxonomy)
    job = request(title="civil engineer", **constraints)
    assert ranked_ids(idx.rank(job)) == ["ok"]
    assert idx.score(job, "x") is None
    assert idx.score(job, "ok") == idx.rank(job)[0]


def test_it_keeps_members_without_dates_when_the_request_has_dates(taxonomy: Taxonomy) -> None:
    idx = MatchIndex([member("nodates", occupation="civil engineer")], taxonomy=taxonomy)
    job = request(title="civil engineer", start_from="2025-03-01", end="2025-04-01")
    assert ranked_ids(idx.rank(job)) == ["nodates"]


def test_it_applies_the_eligible_set_or_predicate_and_exclusions(index: MatchIndex) -> None:
    assert "m01" not in ranked_ids(index.rank(NURSE_JOB, eligible={"m02", "m03"}))
    assert set(ranked_ids(index.rank(NURSE_JOB, eligible={"m02", "m03"}))) <= {"m02", "m03"}
    assert ranked_ids(index.rank(NURSE_JOB, eligible=lambda mid: mid != "m01"))[0] == "m02"
    assert ranked_ids(index.rank(NURSE_JOB, exclude=["m01"]))[0] == "m02"


def test_it_rewards_sector_education_and_availability(taxonomy: Taxonomy) -> None:
    a = member(
        "a",
        occupation="civil engineer",
        sectors=["Infrastructure"],
        education="master",
        available_from="2025-01-01",
        available_to="2025-12-31",
    )
    b = member("b", occupation="civil engineer", education="secondary")
    idx = MatchIndex([b, a], taxonomy=taxonomy)
    job = request(
        title="civil engineer",
        sector="infrastructure",
        min_education="bachelor",
        start_from="2025-03-01",
        end="2025-04-01",
    )
    top = idx.rank(job)
    assert ranked_ids(top) == ["a", "b"]
    assert top[0].explanation is not None
    factors = {f.name: f.value for f in top[0].explanation.factors}
    assert (
        factors["sector"] == 1.0 and factors["education"] == 1.0 and factors["availability"] == 1.0
    )


def test_it_uses_the_given_weights(taxonomy: Taxonomy) -> None:
    only_experience = Weights(
        **{name: 0.0 for name in Weights.__slots__ if name != "experience"}, experience=1.0
    )
    idx = MatchIndex(
        [
            member("junior", occupation="civil engineer", years_experience=1),
            member("senior", occupation="civil engineer", years_experience=30),
        ],
        taxonomy=taxonomy,
        weights=only_experience,
    )
    top = idx.rank(request(title="civil engineer"))
    assert ranked_ids(top) == ["senior", "junior"]
    assert top[0].score == 1.0


def test_it_refuses_duplicate_ids_and_unknown_removals(index: MatchIndex) -> None:
    with pytest.raises(ValueError, match="already indexed"):
        index.add(member("m01"))
    with pytest.raises(KeyError):
        index.remove("nobody")


@pytest.mark.parametrize("compact_every", [1, 3, 1000])
def test_it_gives_the_same_results_incrementally_as_rebuilt(
    taxonomy: Taxonomy, compact_every: int
) -> None:
    idx = MatchIndex(NURSES[:4], taxonomy=taxonomy, compact_every=compact_every)
    for m in NURSES[4:]:
        idx.add(m)
    changed = member("m02", occupation="registered nurse", skills=["wound care", "give medicines"])
    idx.update(changed)
    idx.remove("m03")
    idx.remove("m05")
    idx.add(member("m09", occupation="nurse specialist", skills=["treat wounds"]))
    final = [changed if m.id == "m02" else m for m in NURSES if m.id not in {"m03", "m05"}]
    final.append(member("m09", occupation="nurse specialist", skills=["treat wounds"]))
    rebuilt = MatchIndex(final, taxonomy=taxonomy)
    assert len(idx) == len(rebuilt) == 7
    assert idx.member_ids == rebuilt.member_ids
    assert idx.get("m02") == changed
    for job in (
        NURSE_JOB,
        request(skills_essential=["python", "javascript"]),
        request(title="civil engineer"),
    ):
        assert idx.rank(job, limit=10) == rebuilt.rank(job, limit=10)


def test_it_ranks_requests_for_a_member(taxonomy: Taxonomy) -> None:
    nurse = NURSES[0]
    jobs = [
        request("r-dev", title="software developer", skills_essential=["python"]),
        NURSE_JOB,
        request("r-mid", title="midwife", skills_essential=["assist childbirth", "nursing care"]),
        request("r-fr", title="nurse responsible for general care", languages=["fr"]),
    ]
    found = rank_requests(nurse, jobs, taxonomy=taxonomy)
    assert [f.request_id for f in found][:2] == ["r1", "r-mid"]
    assert "r-fr" not in [f.request_id for f in found]  # she does not speak French
    forward = MatchIndex([nurse], taxonomy=taxonomy).rank(NURSE_JOB)[0]
    assert found[0].score == forward.score
    assert found[0].explanation == forward.explanation
    same = MatchIndex(NURSES, taxonomy=taxonomy).rank_requests(nurse, jobs, limit=1)
    assert [f.request_id for f in same] == ["r1"]


LANGS = ["en", "fr", "ar"]
MODES = ["temporary", "virtual", "permanent"]
OCCUPATIONS = ["registered nurse", "midwife", "software developer", "civil engineer", ""]
SKILLS = ["wound care", "python", "coding", "deliver babies", "structural analysis", "solar power"]
DATES = st.one_of(st.none(), st.dates(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))


@st.composite
def members(draw: st.DrawFn, mid: str) -> Member:
    start, end = sorted([draw(DATES) or dt.date.min, draw(DATES) or dt.date.max])
    return Member(
        id=mid,
        occupation=draw(st.sampled_from(OCCUPATIONS)),
        skills=tuple(draw(st.lists(st.sampled_from(SKILLS), max_size=3, unique=True))),
        languages=tuple(sorted(draw(st.sets(st.sampled_from(LANGS))))),
        modes=tuple(sorted(draw(st.sets(st.sampled_from(MODES))))),
        years_experience=draw(st.integers(0, 12)),
        available_from=None if start == dt.date.min else start,
        available_to=None if end == dt.date.max else end,
    )


@st.composite
def requests_(draw: st.DrawFn) -> Request:
    start, end = sorted([draw(DATES) or dt.date.min, draw(DATES) or dt.date.max])
    return Request(
        id="r",
        title=draw(st.sampled_from(OCCUPATIONS[:-1])),
        skills_essential=tuple(draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True))),
        languages=tuple(sorted(draw(st.sets(st.sampled_from(LANGS), max_size=2)))),
        mode=draw(st.sampled_from(MODES)),
        min_years_experience=draw(st.integers(0, 10)),
        start_from=None if start == dt.date.min else start,
        start_to=None if end == dt.date.max else end,
    )


def _eligible(r: Request, m: Member) -> bool:
    dated_member = m.available_from or m.available_to
    dated_request = r.start_from or r.start_to
    overlap = not (dated_member and dated_request) or (
        (m.available_from or dt.date.min) <= (r.start_to or dt.date.max)
        and (m.available_to or dt.date.max) >= (r.start_from or dt.date.min)
    )
    return (
        set(r.languages) <= set(m.languages)
        and r.mode in m.modes
        and m.years_experience >= r.min_years_experience
        and overlap
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(st.integers(0, 10**6), min_size=0, max_size=25, unique=True).flatmap(
        lambda ids: st.tuples(*(members(f"m{i}") for i in ids))
    ),
    job=requests_(),
    consent=st.sets(st.integers(0, 10**6)),
)
def test_it_never_ranks_a_member_who_breaks_a_hard_constraint(
    taxonomy: Taxonomy, people: tuple[Member, ...], job: Request, consent: set[int]
) -> None:
    idx = MatchIndex(people, taxonomy=taxonomy)
    by_id = {m.id: m for m in people}
    found = idx.rank(job, limit=50)
    assert all(_eligible(job, by_id[m.member_id]) for m in found)
    scores = [(-m.score, m.member_id) for m in found]
    assert scores == sorted(scores)
    allowed = {f"m{i}" for i in consent} | {m.id for m in people[::2]}
    assert {m.member_id for m in idx.rank(job, limit=50, eligible=allowed)} <= allowed
    assert {m.member_id for m in idx.rank(job, limit=50, eligible=allowed.__contains__)} <= allowed
