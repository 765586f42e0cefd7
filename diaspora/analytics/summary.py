"""Maintained summary counts, so every dashboard view is a handful of indexed reads.

Why: the dashboard needs a dozen distributions (residence, age, gender, education...)
for the members in a view. At a million members even covering-index GROUP BYs cost
40-200 ms each on SQLite and PostgreSQL, so a view would take seconds. Instead each
member *contributes* +1 to a few `analytics_count` rows per *slice* they belong to:

- ``all`` (every member with active mapping consent);
- one slice per single filter value: ``o:GH`` (origin), ``p:3`` (programme id),
  ``s:health`` (sector), ``v:2`` (survey version), ``m:virtual`` (mode), ``k:<skill>``;
- one *combination* slice ``c:GH|3|health|2|101`` (origin, programme, sector, version,
  temporary/permanent/virtual flags), registered in `analytics_combo`, so a view with
  several filters sums the few combinations that match.

An item is ``(dim, key1, key2)``: e.g. ``("gen", "female", "")``, ``("sup", "nursing
care", "NL")`` (willing members with the skill, by residence), ``("resp", "2",
"2026-03-02")`` (submitted responses of version 2 in the week starting that Monday).

How it stays current: session hooks queue the id of every member whose profile, skills,
languages, consents or responses change, in the writer's own transaction (cheap, no
contention): ORM flushes, and INSERT/UPDATE/DELETE statements run through a session (the
fast submission path writes new members that way) note the ids in `session.info`, and
one multi-row upsert queues them just before the transaction commits. `refresh` (run before every dashboard
read) recomputes those members' contributions, applies the difference with their stored
previous contribution (`analytics_member_state`) and clears the queue. Writes that bypass
sessions altogether (a bulk load on a raw connection) call `rebuild`, which recreates
everything with set-based SQL: the combination counts from the members, every other slice
rolled up from those (far fewer rows than members) or, for skills, counted over the
member-skill rows.

Only `consent_mapping` decides whether a member counts: erased members keep their coarse
attributes and still count while their mapping consent is active (erasure keeps the
aggregates).
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, func, inspect, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from diaspora.analytics.models import (
    AnalyticsCombo,
    AnalyticsCount,
    AnalyticsMemberState,
    AnalyticsMeta,
    AnalyticsQueue,
)
from diaspora.common import utcnow
from diaspora.members.models import MemberLanguage, MemberProfile, MemberSkill
from diaspora.responses.models import Response

COUNT = AnalyticsCount.__table__  # type: ignore[attr-defined]
COMBO = AnalyticsCombo.__table__  # type: ignore[attr-defined]
STATE = AnalyticsMemberState.__table__  # type: ignore[attr-defined]
QUEUE = AnalyticsQueue.__table__  # type: ignore[attr-defined]
META = AnalyticsMeta.__table__  # type: ignore[attr-defined]

Key = tuple[str, str, str, str]  # slice, dim, key1, key2
Item = tuple[str, str, str]  # dim, key1, key2
Inputs = dict[str, Any]

MODES = ("temporary", "permanent", "virtual")
CONTRIBUTIONS = ("investment", "mentoring", "knowledge_transfer", "philanthropy")
# Upper bounds (inclusive) of the experience bands; the last band is open.
EXPERIENCE_BANDS = (("0-2", 2), ("3-5", 5), ("6-10", 10), ("11-20", 20), ("21+", None))
SCALAR_DIMS = ("res", "by", "gen", "edu", "fld", "isco", "sec", "exp", "dur")
SUPPLY_DIMS = ("sup",)
# Profile columns whose change alters a member's contribution.
_PROFILE_FIELDS = (
    "consent_mapping",
    "origin_country",
    "programme_id",
    "sector",
    "survey_version_id",
    "mode_temporary",
    "mode_permanent",
    "mode_virtual",
    "residence_country",
    "birth_year",
    "gender",
    "education_level",
    "education_field",
    "isco_major",
    "years_experience",
    "preferred_duration",
    *(f"contrib_{c}" for c in CONTRIBUTIONS),
    "record_key",
)
_RESPONSE_FIELDS = ("member_id", "status", "submitted_at", "version_id")


# --- what one member contributes ----------------------------------------------------------


def experience_band(years: int | None) -> str:
    years = years or 0
    for label, upper in EXPERIENCE_BANDS:
        if upper is None or years <= upper:
            return label
    return EXPERIENCE_BANDS[-1][0]


def combo_key(
    origin: str, programme_id: int | None, sector: str, version_id: int | None, flags: str
) -> str:
    """The combination slice of a member: filter values joined, flags as three 0/1 digits."""
    p = "" if programme_id is None else str(programme_id)
    v = "" if version_id is None else str(version_id)
    return f"c:{origin}|{p}|{sector}|{v}|{flags}"


def inputs_of(
    row: Any, skills: Iterable[str], languages: Iterable[str], responses: Iterable[Any]
) -> Inputs | None:
    """The attributes a member is counted by, or None when they do not count (no consent)."""
    if not row.consent_mapping:
        return None
    flags = "".join("1" if getattr(row, f"mode_{m}") else "0" for m in MODES)
    return {
        "o": row.origin_country or "",
        "p": row.programme_id,
        "s": row.sector or "",
        "v": row.survey_version_id,
        "f": flags,
        "res": row.residence_country or "",
        "by": "" if row.birth_year is None else str(row.birth_year),
        "gen": row.gender or "",
        "edu": "" if row.education_level is None else str(row.education_level),
        "fld": row.education_field or "",
        "isco": row.isco_major or "",
        "exp": experience_band(row.years_experience),
        "dur": row.preferred_duration or "",
        "cf": "".join("1" if getattr(row, f"contrib_{c}") else "0" for c in CONTRIBUTIONS),
        "rk": int(row.record_key or 0),
        "sk": sorted({s for s in skills if s}),
        "lg": sorted({c for c in languages if c}),
        "rs": sorted([str(version), day] for version, day in responses),
    }


def slices_of(inp: Inputs) -> list[str]:
    out = ["all"]
    if inp["o"]:
        out.append(f"o:{inp['o']}")
    if inp["p"] is not None:
        out.append(f"p:{inp['p']}")
    if inp["s"]:
        out.append(f"s:{inp['s']}")
    if inp["v"] is not None:
        out.append(f"v:{inp['v']}")
    out.extend(f"m:{m}" for m, on in zip(MODES, inp["f"], strict=True) if on == "1")
    out.extend(f"k:{label}" for label in inp["sk"])
    out.append(combo_key(inp["o"], inp["p"], inp["s"], inp["v"], inp["f"]))
    return out


def items_of(inp: Inputs) -> list[Item]:
    willing = "1" in inp["f"]
    items: list[Item] = [("n", "", "")]
    items.extend((dim, inp[dim], "") for dim in SCALAR_DIMS if dim != "sec")
    items.append(("sec", inp["s"], ""))
    items.append(("will", "yes" if willing else "no", ""))
    items.extend(("mode", m, "") for m, on in zip(MODES, inp["f"], strict=True) if on == "1")
    items.extend(
        ("con", c, "") for c, on in zip(CONTRIBUTIONS, inp["cf"], strict=True) if on == "1"
    )
    items.extend(("lang", code, "") for code in inp["lg"])
    items.extend(("skill", label, "") for label in inp["sk"])
    if willing:
        items.extend(("sup", label, inp["res"]) for label in inp["sk"])
        if inp["s"]:
            items.append(("sups", inp["s"], inp["res"]))
    items.extend(("resp", version, day) for version, day in inp["rs"])
    return items


def contributions(inp: Inputs | None) -> Counter[Key]:
    if inp is None:
        return Counter()
    items = items_of(inp)
    return Counter((s, *item) for s in slices_of(inp) for item in items)


def key_contributions(inp: Inputs | None) -> Counter[Key]:
    """What the member adds to the record-key sums (`k`) of the same rows: its record key
    once per count it adds (so `k` stays the sum of the keys of the records counted)."""
    if inp is None:
        return Counter()
    key = int(inp.get("rk") or 0)
    return Counter({k: n * key for k, n in contributions(inp).items()})


# --- reading the current inputs of members --------------------------------------------------

_PROFILE_COLUMNS = [col(getattr(MemberProfile, name)) for name in ("id", *_PROFILE_FIELDS)]


def week_of(value: Any) -> str:
    """The Monday starting the ISO week of a timestamp, as YYYY-MM-DD."""
    day = value.date() if hasattr(value, "date") else date.fromisoformat(str(value)[:10])
    return (day - timedelta(days=day.weekday())).isoformat()


def load_inputs(session: Session, ids: Sequence[int]) -> dict[int, Inputs]:
    """Current inputs of the given members that count (active mapping consent)."""
    if not ids:
        return {}
    rows = session.exec(
        select(*_PROFILE_COLUMNS).where(  # type: ignore[call-overload]
            col(MemberProfile.id).in_(ids),
            col(MemberProfile.consent_mapping) == True,  # noqa: E712
        )
    ).all()
    counted = [r.id for r in rows]
    if not counted:
        return {}
    skills: dict[int, list[str]] = {}
    for member_id, label in session.exec(
        select(MemberSkill.member_id, MemberSkill.label).where(
            col(MemberSkill.member_id).in_(counted)
        )
    ):
        skills.setdefault(member_id, []).append(label)
    languages: dict[int, list[str]] = {}
    for member_id, code in session.exec(
        select(MemberLanguage.member_id, MemberLanguage.code).where(
            col(MemberLanguage.member_id).in_(counted)
        )
    ):
        languages.setdefault(member_id, []).append(code)
    responses: dict[int, list[tuple[int, str]]] = {}
    for responder, version_id, submitted_at in session.exec(
        select(Response.member_id, Response.version_id, Response.submitted_at).where(
            col(Response.member_id).in_(counted),
            Response.status == "submitted",
            col(Response.submitted_at).is_not(None),
        )
    ):
        responses.setdefault(responder or 0, []).append((version_id, week_of(submitted_at)))
    out: dict[int, Inputs] = {}
    for r in rows:
        inp = inputs_of(r, skills.get(r.id, ()), languages.get(r.id, ()), responses.get(r.id, ()))
        if inp is not None:
            out[r.id] = inp
    return out


# --- the queue, filled by ORM hooks in the writer's transaction -------------------------------


def _changed(obj: Any, fields: Sequence[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _touched_members(session: OrmSession) -> set[int]:
    ids: set[Any] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, MemberProfile):
            ids.add(obj.id)
        elif isinstance(obj, (MemberSkill, MemberLanguage, Response)):
            ids.add(obj.member_id)
    for obj in session.dirty:
        if isinstance(obj, MemberProfile) and _changed(obj, _PROFILE_FIELDS):
            ids.add(obj.id)
        elif isinstance(obj, (MemberSkill, MemberLanguage)):
            ids.add(obj.member_id)
        elif isinstance(obj, Response) and _changed(obj, _RESPONSE_FIELDS):
            ids.add(obj.member_id)
            ids.update(inspect(obj).attrs.member_id.history.deleted or ())
    ids.discard(None)
    return ids


def _insert(conn: Connection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def enqueue(conn: Connection, member_ids: Iterable[int]) -> None:
    """Queue members whose contribution may have changed."""
    rows = [{"member_id": i, "token": secrets.randbits(31)} for i in sorted(set(member_ids))]
    if not rows:
        return
    stmt = _insert(conn, QUEUE)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["member_id"], set_={"token": stmt.excluded.token}
        ),
        rows,
    )


# Members touched in the session's current transaction, queued in one statement just
# before it commits (not one upsert per write statement).
_PENDING = "analytics_queue_pending"
_COMMITTING = "analytics_queue_committing"


def _note(session: OrmSession, ids: set[Any]) -> None:
    """Remember members to queue; written by `_write_pending` before the commit."""
    if session.info.get(_COMMITTING):
        # A flush that runs after our before_commit hook (commit's own final flush):
        # the queue has been written already, so write these at once.
        enqueue(session.connection(), ids)
        return
    session.info.setdefault(_PENDING, set()).update(ids)


def note_members(session: OrmSession, member_ids: Iterable[int]) -> None:
    """Queue these members at commit: for writers the statement hooks below cannot see
    (COPY and raw inserts in `diaspora.db.RowWriter`)."""
    ids = set(member_ids)
    if ids:
        _note(session, ids)


def _write_pending(session: OrmSession) -> None:
    """Queue the members noted in this transaction (one multi-row upsert)."""
    ids = session.info.pop(_PENDING, None)
    if ids:
        enqueue(session.connection(), ids)


@event.listens_for(OrmSession, "after_flush")
def _queue_changed_members(session: OrmSession, _flush_context: Any) -> None:
    # The session still lists what this flush wrote; primary keys are assigned by now.
    ids = _touched_members(session)
    if ids:
        _note(session, ids)


@event.listens_for(OrmSession, "before_commit")
def _queue_before_commit(session: OrmSession) -> None:
    if session.in_transaction() and (session.new or session.dirty or session.deleted):
        session.flush()
    _write_pending(session)
    session.info[_COMMITTING] = True


@event.listens_for(OrmSession, "after_transaction_end")
def _queue_transaction_end(session: OrmSession, transaction: Any) -> None:
    if transaction.parent is None:
        # Committed (already written) or rolled back (nothing to queue): start afresh.
        session.info.pop(_PENDING, None)
        session.info.pop(_COMMITTING, None)


# Tables whose rows carry the member they belong to, written by Core statements too
# (the fast submission path inserts a new member's identity, skills, languages, consents
# and responses that way; a new profile always comes with its identity row).
_MEMBER_ROWS = {
    "member_identity": "member_id",
    "member_skill": "member_id",
    "member_language": "member_id",
    "consent": "member_id",
    "response": "member_id",
    "member_profile": "id",
}


def _bound_ids(clause: Any, column: str) -> set[Any]:
    """Values a WHERE clause compares `column` with (=, IN), when they are plain values."""
    found: set[Any] = set()
    if clause is None:
        return found
    for node in clause.get_children() if hasattr(clause, "get_children") else ():
        found |= _bound_ids(node, column)
    left, right = getattr(clause, "left", None), getattr(clause, "right", None)
    if getattr(left, "name", None) == column and right is not None:
        value = getattr(right, "value", None)
        if isinstance(value, int):
            found.add(value)
        elif isinstance(value, (list, tuple)):
            found.update(v for v in value if isinstance(v, int))
    return found


@event.listens_for(OrmSession, "do_orm_execute")
def _queue_statement_writes(state: Any) -> None:
    """Queue the members touched by INSERT/UPDATE/DELETE statements run through a session."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    column = _MEMBER_ROWS.get(getattr(table, "name", ""))
    if column is None:
        return
    ids: set[Any] = set()
    params = state.parameters
    for row in params if isinstance(params, (list, tuple)) else [params or {}]:
        if isinstance(row, dict) and isinstance(row.get(column), int):
            ids.add(row[column])
    if not state.is_insert:
        ids |= _bound_ids(getattr(state.statement, "whereclause", None), column)
    if ids:
        _note(state.session, ids)


