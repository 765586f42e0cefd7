"""The mapping dashboard: where the diaspora lives, what it can do, what it will do.

`dashboard` computes every table of a view from the maintained summary counts (or, for a
skill filter, from GROUP BY queries on the member tables). For viewers who may only see
aggregates (institution users) every count is perturbed with the cell-key method (see
`privacy`), a view of fewer than 5 members shows no breakdown at all, and the skill filter
accepts only published skills. Pages, exports and the JSON API all call it, so they always
show the same numbers. Only members with an active *mapping* consent are counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from diaspora import tabular
from diaspora.accounts.models import User
from diaspora.accounts.permissions import can, require
from diaspora.analytics import charts, live, privacy, summary
from diaspora.analytics.filters import Filters, describe, parse, programme_codes, version_labels
from diaspora.analytics.models import AnalyticsCount
from diaspora.analytics.summary import KEYS, Counts
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.errors import NotFound, ValidationFailed
from diaspora.institutions.models import Institution
from diaspora.placements.models import PlacementRequest, RequestStatus
from diaspora.vocab import (
    GENDERS,
    ISCED_LEVELS,
    ISCO_MAJOR_GROUPS,
    SECTORS,
    country_name,
    language_name,
)

NOT_STATED = "Not stated"
AGE_BANDS = (("Under 25", 0, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54),
             ("55-64", 55, 64), ("65 and over", 65, 200))  # fmt: skip
EXPERIENCE_LABELS = {"0-2": "0-2 years", "3-5": "3-5 years", "6-10": "6-10 years",
                     "11-20": "11-20 years", "21+": "More than 20 years"}  # fmt: skip
GENDER_LABELS = {"female": "Female", "male": "Male", "other": "Other",
                 "prefer_not_to_say": "Prefer not to say"}  # fmt: skip
MODE_LABELS = {"temporary": "Temporary (weeks to months)", "permanent": "Permanent return",
               "virtual": "Virtual (online)"}  # fmt: skip
CONTRIBUTION_LABELS = {"investment": "Investment", "mentoring": "Mentoring",
                       "knowledge_transfer": "Knowledge transfer", "philanthropy": "Philanthropy"}  # fmt: skip
FEW_MEMBERS = "Fewer than 5 people match these filters; widen the filters."
TOP_SKILLS = 25
TOP_REQUESTED = 25
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip

# Sections and their tables, in page order: (section title, [table keys]).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Where the diaspora lives", ("residence",)),
    ("Who they are", ("age", "gender", "education_level", "education_field", "occupation",
                      "sector", "experience", "languages", "skills")),
    ("What they will do", ("willingness", "duration", "contributions")),
    ("Supply and demand", ("supply_skills", "supply_skills_by_country", "supply_sectors",
                           "supply_sectors_by_country")),
    ("Over time", ("responses", "comparison")),
)  # fmt: skip
TABLE_KEYS = tuple(key for _, keys in SECTIONS for key in keys)


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Table:
    """One table as every viewer and export sees it: cells are ints (perturbed for viewers
    who see aggregates only), shares and labels."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)
    total: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    bar: int | None = None  # index of the column drawn as bars
    empty_note: str = "No members in this view."

    @property
    def bar_max(self) -> int:
        if self.bar is None:
            return 0
        return max((r[self.bar] for r in self.rows if isinstance(r[self.bar], int)), default=0)

    def export_rows(self) -> list[list[Any]]:
        return [*self.rows, *([self.total] if self.total else [])]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label} for c in self.columns],
            "rows": self.rows,
            "total": self.total,
            "notes": self.notes,
        }


@dataclass
class Dashboard:
    filters: Filters
    suppressed: bool
    members: int | str
    tables: dict[str, Table]
    filter_labels: list[tuple[str, str]]
    versions: dict[int, str]
    programmes: list[str]
    skills: list[str]
    empty_message: str = ""
    map_svg: str = ""
    timeline_svg: str = ""
    source: str = "summary"
    generated_at: Any = None

    @property
    def empty(self) -> bool:
        return bool(self.empty_message)

    def sections(self) -> list[tuple[str, list[Table]]]:
        return [
            (title, [self.tables[k] for k in keys if k in self.tables]) for title, keys in SECTIONS
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.params(),
            "suppressed": self.suppressed,
            "suppression": (
                {
                    "method": privacy.METHOD,
                    "threshold": privacy.THRESHOLD,
                    "max_noise": privacy.MAX_NOISE,
                    "small_counts": "published as 0 or 5",
                    "small": privacy.SMALL,
                }
                if self.suppressed
                else None
            ),
            "members": self.members,
            "empty": self.empty,
            "message": self.empty_message,
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "tables": {k: t.as_dict() for k, t in self.tables.items()},
        }


