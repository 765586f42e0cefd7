"""The programme report: requests and assignments counted with SQL GROUP BY, for a page and
CSV/XLSX downloads. Figures come from the data only (staff view: exact, no suppression)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.assignments.models import Assignment
from diaspora.errors import NotFound
from diaspora.institutions.models import Institution, Programme
from diaspora.members.models import MemberProfile
from diaspora.placements.models import PlacementRequest
from diaspora.placements.states import ASSIGNMENT_STATES, HOLDS_POSITION, REQUEST_STATES
from diaspora.tabular import to_csv, to_xlsx
from diaspora.vocab import MODES


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class ProgrammeReport:
    programme: Programme | None
    # Distinct members placed (accepted, in progress or completed), overall and per mode.
    members_placed: int
    members_placed_by_mode: dict[str, int]
    assignments: int
    completed: int
    people_trained: int
    host_rating_avg: float | None
    member_rating_avg: float | None
    host_ratings: int
    member_ratings: int
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _avg(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def programme_report(
    *, session: Session, actor: User, programme_code: str | None = None
) -> ProgrammeReport:
    """Counts for one programme (by code) or, without a code, for all programmes."""
    require(actor, "report.read")
    programme = None
    if programme_code:
        programme = session.exec(select(Programme).where(Programme.code == programme_code)).first()
        if programme is None:
            raise NotFound(f"No programme with code {programme_code!r}.")

    def scope_a(stmt: Any) -> Any:
        return stmt.where(Assignment.programme_id == programme.id) if programme else stmt

    def scope_r(stmt: Any) -> Any:
        return stmt.where(PlacementRequest.programme_id == programme.id) if programme else stmt

    placed = col(Assignment.status).in_(HOLDS_POSITION)
    members_placed = int(
        session.exec(
            scope_a(select(func.count(distinct(col(Assignment.member_id)))).where(placed))
        ).one()
    )
    by_mode = dict.fromkeys(MODES, 0)
    for mode, n in session.exec(
        scope_a(
            select(Assignment.mode, func.count(distinct(col(Assignment.member_id))))
            .where(placed)
            .group_by(Assignment.mode)
        )
    ).all():
        by_mode[mode] = int(n)
    done = col(Assignment.status) == "completed"
    totals = session.exec(
        scope_a(
            sa_select(
                func.count(),
                func.count().filter(done),
                func.coalesce(func.sum(col(Assignment.people_trained)).filter(done), 0),
                func.avg(col(Assignment.host_rating)).filter(done),
                func.avg(col(Assignment.member_rating)).filter(done),
                func.count(col(Assignment.host_rating)).filter(done),
                func.count(col(Assignment.member_rating)).filter(done),
            )
        )
    ).one()

    tables: list[Table] = []
    counts = dict(
        session.exec(
            scope_r(select(PlacementRequest.status, func.count()).group_by(PlacementRequest.status))
        ).all()
    )
    positions = dict(
        session.exec(
            scope_r(
                select(PlacementRequest.status, func.sum(PlacementRequest.positions)).group_by(
                    PlacementRequest.status
                )
            )
        ).all()
    )
    tables.append(
        Table(
            "requests_by_status",
            "Placement requests by status",
            ["status", "requests", "positions"],
            [
                [s, int(counts.get(s, 0)), int(positions.get(s) or 0)]
                for s in REQUEST_STATES
                if counts.get(s)
            ],
        )
    )
    mode_status = session.exec(
        scope_a(
            select(Assignment.mode, Assignment.status, func.count())
            .group_by(Assignment.mode, Assignment.status)
            .order_by(Assignment.mode, Assignment.status)
        )
    ).all()
    order = {s: i for i, s in enumerate(ASSIGNMENT_STATES)}
    tables.append(
        Table(
            "assignments_by_mode_status",
            "Assignments by mode and status",
            ["mode", "status", "assignments"],
            sorted(
                ([m, s, int(n)] for m, s, n in mode_status),
                key=lambda r: (r[0], order.get(r[1], 99)),
            ),
        )
    )

    def grouped(key: str, title: str, label: str, column: Any, join: Any, on: Any) -> None:
        rows = session.exec(
            scope_a(
                select(
                    column,
                    func.count(),
                    func.count(distinct(col(Assignment.member_id))).filter(placed),
                    func.coalesce(func.sum(col(Assignment.people_trained)).filter(done), 0),
                )
                .join(join, on)
                .group_by(column)
                .order_by(func.count().desc(), column)
            )
        ).all()
        tables.append(
            Table(
                key,
                title,
                [label, "assignments", "members placed", "people trained"],
                [[name or "-", int(n), int(p), int(t)] for name, n, p, t in rows],
            )
        )

    grouped(
        "assignments_by_sector",
        "Assignments by sector",
        "sector",
        PlacementRequest.sector,
        PlacementRequest,
        col(PlacementRequest.id) == Assignment.request_id,
    )
    grouped(
        "assignments_by_institution",
        "Assignments by host institution",
        "institution",
        Institution.name,
        Institution,
        col(Institution.id) == Assignment.institution_id,
    )
    grouped(
        "assignments_by_residence",
        "Assignments by member's country of residence",
        "country of residence",
        MemberProfile.residence_country,
        MemberProfile,
        col(MemberProfile.id) == Assignment.member_id,
    )
    if programme is None:
        grouped(
            "assignments_by_programme",
            "Assignments by programme",
            "programme",
            Programme.code,
            Programme,
            col(Programme.id) == Assignment.programme_id,
        )
    return ProgrammeReport(
        programme=programme,
        members_placed=members_placed,
        members_placed_by_mode=by_mode,
        assignments=int(totals[0]),
        completed=int(totals[1]),
        people_trained=int(totals[2] or 0),
        host_rating_avg=_avg(totals[3]),
        member_rating_avg=_avg(totals[4]),
        host_ratings=int(totals[5]),
        member_ratings=int(totals[6]),
        tables=tables,
    )


def summary_rows(report: ProgrammeReport) -> list[list[Any]]:
    """The headline figures as (figure, value) rows."""
    rows: list[list[Any]] = [
        ["programme", report.programme.code if report.programme else "all programmes"],
        ["diaspora members placed (accepted, in progress or completed)", report.members_placed],
    ]
    rows += [[f"members on {m} assignment", n] for m, n in report.members_placed_by_mode.items()]
    rows += [
        ["assignments", report.assignments],
        ["assignments completed", report.completed],
        ["people trained", report.people_trained],
        ["host evaluation average (1-5)", report.host_rating_avg],
        ["host evaluations", report.host_ratings],
        ["member evaluation average (1-5)", report.member_rating_avg],
        ["member evaluations", report.member_ratings],
    ]
    return rows


def report_csv(report: ProgrammeReport) -> bytes:
    """One CSV: the summary, then every table, each row prefixed with its table's name."""
    rows: list[list[Any]] = [["summary", figure, value] for figure, value in summary_rows(report)]
    for table in report.tables:
        rows.append([table.key, *table.headers])
        rows += [[table.key, *row] for row in table.rows]
    return to_csv(["table", "key", "value"], rows)


def report_xlsx(report: ProgrammeReport) -> bytes:
    """One worksheet for the summary and one per table."""
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {
        "summary": (["figure", "value"], summary_rows(report))
    }
    for table in report.tables:
        sheets[table.key] = (table.headers, table.rows)
    return to_xlsx(sheets)  # type: ignore[arg-type]