# --- bringing the counts up to date -----------------------------------------------------------


def _lock(session: Session) -> None:
    """Serialise refreshes and rebuilds (a row lock on PostgreSQL, the write lock on SQLite)."""
    now = utcnow()
    conn = session.connection()
    table = META
    result = conn.execute(update(table).where(table.c.id == 1).values(refreshed_at=now))
    if result.rowcount == 0:
        conn.execute(_insert(conn, table).values(id=1, refreshed_at=now).on_conflict_do_nothing())
        conn.execute(sa_select(table.c.id).where(table.c.id == 1).with_for_update())


def apply_delta(
    session: Session, delta: Counter[Key], key_delta: Counter[Key] | None = None
) -> None:
    """Add `delta` to the counts and `key_delta` to their record-key sums (upsert); rows
    that drop to zero are removed."""
    key_delta = key_delta or Counter()
    changes = sorted(
        (k, delta[k], key_delta[k]) for k in set(delta) | set(key_delta) if delta[k] or key_delta[k]
    )
    if not changes:
        return
    conn = session.connection()
    table = COUNT
    stmt = _insert(conn, table)
    upsert = stmt.on_conflict_do_update(
        index_elements=["slice", "dim", "key1", "key2"],
        set_={"n": table.c.n + stmt.excluded.n, "k": table.c.k + stmt.excluded.k},
    )
    rows: list[dict[str, Any]] = [
        {"slice": s, "dim": d, "key1": k1, "key2": k2, "n": n, "k": ks}
        for (s, d, k1, k2), n, ks in changes
    ]
    for chunk in _chunks(rows, 5000):
        conn.execute(upsert, chunk)
    gone = [r for r in rows if r["n"] < 0]
    if gone:
        conn.execute(
            delete(table).where(
                and_(
                    table.c.slice == _bp("slice"),
                    table.c.dim == _bp("dim"),
                    table.c.key1 == _bp("key1"),
                    table.c.key2 == _bp("key2"),
                    table.c.n <= 0,
                )
            ),
            [{"b_" + k: v for k, v in r.items() if k not in ("n", "k")} for r in gone],
        )