@dataclass
class Export:
    filename: str
    media_type: str
    content: bytes


@dataclass
class Demand:
    """Open placement requests in the view: per skill and per sector, requests and positions."""

    skills: Counter[str] = field(default_factory=Counter)
    skill_positions: Counter[str] = field(default_factory=Counter)
    sectors: Counter[str] = field(default_factory=Counter)
    sector_positions: Counter[str] = field(default_factory=Counter)

    def top_skills(self, limit: int = TOP_REQUESTED) -> list[str]:
        ranked = sorted(self.skills, key=lambda s: (-self.skills[s], -self.skill_positions[s], s))
        return ranked[:limit]


# --- access -------------------------------------------------------------------------------


def viewer_is_suppressed(actor: User | None) -> bool:
    """Staff and admins see exact numbers; institution users see small cells hidden."""
    if can(actor, "dashboard.exact"):
        return False
    if can(actor, "dashboard.suppressed"):
        return True
    require(actor, "dashboard.exact")  # raises Unauthorized or Forbidden
    return True


# --- counting -------------------------------------------------------------------------------


def _demand(session: Session, f: Filters) -> Demand:
    stmt = (
        select(
            PlacementRequest.skills_essential,
            PlacementRequest.sector,
            PlacementRequest.positions,
        )
        .join(Institution, col(Institution.id) == col(PlacementRequest.institution_id))
        .where(PlacementRequest.status == RequestStatus.approved)
    )
    if f.programme_id is not None:
        stmt = stmt.where(PlacementRequest.programme_id == f.programme_id)
    if f.sector is not None:
        stmt = stmt.where(PlacementRequest.sector == f.sector)
    if f.mode is not None:
        stmt = stmt.where(PlacementRequest.mode == f.mode)
    if f.origin is not None:
        # Requests come from institutions in the country of origin.
        stmt = stmt.where(Institution.country == f.origin)
    demand = Demand()
    for skills, sector, positions in session.exec(stmt):
        labels = {" ".join(str(s).lower().split()) for s in skills or []} - {""}
        if f.skill is not None and f.skill not in labels:
            continue
        for label in labels:
            demand.skills[label] += 1
            demand.skill_positions[label] += positions or 1
        if sector:
            demand.sectors[sector] += 1
            demand.sector_positions[sector] += positions or 1
    return demand


def counts(session: Session, f: Filters, *, supply_labels: Iterable[str]) -> tuple[Counts, str]:
    """All counts of a view, and where they came from ("summary" or "live")."""
    member_filters = f.member_filters()
    if f.skill is not None and member_filters:
        return live.counts(session, f, supply_labels=supply_labels), "live"
    if f.skill is not None:
        slices = [f"k:{f.skill}"]
    elif not member_filters:
        slices = ["all"]
    elif len(member_filters) == 1:
        ((name, value),) = member_filters.items()
        prefix = {"origin": "o", "programme_id": "p", "sector": "s", "version_id": "v",
                  "mode": "m"}[name]  # fmt: skip
        slices = [f"{prefix}:{value}"]
    else:
        slices = summary.combos(session, **member_filters)  # type: ignore[arg-type]
    return summary.read(session, slices, supply_labels=supply_labels), "summary"


def skill_suggestions(session: Session, *, limit: int = 300) -> list[str]:
    """Skills listed by at least five members, most common first (for the skill filter)."""
    rows = session.connection().execute(
        sa_select(AnalyticsCount.key1)  # type: ignore[call-overload]
        .where(
            AnalyticsCount.slice == "all",
            AnalyticsCount.dim == "skill",
            AnalyticsCount.n >= privacy.THRESHOLD,
        )
        .order_by(col(AnalyticsCount.n).desc(), col(AnalyticsCount.key1))
        .limit(limit)
    )
    return [r[0] for r in rows]


def _published_skills(session: Session, labels: Iterable[str]) -> set[str]:
    """Those of `labels` that are published skills (listed by at least five members)."""
    wanted = sorted(set(labels))
    if not wanted:
        return set()
    rows = session.connection().execute(
        sa_select(AnalyticsCount.key1).where(  # type: ignore[call-overload]
            AnalyticsCount.slice == "all",
            AnalyticsCount.dim == "skill",
            col(AnalyticsCount.key1).in_(wanted),
            AnalyticsCount.n >= privacy.THRESHOLD,
        )
    )
    return {r[0] for r in rows}


