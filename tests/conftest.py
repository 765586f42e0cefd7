"""Fixtures: a fresh database per test (SQLite in memory, or PostgreSQL when DATABASE_URL
points at one), the ASGI app over it, and clients signed in as each kind of user."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diaspora.accounts.passwords import use_fast_hashing
from diaspora.config import Settings
from diaspora.db import make_engine, metadata, new_session

use_fast_hashing()

PG_URL = os.environ.get("DATABASE_URL", "")
USE_PG = PG_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine | None]:
    """A private database per test run, so parallel runs against one server never collide."""
    if not USE_PG:
        yield None
        return
    from sqlalchemy import create_engine

    name = f"diaspora_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{PG_URL.rsplit('/', 1)[0]}/{name}")
    metadata().create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(_pg_engine: Engine | None) -> Iterator[Engine]:
    if _pg_engine is not None:
        yield _pg_engine
        names = ", ".join(f'"{t.name}"' for t in metadata().sorted_tables)
        with _pg_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    engine = make_engine("sqlite://")
    metadata().create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    s = new_session(engine)
    yield s
    s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        environment="test",
        secret_key="test-secret-" + "x" * 32,
        database_url="sqlite://",
        base_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    from web import create_app

    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def world(session: Session):  # type: ignore[no-untyped-def]
    """alice and bob (members), carol (institution A), dave (institution B), sam (staff), ada (admin)."""
    from tests.factories import build_world

    return build_world(session)


@pytest.fixture
def as_user(app):  # type: ignore[no-untyped-def]
    """A factory of TestClients signed in as a given user (None: anonymous)."""
    from fastapi.testclient import TestClient

    from tests.factories import sign_in

    clients: list[TestClient] = []

    def make(user):  # type: ignore[no-untyped-def]
        c = TestClient(app)
        clients.append(c)
        if user is not None:
            sign_in(app, c, user)
        return c

    yield make
    for c in clients:
        c.close()