def _bp(name: str) -> Any:
    return bindparam("b_" + name)


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _register_combos(session: Session, states: Iterable[Inputs]) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for inp in states:
        key = combo_key(inp["o"], inp["p"], inp["s"], inp["v"], inp["f"])
        seen[key] = {
            "key": key,
            "origin_country": inp["o"],
            "programme_id": inp["p"] or 0,
            "sector": inp["s"],
            "survey_version_id": inp["v"] or 0,
            "mode_temporary": inp["f"][0] == "1",
            "mode_permanent": inp["f"][1] == "1",
            "mode_virtual": inp["f"][2] == "1",
        }
    if seen:
        conn = session.connection()
        conn.execute(
            _insert(conn, COMBO).on_conflict_do_nothing(),
            [seen[k] for k in sorted(seen)],
        )


def _store_states(session: Session, ids: Sequence[int], states: dict[int, Inputs]) -> None:
    conn = session.connection()
    table = STATE
    conn.execute(delete(table).where(table.c.member_id.in_(ids)))
    if states:
        conn.execute(
            table.insert(), [{"member_id": i, "inputs": states[i]} for i in sorted(states)]
        )


# A queue this long, and at least this share of all members, is applied by `rebuild`.
REBUILD_FROM = 5000
REBUILD_SHARE = 0.2