def _concept_labels(session: Session, text: str) -> list[str]:
    """The labels (lower case) of the one taxonomy concept a free-text skill denotes, its
    preferred label first; empty when the text denotes no concept or several."""
    from diaspora.taxonomy.service import get_taxonomy

    taxonomy = get_taxonomy(session=session)
    matches = taxonomy.match(text, kind="skill")
    ids = {m.concept_id for m in matches if m.score >= matches[0].score} if matches else set()
    if len(ids) != 1:
        return []
    concept = taxonomy.get(next(iter(ids)))
    if concept is None:
        return []
    labels = [" ".join(concept.label().lower().split())]
    labels += [" ".join(label.lower().split()) for label, _preferred in concept.all_labels()]
    return list(dict.fromkeys(label for label in labels if label))


def normalise_skill(session: Session, f: Filters, *, suppressed: bool) -> Filters:
    """The skill filter as one skill of the vocabulary.

    Members' skills are counted by their normalised label. A text that is not such a label
    is mapped to the one taxonomy concept it denotes (its preferred or alternative label).
    Viewers who see aggregates only may choose only *published* skills (listed by at least
    five members): a rarer skill would single its holders out (issue 11, finding 2), so it
    is refused with a message, never silently ignored.
    """
    if f.skill is None:
        return f
    text = f.skill
    candidates = [text, *_concept_labels(session, text)]
    if suppressed:
        published = _published_skills(session, candidates)
        chosen = next((c for c in candidates if c in published), None)
        if chosen is None:
            raise ValidationFailed(
                {
                    "skill": (
                        f"'{text}' is not one of the skills this dashboard shows; choose a "
                        "skill from the suggestions (skills listed by at least 5 members) "
                        "or leave it empty."
                    )
                },
                "Some filters are not valid; change them and try again.",
            )
    else:
        known = _known_skills(session, candidates)
        chosen = next((c for c in candidates if c in known), text)
    return replace(f, skill=chosen)


def _known_skills(session: Session, labels: Iterable[str]) -> set[str]:
    wanted = sorted(set(labels))
    rows = session.connection().execute(
        sa_select(AnalyticsCount.key1).where(  # type: ignore[call-overload]
            AnalyticsCount.slice == "all",
            AnalyticsCount.dim == "skill",
            col(AnalyticsCount.key1).in_(wanted),
        )
    )
    return {r[0] for r in rows}


# --- building tables -----------------------------------------------------------------------

# A cell: (true count, sum of the record keys of the members it counts).
Cell = tuple[int, int]
# A row before publishing: (category code, label, true count, record-key sum).
Entry = tuple[str, str, int, int]


def _cells(c: Counts, dim: str) -> dict[tuple[str, str], Cell]:
    counts_, keys = c.get(dim, Counter()), c.get(KEYS + dim, Counter())
    return {cell: (n, keys[cell]) for cell, n in counts_.items()}


def _add(a: Cell, b: Cell) -> Cell:
    return (a[0] + b[0], a[1] + b[1])


def _pub(cell: Cell, suppressed: bool) -> int:
    """The count a viewer sees: exact for staff, perturbed (cell-key method) otherwise."""
    return privacy.perturb(*cell) if suppressed else cell[0]


def _share(n: int, total: int) -> float | str:
    if total <= 0:
        return ""
    return round(100 * n / total, 1)


def _order_rows(entries: Sequence[Entry], values: list[int], *, by_count: bool) -> list[int]:
    """Row order: by the count shown, or as given; the "not stated" row always last."""
    index = list(range(len(entries)))
    if by_count:
        index.sort(key=lambda i: (-values[i], entries[i][1].lower()))
    return sorted(index, key=lambda i: entries[i][0] == "")


def _fold_small(entries: list[Entry], other: str) -> list[Entry]:
    """Free-text categories held by fewer than 5 members become one "Other" row, so an
    identifying label never appears."""
    kept = [e for e in entries if not privacy.is_small(e[2]) or e[0] == ""]
    small = [e for e in entries if privacy.is_small(e[2]) and e[0] != ""]
    if not small:
        return kept
    return [*kept, ("~other", other, sum(e[2] for e in small), sum(e[3] for e in small))]


def _shown(
    entries: list[Entry], suppressed: bool, *, keep_zero: bool = False
) -> tuple[list[Entry], list[int]]:
    """Entries with their published counts; for perturbed viewers a row published as 0 is
    left out (unless every category is always listed), so its label is not given away."""
    values = [_pub((n, k), suppressed) for _, _, n, k in entries]
    if not suppressed or keep_zero:
        return entries, values
    kept = [i for i, v in enumerate(values) if v > 0]
    return [entries[i] for i in kept], [values[i] for i in kept]


