"""Engine and session construction; nothing is created at import time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, MetaData, Table, event, insert, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Stable constraint names make Alembic batch migrations work on SQLite.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def metadata() -> MetaData:
    """The metadata with every table registered."""
    from diaspora import models  # noqa: F401  (registers the tables)

    return SQLModel.metadata


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout makes concurrent
    # writers wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`, with SQLite tuned for a small multi-threaded server."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def new_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (services return them)."""
    return Session(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session closed at the end of the block; services own their commits."""
    session = new_session(engine)
    try:
        yield session
    finally:
        session.close()


# Fewer rows than this go through a Core INSERT (COPY and taking ids first cost round trips).
BULK_FROM = 20


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    return_ids: bool = False,
) -> list[int]:
    """Insert many rows (all with the same keys) in the session's transaction; their ids,
    in order, when asked.  Statement hooks (`do_orm_execute`) do not see these writes:
    callers note what they wrote themselves.

    Few rows go through a Core INSERT.  Many rows skip SQLAlchemy's per-row work (it
    builds and processes a parameter dict per row, about as slow as the database's own
    insert): on PostgreSQL they go through COPY, ids taken from the table's sequence
    first (a multi-row INSERT of a thousand rows is a query of tens of thousands of
    parameters that psycopg parses again each time, ~50 ms); on SQLite through the
    driver's executemany, values converted by the columns' own bind processors.
    """
    if not rows:
        return []
    conn = session.connection()
    if len(rows) < BULK_FROM:
        if not return_ids:
            session.execute(insert(table), list(rows))
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in session.execute(statement, list(rows)).scalars()]
    if conn.dialect.name == "postgresql":
        return _copy_rows(conn, table, rows, return_ids)
    return _executemany(conn, table, rows, return_ids)


def _executemany(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], return_ids: bool
) -> list[int]:
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or keys)
    convert = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in order]
    values = [
        tuple(
            row[key] if process is None else process(row[key])
            for key, process in zip(order, convert, strict=True)
        )
        for row in rows
    ]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(str(compiled), values)
        if not return_ids:
            return []
        # SQLite gives a table without AUTOINCREMENT the rowid max + 1, and this write
        # transaction is the only one: the rows got consecutive ids.  Checked anyway.
        last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
    except dialect.loaded_dbapi.IntegrityError as error:
        raise IntegrityError(str(compiled), None, error) from error
    finally:
        cursor.close()
    first = last - len(rows) + 1
    found = conn.execute(
        text(f'SELECT count(*) FROM "{table.name}" WHERE id BETWEEN :a AND :b'),
        {"a": first, "b": last},
    ).scalar_one()
    if found != len(rows):
        raise RuntimeError(f"{table.name}: inserted rows did not get consecutive ids")
    return list(range(first, last + 1))


def _copy_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], return_ids: bool
) -> list[int]:
    import psycopg  # only on PostgreSQL

    ids: list[int] = []
    if return_ids:
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar_one()
        ids = [
            int(i)
            for i in conn.execute(
                text("SELECT nextval(:seq) FROM generate_series(1, :n) ORDER BY 1"),
                {"seq": sequence, "n": len(rows)},
            ).scalars()
        ]
    keys = list(rows[0])
    names = [*(["id"] if return_ids else []), *keys]
    is_json = [isinstance(table.c[name].type, JSON) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    copy_sql = f'COPY "{table.name}" ({columns}) FROM STDIN'
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(copy_sql) as copy:
            for index, row in enumerate(rows):
                values = [row[key] for key in keys]
                if return_ids:
                    values.insert(0, ids[index])
                copy.write_row(
                    [
                        json.dumps(value) if js and value is not None else value
                        for value, js in zip(values, is_json, strict=True)
                    ]
                )
    except psycopg.IntegrityError as error:
        # Callers handle duplicates (an import running twice at once) as for an INSERT.
        raise IntegrityError(copy_sql, None, error) from error
    finally:
        cursor.close()
    return ids