def refresh(session: Session, *, batch: int = 2000) -> int:
    """Apply the queued member changes to the counts and commit; returns how many were applied.

    Call it with a session that has nothing pending: it commits.
    """
    waiting = pending(session)
    if not waiting:
        return 0
    if waiting >= REBUILD_FROM:
        members = int(session.exec(select(func.count()).select_from(MemberProfile)).one())  # type: ignore[call-overload]
        if waiting >= REBUILD_SHARE * members:
            # After a bulk import: counting everyone again set-based is quicker than
            # re-counting this many members one by one (0.2-0.35 ms each).
            rebuild(session)
            return waiting
    # End the read transaction first, so the lock below starts a fresh one (SQLite WAL
    # cannot upgrade a stale read snapshot to a write).
    session.commit()
    _lock(session)
    queued = session.exec(
        select(AnalyticsQueue.member_id, AnalyticsQueue.token).order_by(  # type: ignore[call-overload]
            col(AnalyticsQueue.member_id)
        )
    ).all()
    delta: Counter[Key] = Counter()
    key_delta: Counter[Key] = Counter()
    for chunk in _chunks(queued, batch):
        ids = [member_id for member_id, _ in chunk]
        old: dict[int, Inputs] = {
            member_id: dict(inputs)
            for member_id, inputs in session.connection().execute(
                sa_select(STATE.c.member_id, STATE.c.inputs).where(STATE.c.member_id.in_(ids))
            )
        }
        new = load_inputs(session, ids)
        for member_id in ids:
            delta.update(contributions(new.get(member_id)))
            delta.subtract(contributions(old.get(member_id)))
            key_delta.update(key_contributions(new.get(member_id)))
            key_delta.subtract(key_contributions(old.get(member_id)))
        _register_combos(session, new.values())
        _store_states(session, ids, new)
    apply_delta(session, delta, key_delta)
    conn = session.connection()
    table = QUEUE
    conn.execute(
        delete(table).where(
            and_(table.c.member_id == _bp("member_id"), table.c.token == _bp("token"))
        ),
        [{"b_member_id": m, "b_token": t} for m, t in queued],
    )
    session.commit()
    return len(queued)