def _partition(
    key: str,
    title: str,
    heading: str,
    entries: list[Entry],
    total: Cell,
    *,
    suppressed: bool,
    by_count: bool = True,
    free_text: bool = False,
    extra: Callable[[str], list[Any]] | None = None,
    extra_columns: Sequence[Column] = (),
) -> Table:
    """A table whose rows split the members of the view (each member in exactly one row)."""
    if suppressed and free_text:
        entries = _fold_small(entries, "Other (fewer than 5 each)")
    entries, values = _shown(entries, suppressed)
    total_shown = _pub(total, suppressed)
    table = Table(
        key=key,
        title=title,
        columns=[
            Column("category", heading),
            *extra_columns,
            Column("members", "Members", True),
            Column("share", "Per cent", True),
        ],  # fmt: skip
        bar=1 + len(extra_columns),
    )
    for i in _order_rows(entries, values, by_count=by_count):
        code, label, _n, _k = entries[i]
        table.row_keys.append(code)
        table.rows.append([label, *(extra(code) if extra else []), values[i],
                           _share(values[i], total_shown)])  # fmt: skip
    table.total = ["Total", *([""] * len(extra_columns)), total_shown,
                   100.0 if total_shown else ""]  # fmt: skip
    return table


def _multi(
    key: str,
    title: str,
    heading: str,
    entries: list[Entry],
    total: Cell,
    *,
    suppressed: bool,
    limit: int | None = None,
    drop_small: bool = False,
    by_count: bool = True,
    fixed: bool = False,
) -> Table:
    """A table where a member can be in several rows; each row is a share of the view.
    `fixed`: every category is always listed (zeros included)."""
    table = Table(
        key=key,
        title=title,
        columns=[
            Column("category", heading),
            Column("members", "Members", True),
            Column("share", "Per cent of members", True),
        ],  # fmt: skip
        bar=1,
    )
    listed = len(entries)
    entries, values = _shown(entries, suppressed, keep_zero=fixed)
    if suppressed and drop_small:
        kept = [i for i, v in enumerate(values) if v >= privacy.THRESHOLD]
        entries, values = [entries[i] for i in kept], [values[i] for i in kept]
    if suppressed and drop_small and len(entries) < listed:
        table.notes.append("Entries listed by fewer than 5 members are not shown.")
    total_shown = _pub(total, suppressed)
    order = _order_rows(entries, values, by_count=by_count)
    if limit is not None:
        order = order[:limit]
    for i in order:
        code, label, _n, _k = entries[i]
        table.row_keys.append(code)
        table.rows.append([label, values[i], _share(values[i], total_shown)])
    table.notes.append("A member can be counted in several rows.")
    return table


def _entries(cells: dict[tuple[str, str], Cell], label: Callable[[str], str]) -> list[Entry]:
    return [(k1, label(k1) if k1 else NOT_STATED, n, k) for (k1, _k2), (n, k) in cells.items()]


def _ordered(entries: list[Entry], order: Sequence[str]) -> list[Entry]:
    rank = {k: i for i, k in enumerate(order)}
    return sorted(entries, key=lambda e: (rank.get(e[0], len(rank)), e[1]))


def _age_entries(by_year: dict[tuple[str, str], Cell], today: date) -> list[Entry]:
    """Age bands from birth years; a band is the cell of all its members (key sums add)."""
    bands: dict[str, Cell] = {}
    for (year, _), cell in by_year.items():
        if not year:
            bands[""] = _add(bands.get("", (0, 0)), cell)
            continue
        age = today.year - int(year)
        label = next((b for b, lo, hi in AGE_BANDS if lo <= age <= hi), AGE_BANDS[-1][0])
        bands[label] = _add(bands.get(label, (0, 0)), cell)
    order = [b for b, _, _ in AGE_BANDS]
    return [(b, b if b else NOT_STATED, *bands[b]) for b in [*order, ""] if b in bands]


SECTOR_LABELS = {"ict": "ICT", "water_sanitation": "Water and sanitation"}


def _sector_label(code: str) -> str:
    return SECTOR_LABELS.get(code) or code.replace("_", " ").capitalize()


def _residence(c: Counts, total: Cell, suppressed: bool) -> Table:
    mapped = charts.mapped_countries()
    entries = _entries(_cells(c, "res"), lambda k: country_name(k))
    return _partition(
        "residence",
        "Members by country of residence",
        "Country of residence",
        entries,
        total,
        suppressed=suppressed,
        extra=lambda code: [code, "" if not code or code in mapped else "Not drawn on the map"],
        extra_columns=[Column("code", "Code"), Column("note", "Note")],
    )


def _willingness(c: Counts, total: Cell, suppressed: bool) -> Table:
    modes = _cells(c, "mode")
    table = _multi(
        "willingness",
        "Willingness to contribute, by mode",
        "Mode",
        [(m, MODE_LABELS[m], *modes.get((m, ""), (0, 0))) for m in summary.MODES],
        total,
        suppressed=suppressed,
        by_count=False,
        fixed=True,
    )
    will = _cells(c, "will")
    total_shown = _pub(total, suppressed)
    for key, label, cell in (
        ("any", "Any mode", will.get(("yes", ""), (0, 0))),
        ("none", "No mode given", will.get(("no", ""), (0, 0))),
    ):
        value = _pub(cell, suppressed)
        table.row_keys.append(key)
        table.rows.append([label, value, _share(value, total_shown)])
    return table


