"""Engine and session construction; nothing is created at import time."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Table, event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
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


# On PostgreSQL, more rows than this per table go through COPY rather than a pipeline of
# INSERTs (COPY has a fixed cost of its own).
COPY_FROM = 50


class RowWriter:
    """Rows for several tables, written together in the session's transaction.

    On PostgreSQL ids come from the tables' sequences first (`reserve`, one query for
    all tables), so child rows can be built before their parents are written, and
    everything is sent at `flush` in one pipeline: one round trip for a submission's
    ten statements instead of ten, and COPY for large batches (a multi-row INSERT of a
    thousand rows is a query of tens of thousands of parameters that psycopg parses
    again each time, ~50 ms).  On SQLite (in-process, no round trips) rows are written
    as they come, through the driver's executemany with the columns' own bind
    processors and a cached statement (SQLAlchemy compiles, builds and processes a
    parameter dict per row: as slow as the insert itself).

    Statement hooks (`do_orm_execute`) do not see these writes: callers note what
    they wrote themselves (see `analytics.summary.note_members`).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.connection()
        self.postgres = self.conn.dialect.name == "postgresql"
        self.pending: list[tuple[Table, list[str], list[Sequence[Any]]]] = []
        self.reserved: dict[str, list[int]] = {}

    def reserve(self, counts: Mapping[Table, int]) -> None:
        """Take ids for the rows `insert(..., return_ids=True)` will get (PostgreSQL)."""
        wanted = {table.name: n for table, n in counts.items() if n > 0}
        if not self.postgres or not wanted:
            return
        parts, params = [], {}
        for index, (name, n) in enumerate(wanted.items()):
            parts.append(
                f"SELECT {index} AS t, nextval(pg_get_serial_sequence(:t{index}, 'id')) AS id "
                f"FROM generate_series(1, :n{index})"
            )
            params.update({f"t{index}": name, f"n{index}": n})
        found: dict[int, list[int]] = {i: [] for i in range(len(wanted))}
        for index, value in self.conn.execute(text(" UNION ALL ".join(parts)), params):
            found[int(index)].append(int(value))
        for index, name in enumerate(wanted):
            self.reserved.setdefault(name, []).extend(sorted(found[index]))

    def insert(
        self, table: Table, rows: Sequence[dict[str, Any]], *, return_ids: bool = False
    ) -> list[int]:
        """Insert rows (all with the same keys); their ids, in order, when asked."""
        if not rows:
            return []
        if not self.postgres:
            return self._sqlite(table, rows, return_ids)
        from psycopg.types.json import Json  # only on PostgreSQL

        keys = list(rows[0])
        ids = self._take(table, len(rows)) if return_ids else []
        convert = [Json if isinstance(table.c[key].type, JSON) else None for key in keys]
        values = _tuples(rows, keys, convert)
        if return_ids:
            keys = ["id", *keys]
            values = [(i, *value) for i, value in zip(ids, values, strict=True)]
        self.pending.append((table, keys, values))
        _unflushed(self.session).add(self)
        return ids

    def _take(self, table: Table, n: int) -> list[int]:
        stock = self.reserved.get(table.name, [])
        if len(stock) < n:
            self.reserve({table: n - len(stock)})
            stock = self.reserved[table.name]
        taken, self.reserved[table.name] = stock[:n], stock[n:]
        return taken

    def flush(self) -> None:
        """Send what is pending (PostgreSQL): COPY for big tables, one pipeline for the rest."""
        if not self.pending:
            return
        import psycopg  # only on PostgreSQL

        pending, self.pending = self.pending, []
        raw = self.conn.connection.driver_connection
        statement = ""
        try:
            small = [p for p in pending if len(p[2]) < COPY_FROM]
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                for table, keys, values in pending:
                    if len(values) < COPY_FROM:
                        continue
                    columns = ", ".join(f'"{key}"' for key in keys)
                    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
                    with cursor.copy(statement) as copy:
                        for value in values:
                            copy.write_row(value)
                if small:
                    with raw.pipeline():  # type: ignore[union-attr]
                        for table, keys, values in small:
                            columns = ", ".join(f'"{key}"' for key in keys)
                            marks = ", ".join(["%s"] * len(keys))
                            statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
                            cursor.executemany(statement, values)
        except psycopg.IntegrityError as error:
            # Callers handle duplicates (the same submission twice at once) as for INSERT.
            raise IntegrityError(statement, None, error) from error
        except psycopg.Error as error:
            raise DBAPIError(statement, None, error) from error
        finally:
            _unflushed(self.session).discard(self)

    def _sqlite(self, table: Table, rows: Sequence[dict[str, Any]], return_ids: bool) -> list[int]:
        conn = self.conn
        keys = tuple(rows[0])
        sql, order, convert = _sqlite_insert(conn.dialect, table, keys)
        values = _tuples(rows, order, convert)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if len(values) == 1:
                cursor.execute(sql, values[0])
                return [int(cursor.lastrowid)] if return_ids else []
            cursor.executemany(sql, values)
            if not return_ids:
                return []
            # SQLite gives a table without AUTOINCREMENT the rowid max + 1, and this write
            # transaction is the only one: the rows got consecutive ids.  Checked anyway.
            last = int(cursor.execute("SELECT last_insert_rowid()").fetchone()[0])
        except conn.dialect.loaded_dbapi.IntegrityError as error:
            raise IntegrityError(sql, None, error) from error
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