def pending(session: Session) -> int:
    _write_pending(session)
    return int(session.exec(select(func.count()).select_from(AnalyticsQueue)).one())  # type: ignore[call-overload]


# --- rebuilding everything with set-based SQL --------------------------------------------------

# Items: (dim, key1, key2, condition, source) over the member extract (or, for the
# multi-valued items, the extract of skills, languages or responses, which carries the
# member columns along so no item needs a join).
ITEMS: tuple[tuple[str, str, str, str, str], ...] = (
    ("n", "''", "''", "", ""),
    ("res", "m.r", "''", "", ""),
    ("by", "m.by_", "''", "", ""),
    ("gen", "m.g", "''", "", ""),
    ("edu", "m.e", "''", "", ""),
    ("fld", "m.fl", "''", "", ""),
    ("isco", "m.i", "''", "", ""),
    ("sec", "m.s", "''", "", ""),
    ("exp", "m.x", "''", "", ""),
    ("dur", "m.d", "''", "", ""),
    ("will", "m.will", "''", "", ""),
    ("mode", "'temporary'", "''", "m.mt = 1", ""),
    ("mode", "'permanent'", "''", "m.mp = 1", ""),
    ("mode", "'virtual'", "''", "m.mv = 1", ""),
    *(("con", f"'{c}'", "''", f"m.c_{c} = 1", "") for c in CONTRIBUTIONS),
    ("lang", "m.code", "''", "", "_an_lg"),
    ("skill", "m.label", "''", "", "_an_sk"),
    ("sup", "m.label", "m.r", "m.will = 'yes'", "_an_sk"),
    ("sups", "m.s", "m.r", "m.will = 'yes' AND m.s <> ''", ""),
    ("resp", "m.rv", "m.wk", "", "_an_rs"),
)
# Slices rolled up from the combination counts: (slice expression, condition).
_ROLLUPS: tuple[tuple[str, str], ...] = (
    ("'all'", ""),
    ("'o:' || o", "o <> ''"),
    ("'p:' || p", "p <> ''"),
    ("'s:' || s", "s <> ''"),
    ("'v:' || v", "v <> ''"),
    ("'m:temporary'", "mt = 1"),
    ("'m:permanent'", "mp = 1"),
    ("'m:virtual'", "mv = 1"),
)
_TEMP_TABLES = ("_an_m", "_an_sk", "_an_lg", "_an_rs", "_an_c", "_an_out")


def _flag(column: str) -> str:
    return f"CASE WHEN {column} THEN 1 ELSE 0 END"