def _supply(
    c: Counts,
    demand: Demand,
    total: Cell,
    suppressed: bool,
    *,
    kind: str,
) -> tuple[Table, Table]:
    """Requested skills or sectors against willing members; and where those members live."""
    if kind == "skills":
        wanted = demand.top_skills()
        requests, positions, dim = demand.skills, demand.skill_positions, "sup"
        label: Callable[[str], str] = lambda s: s  # noqa: E731
        heading, title = "Skill", "Requested skills: open requests and willing members"
    else:
        wanted = sorted(demand.sectors, key=lambda s: (-demand.sectors[s], s))
        requests, positions, dim = demand.sectors, demand.sector_positions, "sups"
        label = _sector_label
        heading, title = "Sector", "Requested sectors: open requests and willing members"
    by_country: dict[str, dict[str, Cell]] = {}
    for (k1, k2), cell in _cells(c, dim).items():
        by_country.setdefault(k1, {})[k2] = cell
    main = Table(
        key=f"supply_{kind}",
        title=title,
        columns=[
            Column("category", heading),
            Column("requests", "Open requests", True),
            Column("positions", "Positions", True),
            Column("supply", "Willing members", True),
            Column("gap", "Gap", True),
        ],  # fmt: skip
        bar=3,
        empty_note="No open placement requests in this view.",
    )
    main.notes.append(
        "Gap = willing members minus positions: a negative gap means more positions than "
        "willing members who have it."
    )
    if kind == "skills" and len(demand.skills) > len(wanted):
        main.notes.append(f"The {len(wanted)} most requested of {len(demand.skills)} skills.")
    detail = Table(
        key=f"supply_{kind}_by_country",
        title=f"Willing members with the requested {kind}, by country of residence",
        columns=[
            Column("category", heading),
            Column("country", "Country of residence"),
            Column("code", "Code"),
            Column("supply", "Willing members", True),
        ],  # fmt: skip
        bar=3,
        empty_note="No willing members with the requested " + kind + " in this view.",
    )
    for key in wanted:
        countries = by_country.get(key, {})
        supply: Cell = (0, 0)
        for cell in countries.values():
            supply = _add(supply, cell)
        shown = _pub(supply, suppressed)
        main.row_keys.append(key)
        main.rows.append([label(key), requests[key], positions[key], shown,
                          shown - positions[key]])  # fmt: skip
        entries, values = _shown(
            [(k, country_name(k) if k else NOT_STATED, *countries[k]) for k in sorted(countries)],
            suppressed,
        )
        for i in _order_rows(entries, values, by_count=True):
            code, name, _n, _k = entries[i]
            detail.row_keys.append(f"{key}|{code}")
            detail.rows.append([label(key), name, code, values[i]])
    return main, detail


def _monday(day: str) -> date:
    d = date.fromisoformat(day)
    return d - timedelta(days=d.weekday())


def _responses(
    c: Counts, versions: dict[int, str], suppressed: bool
) -> tuple[Table, list[str], list[tuple[str, list[int | None]]]]:
    weekly: dict[str, dict[date, Cell]] = {}
    for (version, day), cell in _cells(c, "resp").items():
        per_week = weekly.setdefault(version, {})
        per_week[_monday(day)] = _add(per_week.get(_monday(day), (0, 0)), cell)
    table = Table(
        key="responses",
        title="Submitted responses per week, by survey round",
        columns=[Column("week", "Week starting")],
        empty_note="No submitted responses in this view.",
    )
    if not weekly:
        return table, [], []
    ids = sorted(weekly, key=int)
    first = min(min(w) for w in weekly.values())
    last = max(max(w) for w in weekly.values())
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    columns: list[list[int]] = []
    series: list[tuple[str, list[int | None]]] = []
    for vid in ids:
        name = versions.get(int(vid), f"Version {vid}")
        table.columns.append(Column(f"v{vid}", name, True))
        values = [_pub(weekly[vid].get(w, (0, 0)), suppressed) for w in weeks]
        columns.append(values)
        series.append((name, list(values)))
    for i, week in enumerate(weeks):
        table.row_keys.append(week.isoformat())
        table.rows.append([week.isoformat(), *(column[i] for column in columns)])
    table.notes.append("Responses of members in this view, by the week they were submitted (UTC).")
    return table, [w.isoformat() for w in weeks], series