_SQLITE_INSERTS: dict[tuple[str, tuple[str, ...]], tuple[str, list[str], list[Any]]] = {}


def _sqlite_insert(
    dialect: Any, table: Table, keys: tuple[str, ...]
) -> tuple[str, list[str], list[Any]]:
    """The INSERT for these columns, its parameter order and the columns' converters."""
    cache_key = (table.name, keys)
    found = _SQLITE_INSERTS.get(cache_key)
    if found is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup or keys)
        convert = []
        for key in order:
            column_type = table.c[key].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            is_time = isinstance(getattr(column_type, "impl", column_type), DateTime)
            convert.append(_memoised(process) if is_time else process)
        found = _SQLITE_INSERTS[cache_key] = (str(compiled), order, convert)
    return found


def _memoised(process: Any) -> Any:
    """A time stamp's converter that remembers: a batch's rows share a few time stamps."""
    if process is None:
        return None
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            if len(memo) > 1000:
                memo.clear()
            found = memo[value] = process(value)
            return found

    return convert


def _tuples(
    rows: Sequence[dict[str, Any]], keys: Sequence[str], convert: Sequence[Any]
) -> list[Sequence[Any]]:
    """The rows' values in `keys` order, through the converters that are not None (a
    converter is not called for None).  Per-value Python is most of a bulk insert's
    cost, so values are picked with itemgetter and only the few typed columns touched."""
    pick = operator.itemgetter(*keys)
    typed = [(i, process) for i, process in enumerate(convert) if process is not None]
    if len(keys) == 1:
        picked: list[Sequence[Any]] = [(pick(row),) for row in rows]
    else:
        picked = [pick(row) for row in rows]
    if not typed:
        return picked
    out: list[Sequence[Any]] = []
    for value in picked:
        changed = list(value)
        for i, process in typed:
            if changed[i] is not None:
                changed[i] = process(changed[i])
        out.append(changed)
    return out


_UNFLUSHED = "row_writers_unflushed"


def _unflushed(session: Session) -> set[RowWriter]:
    found: set[RowWriter] = session.info.setdefault(_UNFLUSHED, set())
    return found


@event.listens_for(Session, "before_commit")
def _refuse_unflushed_rows(session: Session) -> None:
    # Rows a RowWriter holds are not in the database yet: committing would lose them.
    if session.info.get(_UNFLUSHED):
        session.info[_UNFLUSHED] = set()
        raise RuntimeError("rows given to a RowWriter were never flushed")


@event.listens_for(Session, "after_rollback")
def _forget_unflushed_rows(session: Session) -> None:
    session.info.pop(_UNFLUSHED, None)
