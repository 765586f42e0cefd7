"""The command line, as an operator uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from diaspora.accounts.models import User
from diaspora.config import DEFAULT_SECRET, InsecureConfiguration, Settings, get_settings
from diaspora.db import make_engine, new_session

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DIASPORA_SQLITE_PATH", str(db))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _app():  # type: ignore[no-untyped-def]
    from diaspora.cli import app

    return app


def test_it_migrates_creates_users_and_issues_tokens(sqlite_env: Path) -> None:
    assert runner.invoke(_app(), ["db", "upgrade"]).exit_code == 0
    r = runner.invoke(
        _app(),
        ["users", "create", "Ops@Example.org", "--role", "admin", "--password", "a long password"],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(_app(), ["users", "token", "ops@example.org"])
    assert r.exit_code == 0 and r.output.strip().startswith("dpat_")
    with new_session(make_engine(f"sqlite:///{sqlite_env}")) as s:
        assert s.exec(select(User).where(User.email == "ops@example.org")).one().role == "admin"


def test_it_explains_bad_input_without_a_traceback(sqlite_env: Path) -> None:
    runner.invoke(_app(), ["db", "upgrade"])
    r = runner.invoke(
        _app(),
        [
            "users",
            "create",
            "x@example.org",
            "--role",
            "institution",
            "--password",
            "a long password",
        ],
    )
    assert r.exit_code == 1 and "institution_id" in r.output and "Traceback" not in r.output
    r = runner.invoke(_app(), ["users", "create", "bad", "--role", "member", "--password", "short"])
    assert r.exit_code == 1 and "email" in r.output and "password" in r.output
    r = runner.invoke(_app(), ["users", "token", "nobody@example.org"])
    assert r.exit_code == 1 and "no active user" in r.output


def test_it_loads_the_demo_once_and_reuses_it(
    sqlite_env: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DIASPORA_DEMO_PASSWORD", "demo password 1")
    db = tmp_path / "demo.db"
    r = runner.invoke(_app(), ["demo", "--db", str(db), "--load-only"])
    assert r.exit_code == 0, r.output
    for login in (
        "admin@demo.example",
        "staff@demo.example",
        "ministry@demo.example",
        "member@demo.example",
    ):
        assert login in r.output
    assert "demo password 1" in r.output and "http://127.0.0.1:8000/" in r.output
    r2 = runner.invoke(_app(), ["demo", "--db", str(db), "--load-only"])
    assert r2.exit_code == 0
    with new_session(make_engine(f"sqlite:///{db}")) as s:
        assert len(s.exec(select(User).where(User.email == "admin@demo.example")).all()) == 1


def test_it_has_help_on_every_command() -> None:
    for args in (
        ["--help"],
        ["demo", "--help"],
        ["serve", "--help"],
        ["db", "upgrade", "--help"],
        ["users", "create", "--help"],
        ["users", "token", "--help"],
    ):
        r = runner.invoke(_app(), args)
        assert r.exit_code == 0 and "Usage" in r.output, args


def test_it_refuses_the_default_secret_outside_demo_and_dev() -> None:
    with pytest.raises(InsecureConfiguration):
        Settings(environment="production", secret_key=DEFAULT_SECRET).check_safe()
    Settings(environment="demo", secret_key=DEFAULT_SECRET).check_safe()
    Settings(environment="production", secret_key="k" * 40).check_safe()


def test_it_refuses_to_serve_the_dev_environment_on_a_network(
    sqlite_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default environment allows the development secret and insecure cookies.
    monkeypatch.setenv("DIASPORA_ENVIRONMENT", "dev")
    get_settings.cache_clear()
    result = runner.invoke(_app(), ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    assert "DIASPORA_ENVIRONMENT=production" in result.output
