"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from diaspora.db import make_engine, metadata
from diaspora.migrate import upgrade

PG_URL = os.environ.get("DATABASE_URL", "")


def _assert_matches_models(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata()
            )
            tables = set(inspect(conn).get_table_names())
        assert diff == [], f"models and migrations differ: {diff}"
        assert set(metadata().tables) <= tables
        assert "alembic_version" in tables
    finally:
        engine.dispose()


def test_it_upgrades_an_empty_sqlite_database_to_the_models(tmp_path: Path) -> None:
    _assert_matches_models(f"sqlite:///{tmp_path / 'empty.db'}")


def test_it_is_idempotent_on_an_already_migrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    _assert_matches_models(url)
    _assert_matches_models(url)


@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="DATABASE_URL is not PostgreSQL")
def test_it_upgrades_an_empty_postgresql_database_to_the_models() -> None:
    name = f"diaspora_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        base = PG_URL.rsplit("/", 1)[0]
        _assert_matches_models(f"{base}/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
