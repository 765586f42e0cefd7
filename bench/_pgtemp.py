"""A temporary PostgreSQL database for a benchmark: created beside a maintenance
database, yielded as a URL, dropped (WITH FORCE) afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temporary_database(prefix: str, admin_url: str = ADMIN_URL) -> Iterator[str | None]:
    """The URL of a new database, or None (printed why) when no server answers."""
    from sqlalchemy import create_engine, make_url, text

    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - no server: skip the PostgreSQL half
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {str(error).splitlines()[0]}")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