# Key indicators of a survey round: (name, dimension, the categories it counts).
INDICATORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Women", "gen", ("female",)),
    ("Tertiary education (ISCED 5-8)", "edu", ("5", "6", "7", "8")),
    ("Master's or doctorate (ISCED 7-8)", "edu", ("7", "8")),
    ("Managers and professionals (ISCO 1-2)", "isco", ("1", "2")),
    ("More than 10 years of experience", "exp", ("11-20", "21+")),
    ("Willing to contribute (any mode)", "will", ("yes",)),
    *((MODE_LABELS[m], "mode", (m,)) for m in summary.MODES),
    *((CONTRIBUTION_LABELS[k], "con", (k,)) for k in summary.CONTRIBUTIONS),
)


def _top(cells: dict[tuple[str, str], Cell], label: Callable[[str], str], suppressed: bool) -> str:
    ranked = sorted(
        ((_pub(cell, suppressed), k) for (k, _), cell in cells.items() if k),
        key=lambda x: (-x[0], x[1]),
    )
    if not ranked or ranked[0][0] <= 0:
        return ""
    n, key = ranked[0]
    return f"{label(key)} ({n})"


def _comparison(
    session: Session,
    f: Filters,
    versions: dict[int, str],
    suppressed: bool,
) -> Table | None:
    if f.round_a is None or f.round_b is None:
        return None
    a_name, b_name = versions.get(f.round_a, "A"), versions.get(f.round_b, "B")
    table = Table(
        key="comparison",
        title="Survey rounds compared",
        columns=[
            Column("indicator", "Indicator"),
            Column("a", a_name, True),
            Column("a_share", f"{a_name}: per cent", True),
            Column("b", b_name, True),
            Column("b_share", f"{b_name}: per cent", True),
            Column("change", "Change (percentage points)", True),
        ],  # fmt: skip
    )
    views = [
        counts(session, f.with_version(v), supply_labels=())[0] for v in (f.round_a, f.round_b)
    ]
    totals = [_cells(c, "n").get(("", ""), (0, 0)) for c in views]
    # A round of fewer than 5 members shows no figures at all (as a view that small would).
    tiny = [suppressed and totals[i][0] < privacy.THRESHOLD for i in range(2)]
    shown_totals = [_pub(t, suppressed) for t in totals]

    def pair(values: list[int | str]) -> list[int | str]:
        return ["" if tiny[i] else values[i] for i in range(2)]

    members = [privacy.SMALL if tiny[i] else shown_totals[i] for i in range(2)]
    table.rows.append(["Members", members[0], "", members[1], "", ""])
    table.row_keys.append("members")
    responses: list[int | str] = []
    for c, v in zip(views, (f.round_a, f.round_b), strict=True):
        cell: Cell = (0, 0)
        for (k, _), part in _cells(c, "resp").items():
            if k == str(v):
                cell = _add(cell, part)
        responses.append(_pub(cell, suppressed))
    responses = pair(responses)
    table.rows.append(["Submitted responses", responses[0], "", responses[1], "", ""])
    table.row_keys.append("responses")
    for name, dim, keys in INDICATORS:
        row: list[Any] = [name]
        shares: list[float | str] = []
        for i, c in enumerate(views):
            cells = _cells(c, dim)
            cell = (0, 0)
            for k in keys:
                cell = _add(cell, cells.get((k, ""), (0, 0)))
            value = _pub(cell, suppressed)
            share = "" if tiny[i] else _share(value, shown_totals[i])
            row += ["" if tiny[i] else value, share]
            shares.append(share)
        change = (
            round(shares[1] - shares[0], 1)
            if isinstance(shares[0], float) and isinstance(shares[1], float)
            else ""
        )
        table.rows.append([*row, change])
        table.row_keys.append(name)
    for name, dim, label in (
        ("Most common country of residence", "res", country_name),
        ("Most common sector", "sec", _sector_label),
    ):
        tops = pair([_top(_cells(c, dim), label, suppressed) for c in views])
        table.rows.append([name, tops[0], "", tops[1], "", ""])
        table.row_keys.append(name)
    table.notes.append(
        "Members counted by the survey round their profile comes from; shares are of the "
        "round's members."
    )
    return table


def _map(table: Table, suppressed: bool) -> str:
    cells_in: dict[str, int] = {}
    for code, row in zip(table.row_keys, table.rows, strict=True):
        if code and code in charts.mapped_countries():
            cells_in[code] = row[table.bar or 0]
    visible = [v for v in cells_in.values() if v > 0]
    bounds = charts.count_classes(visible)
    classes: list[str] = []
    # Published counts are never 1-4 for perturbed viewers: the first class starts at 5.
    lower = privacy.THRESHOLD if suppressed else 1
    for bound in bounds:
        classes.append(f"{lower}-{bound}" if bound > lower else f"{lower}")
        lower = bound + 1
    cells: dict[str, tuple[str, int]] = {}
    for code, value in cells_in.items():
        cls = next(i for i, b in enumerate(bounds) if value <= b)
        cells[code] = (f"{value:,}", cls)
    names = {code: country_name(code) for code in cells}
    return charts.world_map(cells, classes=classes, names=names, hidden_class=False)


