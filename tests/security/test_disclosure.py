"""Disclosure through the dashboard (issue 11, findings 2 and 3), tried as an institution
user against the API on the demo database.

1. The subtraction attack of finding 3, over every filter partition: for each partition
   filter (origin, programme, sector, survey round: each value of its vocabulary) and every
   cell of every table, the attacker subtracts the published cells of all the other values
   from the published unfiltered cell, and intersects with the perturbation's published
   bounds (`privacy.possible_counts`). We grant the attacker more than they have: the
   members outside every value of the filter (no origin, no programme...) are given
   exactly. No hidden cell (a true count of 1-4) may come out with a single possible value.
   The same inside every view: a row of a partition table from the view's total and the
   table's other rows.
2. The single-member attack of finding 2 (R2: a skill only one member has) shows nothing,
   nor does any view of fewer than 5 members (page, JSON, CSV/XLSX, printable report).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session, select

from diaspora.accounts.models import User
from diaspora.analytics import privacy, summary
from diaspora.analytics import service as analytics
from diaspora.institutions.models import Programme
from diaspora.responses.models import SurveyVersion
from diaspora.vocab import SECTORS, country_codes
from sample_data.demo import load_demo

FEW = analytics.FEW_MEMBERS
# Columns holding counts of people (the others are shares, positions, requests, gaps).
COUNT_COLUMNS = {"members", "supply"}
# Fixed record keys for the test, so that its outcome does not depend on the draw.
KEY_SEED = 11

Cells = dict[tuple[str, str, str], int]
RESULTS: dict[str, int] = {}
UNKNOWN = range(0, 10**9)


def _demo(session: Session) -> tuple[User, User]:
    load_demo(session=session, password="demo-pass-123")
    rng = random.Random(KEY_SEED)
    ids = [
        row[0]
        for row in session.connection().execute(text("SELECT id FROM member_profile ORDER BY id"))
    ]
    for member_id in ids:
        session.connection().execute(
            text("UPDATE member_profile SET record_key = :k WHERE id = :id"),
            {"k": rng.randrange(privacy.KEY_RANGE), "id": member_id},
        )
    session.commit()
    summary.rebuild(session)
    ministry = session.exec(select(User).where(User.email == "ministry@demo.example")).one()
    staff = session.exec(select(User).where(User.email == "staff@demo.example")).one()
    return ministry, staff


class View:
    """Every count of people in an API answer, by (table, row label, column), and which
    tables list every category the view has (a row left out of those was published as 0;
    of the others, the top-25 skills and the requested skills, it says nothing)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.tiny = not body["tables"]
        self.cells: Cells = {("total", "members", "members"): body["members"]}
        self.complete: set[str] = {"total"}
        for key, table in body["tables"].items():
            columns = [c["key"] for c in table["columns"]]
            wanted = [
                i
                for i, c in enumerate(columns)
                if c in COUNT_COLUMNS or (key == "responses" and c != "week")
            ]
            for row in table["rows"]:
                for i in wanted:
                    self.cells[(key, str(row[0]), columns[i])] = int(row[i])
            truncated = key == "skills" and len(table["rows"]) >= analytics.TOP_SKILLS
            if not truncated and not key.startswith("supply_"):
                self.complete.add(key)

    def known(self, cell: tuple[str, str, str]) -> range:
        """What the attacker knows of the true count of `cell` in this view."""
        if self.tiny:  # fewer than 5 members: nothing shown, at most 4 in any cell
            return range(0, privacy.THRESHOLD)
        if cell in self.cells:
            return privacy.possible_counts(self.cells[cell])
        return privacy.possible_counts(0) if cell[0] in self.complete else UNKNOWN

    def exact(self, cell: tuple[str, str, str]) -> int | None:
        """The true count (from a staff answer), None when the answer does not say."""
        if cell in self.cells:
            return self.cells[cell]
        return 0 if cell[0] in self.complete else None


def _partitions(session: Session) -> Iterator[tuple[str, list[str]]]:
    """Each partition filter and its whole vocabulary."""
    yield "origin", sorted(country_codes())
    yield "programme", [p.code for p in session.exec(select(Programme)).all()]
    yield "sector", list(SECTORS)
    yield "version", [str(v.id) for v in session.exec(select(SurveyVersion)).all()]