def extracts(pg: bool, *, prefix: str = "_an", where: str = "consent_mapping") -> list[str]:
    """Temporary tables of the counted members (`{prefix}_m`: one row each, every attribute
    as counted) and of their skills, languages and submitted responses (`_sk`, `_lg`,
    `_rs`: one row per value, carrying the member's columns along; all of them for skills,
    which are also slices)."""
    text_of = "CAST({} AS VARCHAR)"
    bands = " ".join(
        f"WHEN years_experience <= {upper} THEN '{label}'"
        for label, upper in EXPERIENCE_BANDS
        if upper is not None
    )
    flags = " || ".join(f"CASE WHEN mode_{m} THEN '1' ELSE '0' END" for m in MODES)
    combo = (
        "'c:' || origin_country || '|' || "
        f"COALESCE({text_of.format('programme_id')}, '') || '|' || sector || '|' || "
        f"COALESCE({text_of.format('survey_version_id')}, '') || '|' || {flags}"
    )
    carried = "m.member_id, m.combo, m.o, m.p, m.s, m.v, m.mt, m.mp, m.mv, m.r, m.will, m.rk"
    week = (
        "to_char(date_trunc('week', r.submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        if pg
        else "date(r.submitted_at, 'weekday 0', '-6 days')"
    )
    columns = f"""SELECT id AS member_id,
            origin_country AS o, COALESCE({text_of.format("programme_id")}, '') AS p,
            sector AS s, COALESCE({text_of.format("survey_version_id")}, '') AS v,
            {_flag("mode_temporary")} AS mt, {_flag("mode_permanent")} AS mp,
            {_flag("mode_virtual")} AS mv, {combo} AS combo,
            residence_country AS r, COALESCE({text_of.format("birth_year")}, '') AS by_,
            gender AS g, COALESCE({text_of.format("education_level")}, '') AS e,
            education_field AS fl, isco_major AS i,
            CASE {bands} ELSE '{EXPERIENCE_BANDS[-1][0]}' END AS x, preferred_duration AS d,
            CASE WHEN mode_temporary OR mode_permanent OR mode_virtual THEN 'yes' ELSE 'no' END
                AS will,
            {", ".join(f"{_flag('contrib_' + c)} AS c_{c}" for c in CONTRIBUTIONS)},
            record_key AS rk
            FROM member_profile WHERE """
    # CROSS JOIN: SQLite then drives from the member extract (it has no statistics on it).
    return [
        # Created empty, then filled: PostgreSQL takes no bound values in CREATE TABLE AS.
        f"CREATE TEMPORARY TABLE {prefix}_m AS {columns} 1 = 0",
        f"INSERT INTO {prefix}_m {columns} {where}",
        f"CREATE INDEX {prefix}_m_id ON {prefix}_m (member_id)",
        f"""CREATE TEMPORARY TABLE {prefix}_sk AS SELECT DISTINCT m.*, s.label
            FROM {prefix}_m m CROSS JOIN member_skill s
            WHERE s.member_id = m.member_id AND s.label <> ''""",
        f"""CREATE TEMPORARY TABLE {prefix}_lg AS SELECT DISTINCT {carried}, l.code
            FROM {prefix}_m m CROSS JOIN member_language l
            WHERE l.member_id = m.member_id AND l.code <> ''""",
        f"""CREATE TEMPORARY TABLE {prefix}_rs AS SELECT {carried},
            {text_of.format("r.version_id")} AS rv, {week} AS wk
            FROM {prefix}_m m CROSS JOIN response r
            WHERE r.member_id = m.member_id AND r.status = 'submitted'
            AND r.submitted_at IS NOT NULL""",
    ]


def item_counts(prefix: str, *, supply: bool) -> Iterator[tuple[str, str]]:
    """(dim, SELECT key1, key2, COUNT(*), SUM(rk) ... GROUP BY) per item, over the extracts."""
    for dim, key1, key2, cond, source in ITEMS:
        if dim == "sup" and not supply:
            continue
        conds = [c for c in (cond, "m.label IN :labels" if dim == "sup" else "") if c]
        group = ", ".join(e for e in (key1, key2) if not _is_literal(e))
        table = source.replace("_an", prefix) if source else f"{prefix}_m"
        yield (
            dim,
            (
                f"SELECT {key1}, {key2}, COUNT(*), SUM(m.rk) FROM {table} m"
                + (f" WHERE {' AND '.join(conds)}" if conds else "")
                + (f" GROUP BY {group}" if group else "")
            ),
        )


def _is_literal(expr: str) -> bool:
    return expr.startswith("'") and expr.endswith("'") and expr.count("'") == 2