def _build(
    session: Session,
    f: Filters,
    *,
    suppressed: bool,
    versions: dict[int, str],
    today: date,
) -> tuple[dict[str, Table], Cell, str, str, str]:
    demand = _demand(session, f)
    c, source = counts(session, f, supply_labels=demand.top_skills())
    total = _cells(c, "n").get(("", ""), (0, 0))
    if suppressed and total[0] < privacy.THRESHOLD:
        # Too few people to show anything about them: no table, no label, no row.
        return {}, total, source, "", ""
    t: dict[str, Table] = {}
    t["residence"] = _residence(c, total, suppressed)
    t["age"] = _partition("age", "Age", "Age band", _age_entries(_cells(c, "by"), today),
                          total, suppressed=suppressed, by_count=False)  # fmt: skip
    gender_order = [*GENDERS, ""]
    t["gender"] = _partition(
        "gender", "Gender", "Gender",
        _ordered(_entries(_cells(c, "gen"), lambda k: GENDER_LABELS.get(k, k.capitalize())),
                 gender_order),
        total, suppressed=suppressed, by_count=False,
    )  # fmt: skip
    t["education_level"] = _partition(
        "education_level", "Education level (ISCED 2011)", "Level",
        _ordered(_entries(_cells(c, "edu"),
                          lambda k: f"{ISCED_LEVELS.get(int(k), k)} (ISCED {k})"),
                 [str(i) for i in range(9)] + [""]),
        total, suppressed=suppressed, by_count=False,
    )  # fmt: skip
    t["education_field"] = _partition(
        "education_field", "Field of education", "Field",
        _entries(_cells(c, "fld"), lambda k: k[:1].upper() + k[1:]),
        total, suppressed=suppressed, free_text=True,
    )  # fmt: skip
    t["occupation"] = _partition(
        "occupation", "Occupation group (ISCO-08 major group)", "Occupation group",
        _ordered(_entries(_cells(c, "isco"),
                          lambda k: f"{ISCO_MAJOR_GROUPS.get(k, k)} (ISCO {k})"),
                 [str(i) for i in range(10)] + [""]),
        total, suppressed=suppressed, by_count=False,
    )  # fmt: skip
    t["sector"] = _partition("sector", "Sector", "Sector",
                             _entries(_cells(c, "sec"), _sector_label),
                             total, suppressed=suppressed)  # fmt: skip
    t["experience"] = _partition(
        "experience", "Years of experience", "Experience",
        _ordered(_entries(_cells(c, "exp"), lambda k: EXPERIENCE_LABELS.get(k, k)),
                 [b for b, _ in summary.EXPERIENCE_BANDS]),
        total, suppressed=suppressed, by_count=False,
    )  # fmt: skip
    t["languages"] = _multi("languages", "Languages", "Language",
                            _entries(_cells(c, "lang"), lambda k: f"{language_name(k)} ({k})"),
                            total, suppressed=suppressed)  # fmt: skip
    t["skills"] = _multi("skills", f"Most common skills (top {TOP_SKILLS})", "Skill",
                         _entries(_cells(c, "skill"), lambda k: k), total,
                         suppressed=suppressed, limit=TOP_SKILLS, drop_small=True)  # fmt: skip
    t["willingness"] = _willingness(c, total, suppressed)
    t["duration"] = _partition("duration", "Preferred duration of an assignment", "Duration",
                               _entries(_cells(c, "dur"), lambda k: k), total,
                               suppressed=suppressed, free_text=True)  # fmt: skip
    contributions = _cells(c, "con")
    t["contributions"] = _multi(
        "contributions", "Other contributions", "Contribution",
        [(k, CONTRIBUTION_LABELS[k], *contributions.get((k, ""), (0, 0)))
         for k in summary.CONTRIBUTIONS],
        total, suppressed=suppressed, by_count=False, fixed=True,
    )  # fmt: skip
    t["supply_skills"], t["supply_skills_by_country"] = _supply(
        c, demand, total, suppressed, kind="skills"
    )
    t["supply_sectors"], t["supply_sectors_by_country"] = _supply(
        c, demand, total, suppressed, kind="sectors"
    )
    t["responses"], weeks, series = _responses(c, versions, suppressed)
    comparison = _comparison(session, f, versions, suppressed)
    if comparison is not None:
        t["comparison"] = comparison
    timeline = (
        charts.timeline(weeks, series, label="Submitted responses per week, by survey round")
        if weeks and total[0]
        else ""
    )
    map_svg = _map(t["residence"], suppressed) if total[0] else ""
    return t, total, source, map_svg, timeline