def _values_with_members(session: Session, name: str) -> set[str]:
    """Values of a filter that at least one counted member has (the others are empty)."""
    column, join = {
        "origin": ("m.origin_country", ""),
        "programme": ("p.code", "JOIN programme p ON p.id = m.programme_id"),
        "sector": ("m.sector", ""),
        "version": ("CAST(m.survey_version_id AS VARCHAR)", ""),
    }[name]
    rows = session.connection().execute(
        text(f"SELECT DISTINCT {column} FROM member_profile m {join} WHERE m.consent_mapping")
    )
    return {str(r[0]) for r in rows if r[0] is not None}


# Tables whose rows split the members of a view: total minus the other rows is the row.
PARTITION_TABLES = (
    "residence", "age", "gender", "education_level", "occupation", "sector", "experience",
)  # fmt: skip


def _within_view(shown: View, truth: View) -> tuple[int, int]:
    """The subtraction inside one view: a row from the view's total and its other rows.
    Granted to the attacker: which categories hold anybody. Returns (hidden cells tried,
    hidden cells pinned to one value)."""
    if shown.tiny:
        return 0, 0
    tried = pinned = 0
    total = privacy.possible_counts(shown.cells[("total", "members", "members")])
    for table in PARTITION_TABLES:
        rows = {c: n for c, n in truth.cells.items() if c[0] == table and n > 0}
        known = {c: shown.known(c) for c in rows}
        for cell, true_value in rows.items():
            if not privacy.is_small(true_value):
                continue
            others = [r for c, r in known.items() if c != cell]
            low = total.start - sum(r.stop - 1 for r in others)
            high = (total.stop - 1) - sum(r.start for r in others)
            consistent = [n for n in known[cell] if low <= n <= high]
            assert true_value in consistent, cell
            tried += 1
            pinned += len(consistent) == 1
    return tried, pinned


def test_subtraction_over_every_partition_recovers_no_hidden_cell(
    session: Session, as_user
) -> None:
    ministry, staff = _demo(session)
    attacker, truth_client = as_user(ministry), as_user(staff)

    def ask(client: Any, **params: str) -> dict[str, Any]:
        response = client.get("/api/v1/analytics/dashboard", params=params)
        assert response.status_code == 200, (params, response.text)
        return response.json()

    parent, parent_truth = View(ask(attacker)), View(ask(truth_client))
    partitions = cells_tried = hidden_tried = pinned_hidden = pinned_any = naive_exact = 0
    within = dict(zip(("cells", "recovered"), _within_view(parent, parent_truth), strict=True))
    for name, vocabulary in _partitions(session):
        partitions += 1
        shown: dict[str, View] = {}
        truth: dict[str, View] = {}
        present = _values_with_members(session, name)
        for value in vocabulary:
            seen = ask(attacker, **{name: value})
            if value not in present:
                # Nobody there: the attacker sees the same message as for 1-4 members (and
                # is granted, below, that nobody is there).
                assert seen["tables"] == {} and seen["message"] == FEW
                continue
            shown[value], truth[value] = View(seen), View(ask(truth_client, **{name: value}))
            within_tried, within_pinned = _within_view(shown[value], truth[value])
            within["cells"] += within_tried
            within["recovered"] += within_pinned
        for cell, parent_value in parent.cells.items():
            exact_values = {v: t.exact(cell) for v, t in truth.items()}
            parent_exact = parent_truth.exact(cell)
            if parent_exact is None or None in exact_values.values():
                continue  # a top-25 list left it out: no ground truth to judge by
            # Granted to the attacker: the members outside every value, exactly.
            rest = parent_exact - sum(v or 0 for v in exact_values.values())
            known = {v: view.known(cell) for v, view in shown.items()}
            parent_range = privacy.possible_counts(parent_value)
            for value in shown:
                true_value = exact_values[value] or 0
                others = [r for v, r in known.items() if v != value]
                low = parent_range.start - rest - sum(r.stop - 1 for r in others)
                high = (parent_range.stop - 1) - rest - sum(r.start for r in others)
                consistent = [n for n in known[value] if low <= n <= high]
                assert true_value in consistent, (name, value, cell)  # the bounds are sound
                cells_tried += 1
                single = len(consistent) == 1
                pinned_any += single
                if privacy.is_small(true_value):
                    hidden_tried += 1
                    pinned_hidden += single
                    naive = (
                        parent_value
                        - rest
                        - sum(view.cells.get(cell, 0) for v, view in shown.items() if v != value)
                    )
                    naive_exact += naive == true_value
    RESULTS.update(
        partitions=partitions,
        cells=cells_tried,
        hidden=hidden_tried,
        recovered_hidden=pinned_hidden,
        pinned_any=pinned_any,
        naive_exact=naive_exact,
        within_view_hidden=within["cells"],
        within_view_recovered=within["recovered"],
    )
    print(f"\ndifferencing attack: {RESULTS}")
    assert hidden_tried > 100  # the attack had material to work on
    assert pinned_hidden == 0 and within["recovered"] == 0
    # Subtracting published values gives the exact count no more often than chance would.
    assert naive_exact < hidden_tried / 2