def _count_statements() -> Iterator[str]:
    """Combination counts per item into `_an_c`; every other slice into `_an_out`, rolled up
    from the combinations or, for skills, counted over the member-skill extract; then
    everything into analytics_count in key order (rows of a slice end up side by side)."""
    combo = "m.combo, m.o, m.p, m.s, m.v, m.mt, m.mp, m.mv"
    for dim, key1, key2, cond, source in ITEMS:
        group = "".join(f", {e}" for e in (key1, key2) if not _is_literal(e))
        yield (
            f"INSERT INTO _an_c SELECT {combo}, '{dim}', {key1}, {key2}, COUNT(*), SUM(m.rk) "
            f"FROM {source or '_an_m'} m"
            + (f" WHERE {cond}" if cond else "")
            + f" GROUP BY {combo}{group}"
        )
    for slice_expr, cond in _ROLLUPS:
        group = "".join(f"{e}, " for e in (slice_expr,) if not _is_literal(e))
        yield (
            f"INSERT INTO _an_out SELECT {slice_expr}, dim, key1, key2, SUM(n), SUM(k) FROM _an_c"
            + (f" WHERE {cond}" if cond else "")
            + f" GROUP BY {group}dim, key1, key2"
        )
    for dim, key1, key2, cond, source in ITEMS:
        # Member items read the member-skill rows themselves; multi-valued items join
        # their extract to the member's skills (`fk`, one row per skill of the member).
        sql_from = (
            f"{source} m JOIN _an_sk fk ON fk.member_id = m.member_id" if source else "_an_sk m"
        )
        skill = "fk.label" if source else "m.label"
        group = "".join(f", {e}" for e in (key1, key2) if not _is_literal(e))
        yield (
            f"INSERT INTO _an_out SELECT 'k:' || {skill}, '{dim}', {key1}, {key2}, COUNT(*), "
            "SUM(m.rk) "
            f"FROM {sql_from}" + (f" WHERE {cond}" if cond else "") + f" GROUP BY {skill}{group}"
        )
    yield (
        "INSERT INTO analytics_count (slice, dim, key1, key2, n, k) "
        "SELECT slice, dim, key1, key2, n, k "
        "FROM (SELECT slice, dim, key1, key2, n, k FROM _an_c UNION ALL "
        "SELECT slice, dim, key1, key2, n, k FROM _an_out) u ORDER BY slice, dim, key1, key2"
    )


def rebuild(session: Session, *, log: Callable[[str], None] | None = None) -> None:
    """Recreate every count, state and combination from the member tables, and commit."""
    say = log or (lambda _message: None)
    session.commit()  # a fresh transaction: PostgreSQL sets its isolation level first
    conn = session.connection()
    pg = conn.dialect.name == "postgresql"
    if pg:
        # One snapshot for the SQL counts and the per-member states read after them.
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    else:
        # Big sorts and joins: give SQLite a larger page cache for them (restored below).
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    started = time.perf_counter()
    _lock(session)
    if pg:
        # TRUNCATE, not DELETE: no dead rows left behind, so the counts of a slice end up
        # in a few neighbouring pages. (Writers never touch these three tables.)
        conn.execute(text("TRUNCATE analytics_count, analytics_combo, analytics_member_state"))
    else:
        for table in (COUNT, COMBO, STATE):
            conn.execute(delete(table))
    conn.execute(delete(QUEUE))
    for name in _TEMP_TABLES:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    for sql in extracts(pg):
        conn.execute(text(sql))
    conn.execute(
        text(
            """CREATE TEMPORARY TABLE _an_c (slice VARCHAR(220), o VARCHAR(2), p VARCHAR(20),
            s VARCHAR(60), v VARCHAR(20), mt INTEGER, mp INTEGER, mv INTEGER, dim VARCHAR(12),
            key1 VARCHAR(200), key2 VARCHAR(12), n INTEGER, k BIGINT)"""
        )
    )
    conn.execute(
        text(
            """CREATE TEMPORARY TABLE _an_out (slice VARCHAR(220), dim VARCHAR(12),
            key1 VARCHAR(200), key2 VARCHAR(12), n INTEGER, k BIGINT)"""
        )
    )
    if pg:
        conn.execute(text("ANALYZE _an_m, _an_sk, _an_lg, _an_rs"))
    else:
        for name in ("_an_sk", "_an_lg", "_an_rs"):
            conn.execute(text(f"CREATE INDEX {name}_m ON {name} (member_id)"))
    say(f"  summary: member extracts in {time.perf_counter() - started:.0f} s")
    for sql in _count_statements():
        conn.execute(text(sql))
    conn.execute(
        text(
            "INSERT INTO analytics_combo (key, origin_country, programme_id, sector, "
            "survey_version_id, mode_temporary, mode_permanent, mode_virtual) "
            "SELECT DISTINCT combo, o, CASE WHEN p = '' THEN 0 ELSE CAST(p AS INTEGER) END, s, "
            "CASE WHEN v = '' THEN 0 ELSE CAST(v AS INTEGER) END, mt = 1, mp = 1, mv = 1 "
            "FROM _an_m"
        )
    )
    say(f"  summary: counts in {time.perf_counter() - started:.0f} s")
    conn.execute(text(_states_statement(pg)))
    for name in _TEMP_TABLES:
        conn.execute(text(f"DROP TABLE {name}"))
    if not pg:
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
    conn.execute(update(META).where(text("id = 1")).values(rebuilt_at=utcnow()))
    if pg:
        conn.execute(text("ANALYZE analytics_count, analytics_combo, analytics_member_state"))
    session.commit()
    say(f"  summary: member states in {time.perf_counter() - started:.0f} s")