def _empty_message(f: Filters, labels: list[tuple[str, str]]) -> str:
    if f.skill is not None:
        return (
            f"No member with an active mapping consent lists the skill '{f.skill}'. Check the "
            "spelling, pick one of the suggested skills, or remove the skill filter."
        )
    if f.is_empty():
        return "No member has given mapping consent yet, so there is nothing to show."
    listed = "; ".join(f"{k}: {v}" for k, v in labels)
    return (
        f"No member with an active mapping consent matches these filters ({listed}). "
        "Remove a filter or choose another value."
    )


def dashboard(
    *, session: Session, actor: User | None, params: Mapping[str, str], today: date | None = None
) -> Dashboard:
    """Every table of the dashboard for a view; perturbed for institution users, and no
    breakdown at all for them when fewer than 5 members match.

    Raises ValidationFailed naming each filter to change when a value is unknown.
    """
    suppressed = viewer_is_suppressed(actor)
    f = parse(session, params)
    summary.refresh(session)
    f = normalise_skill(session, f, suppressed=suppressed)
    versions = version_labels(session)
    labels = describe(f, versions)
    tables, total, source, map_svg, timeline = _build(
        session, f, suppressed=suppressed, versions=versions, today=today or date.today()
    )
    members: int | str = _pub(total, suppressed)
    message = "" if total[0] else _empty_message(f, labels)
    if suppressed and total[0] < privacy.THRESHOLD:
        # The same answer for 0 and for 1-4 members: which of the two is itself a disclosure.
        members, message = privacy.SMALL, FEW_MEMBERS
    return Dashboard(
        filters=f,
        suppressed=suppressed,
        members=members,
        tables=tables,
        filter_labels=labels,
        versions=versions,
        programmes=list(programme_codes(session)),
        skills=skill_suggestions(session),
        empty_message=message,
        map_svg=map_svg,
        timeline_svg=timeline,
        source=source,
        generated_at=utcnow(),
    )


def export(
    *,
    session: Session,
    actor: User | None,
    params: Mapping[str, str],
    table: str,
    fmt: str,
) -> Export:
    """One table (or "all", as XLSX) of a view as CSV or XLSX, with the page's numbers; audited."""
    if fmt not in EXPORT_FORMATS:
        raise NotFound(f"Unknown format '{fmt}'; use csv or xlsx.")
    if table not in (*TABLE_KEYS, "all") or (table == "all" and fmt != "xlsx"):
        raise NotFound(
            f"Unknown table '{table}'; use one of {', '.join(TABLE_KEYS)} (or all.xlsx)."
        )
    view = dashboard(session=session, actor=actor, params=params)
    sheets: dict[str, tuple[tabular.Row, Iterable[tabular.Row]]]
    if view.suppressed and not view.tables:
        # Too few members: the file says so and holds nothing else (no label, no row).
        sheets = {"message": (["Message"], [[view.empty_message]])}
    else:
        chosen = list(view.tables.values()) if table == "all" else [view.tables.get(table)]
        if chosen == [None]:
            raise NotFound(
                f"The table '{table}' is not part of this view (choose two survey rounds to "
                "compare)."
            )
        sheets = {
            # Sheet names are the table keys: unique, and within Excel's 31 characters.
            t.key: ([c.label for c in t.columns], t.export_rows())
            for t in chosen
            if t
        }
    if fmt == "csv":
        ((headers, rows),) = sheets.values()
        content = tabular.to_csv(headers, rows)
    else:
        content = tabular.to_xlsx(sheets)
    record(
        session=session,
        actor=actor,
        action="analytics.export",
        entity="dashboard",
        entity_id=table,
        details={"format": fmt, "filters": view.filters.params(), "suppressed": view.suppressed},
    )
    session.commit()
    suffix = "-".join(f"{k}-{v}" for k, v in sorted(view.filters.params().items()))
    stem = f"diaspora-{table}" + (f"-{suffix}" if suffix else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:120]
    return Export(filename=f"{safe}.{fmt}", media_type=EXPORT_FORMATS[fmt], content=content)


def form_options(*, session: Session, actor: User | None) -> dict[str, Any]:
    """Choices for the filter form (also shown when the filters given were not valid)."""
    viewer_is_suppressed(actor)
    return {
        "programmes": list(programme_codes(session)),
        "versions": version_labels(session),
        "sectors": [(s, _sector_label(s)) for s in SECTORS],
        "modes": [(m, MODE_LABELS[m]) for m in summary.MODES],
        "skills": skill_suggestions(session),
    }