def _rare_skill(session: Session) -> str:
    rows = session.connection().execute(
        text(
            "SELECT s.label FROM member_skill s JOIN member_profile m ON m.id = s.member_id "
            "WHERE m.consent_mapping GROUP BY s.label HAVING COUNT(DISTINCT m.id) = 1 "
            "ORDER BY s.label"
        )
    )
    return [r[0] for r in rows][0]


def test_a_skill_of_one_member_shows_nothing(session: Session, as_user) -> None:
    ministry, staff = _demo(session)
    client = as_user(ministry)
    skill = _rare_skill(session)
    response = client.get("/api/v1/analytics/dashboard", params={"skill": skill})
    assert response.status_code == 422
    assert "not one of the skills this dashboard shows" in response.json()["errors"]["skill"]
    assert "tables" not in response.json()
    page = client.get("/dashboard", params={"skill": skill})
    assert page.status_code == 422 and 'id="t-residence"' not in page.text
    export = client.get("/dashboard/export/all.xlsx", params={"skill": skill})
    assert export.status_code == 422
    # Free text is normalised, never matched loosely: "Agile  PROJECT management" is the same
    # (refused) skill, and a published skill typed in another case is accepted as itself.
    assert (
        client.get("/api/v1/analytics/dashboard", params={"skill": skill.upper()}).status_code
        == 422
    )
    common = analytics.skill_suggestions(session)[0]
    body = client.get("/api/v1/analytics/dashboard", params={"skill": common.title()}).json()
    assert body["filters"]["skill"] == common and body["tables"]
    # Staff, who see exact figures anyway, can look it up.
    assert (
        as_user(staff).get("/api/v1/analytics/dashboard", params={"skill": skill}).json()["members"]
        == 1
    )


def test_a_view_of_fewer_than_five_shows_no_breakdown(session: Session, as_user) -> None:
    ministry, staff = _demo(session)
    client = as_user(ministry)
    for params in (
        {"origin": "GH", "sector": "legal", "mode": "permanent"},  # finding 2, on the page
        {"origin": "SL", "sector": "health", "mode": "virtual"},
        {"origin": "AQ"},  # nobody at all: the same answer
    ):
        exact = as_user(staff).get("/api/v1/analytics/dashboard", params=params).json()
        assert exact["members"] < privacy.THRESHOLD, params
        body = client.get("/api/v1/analytics/dashboard", params=params).json()
        assert body["tables"] == {} and body["members"] == privacy.SMALL
        assert body["message"] == FEW
        for path in ("/dashboard", "/dashboard/report"):
            html = client.get(path, params=params).text
            assert "Fewer than 5 people match these filters; widen the filters." in html
            assert "<table" not in html and "<svg" not in html
        content = client.get("/dashboard/export/residence.csv", params=params).content
        assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [["Message"], [FEW]]
        book = load_workbook(
            io.BytesIO(client.get("/dashboard/export/all.xlsx", params=params).content)
        )
        rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
        assert book.sheetnames == ["message"] and rows == [["Message"], [FEW]]


def test_every_filter_takes_only_its_vocabulary(session: Session, as_user, world) -> None:
    client = as_user(world.carol)  # an institution user
    for params, field in (
        ({"origin": "Ghana"}, "origin"),
        ({"sector": "mining"}, "sector"),
        ({"mode": "sometimes"}, "mode"),
        ({"programme": "NOPE"}, "programme"),
        ({"version": "99999999999999999999999"}, "version"),
        ({"skill": "x" * 201}, "skill"),
        ({"skill": "nursing"}, "skill"),  # not a published skill (nor one concept's label)
        ({"gender": "female"}, "gender"),
        ([("origin", "GH"), ("origin", "XK")], "origin"),  # one value, not the last of two
    ):
        response = client.get("/api/v1/analytics/dashboard", params=params)
        assert response.status_code == 422, params
        assert field in response.json()["errors"], params
        page = client.get("/dashboard", params=params)
        assert page.status_code == 422 and "<table" not in page.text, params