def _states_statement(pg: bool) -> str:
    """Every counted member's inputs as JSON, built in SQL in the shape `inputs_of` returns."""
    flags = " || ".join(f"CAST(m.{f} AS VARCHAR)" for f in ("mt", "mp", "mv"))
    contribs = " || ".join(f"CAST(m.c_{c} AS VARCHAR)" for c in CONTRIBUTIONS)
    number = "CASE WHEN m.{0} = '' THEN NULL ELSE CAST(m.{0} AS INTEGER) END"
    if pg:
        obj, agg, pair, empty, embed = (
            "json_build_object",
            "json_agg",
            "json_build_array",
            "'[]'::json",
            "{}",
        )
    else:
        obj, agg, pair, empty, embed = (
            "json_object",
            "json_group_array",
            "json_array",
            "'[]'",
            "json({})",
        )
    fields = {
        "o": "m.o", "p": number.format("p"), "s": "m.s", "v": number.format("v"), "f": flags,
        "res": "m.r", "by": "m.by_", "gen": "m.g", "edu": "m.e", "fld": "m.fl", "isco": "m.i",
        "exp": "m.x", "dur": "m.d", "cf": contribs, "rk": "m.rk",
        "sk": embed.format(f"COALESCE(k.a, {empty})"),
        "lg": embed.format(f"COALESCE(l.a, {empty})"),
        "rs": embed.format(f"COALESCE(r.a, {empty})"),
    }  # fmt: skip
    body = ", ".join(f"'{k}', {v}" for k, v in fields.items())
    return (
        f"INSERT INTO analytics_member_state (member_id, inputs) SELECT m.member_id, {obj}({body}) "
        f"FROM _an_m m "
        f"LEFT JOIN (SELECT member_id, {agg}(label) AS a FROM _an_sk GROUP BY member_id) k "
        "ON k.member_id = m.member_id "
        f"LEFT JOIN (SELECT member_id, {agg}(code) AS a FROM _an_lg GROUP BY member_id) l "
        "ON l.member_id = m.member_id "
        f"LEFT JOIN (SELECT member_id, {agg}({pair}(rv, wk)) AS a FROM _an_rs GROUP BY member_id) r "
        "ON r.member_id = m.member_id"
    )


# --- reading ------------------------------------------------------------------------------------

Counts = dict[str, Counter[tuple[str, str]]]
# Counts[KEYS + dim] holds the record-key sums of the cells of Counts[dim].
KEYS = "#"


def read(session: Session, slices: Sequence[str], *, supply_labels: Iterable[str]) -> Counts:
    """Summed counts of the given slices: {dim: Counter({(key1, key2): n})}."""
    out: Counts = {}
    if not slices:
        return out
    table = COUNT
    labels = sorted(set(supply_labels))
    conditions = [table.c.dim.notin_(SUPPLY_DIMS)]
    if labels:
        conditions.append(and_(table.c.dim.in_(SUPPLY_DIMS), table.c.key1.in_(labels)))
    total, keys = func.sum(table.c.n), func.sum(table.c.k)
    for slice_chunk in _chunks(sorted(set(slices)), 500):
        stmt = (
            sa_select(table.c.dim, table.c.key1, table.c.key2, total, keys)
            .where(table.c.slice.in_(slice_chunk), or_(*conditions))
            .group_by(table.c.dim, table.c.key1, table.c.key2)
        )
        for dim, key1, key2, n, k in session.connection().execute(stmt):
            if n:
                out.setdefault(dim, Counter())[(key1, key2)] += int(n)
                out.setdefault(KEYS + dim, Counter())[(key1, key2)] += int(k or 0)
    return without_empty(out)


def without_empty(out: Counts) -> Counts:
    """Drop cells counting nobody (and their key sums), and dimensions left empty."""
    for dim in [d for d in out if not d.startswith(KEYS)]:
        counter, keys = out[dim], out.get(KEYS + dim, Counter())
        for cell in [c for c, n in counter.items() if n <= 0]:
            del counter[cell]
            keys.pop(cell, None)
    return {dim: counter for dim, counter in out.items() if counter}


def combos(
    session: Session,
    *,
    origin: str | None = None,
    programme_id: int | None = None,
    sector: str | None = None,
    version_id: int | None = None,
    mode: str | None = None,
) -> list[str]:
    """Keys of the combination slices matching every given filter."""
    stmt = select(AnalyticsCombo.key)
    if origin is not None:
        stmt = stmt.where(AnalyticsCombo.origin_country == origin)
    if programme_id is not None:
        stmt = stmt.where(AnalyticsCombo.programme_id == programme_id)
    if sector is not None:
        stmt = stmt.where(AnalyticsCombo.sector == sector)
    if version_id is not None:
        stmt = stmt.where(AnalyticsCombo.survey_version_id == version_id)
    if mode is not None:
        stmt = stmt.where(getattr(AnalyticsCombo, f"mode_{mode}") == True)  # noqa: E712
    return list(session.exec(stmt).all())
