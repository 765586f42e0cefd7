"""Counts computed directly from the member tables, for views the summary has no slice for.

A skill filter (alone or with others) selects few members, so its view is counted live:
the matching members are copied once into small temporary extracts (the same extracts,
and the same item definitions, that `summary.rebuild` uses for everyone), then each table
is one GROUP BY over them. Returns the same shape as `summary.read`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from diaspora.analytics import summary
from diaspora.analytics.filters import Filters
from diaspora.analytics.summary import Counts

PREFIX = "_lv"


def _where(f: Filters) -> tuple[str, dict[str, Any]]:
    """The member condition of a view, with its bound values."""
    conds, params = ["consent_mapping"], {}
    for column, name, value in (
        ("origin_country", "origin", f.origin),
        ("programme_id", "programme_id", f.programme_id),
        ("sector", "sector", f.sector),
        ("survey_version_id", "version_id", f.version_id),
    ):
        if value is not None:
            conds.append(f"{column} = :{name}")
            params[name] = value
    if f.mode is not None:
        conds.append(f"mode_{f.mode}")  # one of three known column names, never user text
    if f.skill is not None:
        conds.append("id IN (SELECT member_id FROM member_skill WHERE label = :skill)")
        params["skill"] = f.skill
    return " AND ".join(conds), params


def counts(session: Session, f: Filters, *, supply_labels: Iterable[str]) -> Counts:
    """Every dashboard count for the members matching `f`."""
    conn = session.connection()
    pg = conn.dialect.name == "postgresql"
    where, params = _where(f)
    names = [f"{PREFIX}_{t}" for t in ("m", "sk", "lg", "rs")]
    labels = sorted(set(supply_labels))
    out: Counts = {}
    if pg:
        # The extracts are small: index lookups beat scanning the big tables, which the
        # planner sees only with the random-access cost of a solid-state disk.
        conn.execute(text("SET LOCAL random_page_cost = 1.1"))
    try:
        for name in names:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        for i, sql in enumerate(summary.extracts(pg, prefix=PREFIX, where=where)):
            conn.execute(text(sql), params if i == 1 else {})
        for dim, sql in summary.item_counts(PREFIX, supply=bool(labels)):
            stmt = text(sql)
            if dim == "sup":
                stmt = stmt.bindparams(bindparam("labels", value=labels, expanding=True))
            counter = out.setdefault(dim, Counter())
            keys = out.setdefault(summary.KEYS + dim, Counter())
            for key1, key2, n, k in conn.execute(stmt):
                if n:
                    counter[(str(key1), str(key2))] += int(n)
                    keys[(str(key1), str(key2))] += int(k or 0)
    finally:
        for name in names:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    return summary.without_empty(out)
