"""The `diaspora` command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer
from rich.console import Console

from diaspora.config import InsecureConfiguration, Settings, get_settings
from diaspora.db import make_engine, session_scope
from diaspora.errors import DomainError, ValidationFailed

app = typer.Typer(
    help="diaspora: map a diaspora and mobilise its skills.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _settings(db: Path | None = None) -> Settings:
    settings = get_settings()
    if db is not None:
        settings = settings.model_copy(update={"sqlite_path": db, "database_url": ""})
    return settings


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the schema migrations to DATABASE_URL (or the SQLite file)."""
    from diaspora.migrate import upgrade

    settings = _settings()
    upgrade(make_engine(settings.resolved_database_url), revision)
    out.print(f"database at revision {revision}: {settings.resolved_database_url.split('@')[-1]}")


@users_app.command("create")
def users_create(
    email: str,
    role: str = typer.Option(..., "--role", help="member | institution | staff | admin"),
    institution: int | None = typer.Option(
        None, "--institution", help="Institution id (institution users)."
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        help="Initial password; prompted if omitted.",
        envvar="DIASPORA_NEW_PASSWORD",
    ),
    name: str = typer.Option("", "--name"),
) -> None:
    """Create an account."""
    from diaspora.accounts import service as accounts

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(make_engine(_settings().resolved_database_url)) as session:
        try:
            user = accounts.create_user(
                session=session,
                actor=None,
                email=email,
                password=password,
                role=role,
                institution_id=institution,
                display_name=name,
            )
        except ValidationFailed as exc:
            fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
            return
    out.print(f"created user {user.id} {user.email} ({user.role})")


@users_app.command("token")
def users_token(
    email: str,
    name: str = typer.Option("cli", "--name", help="What the token is for (shown in lists)."),
    days: int | None = typer.Option(
        None, "--days", help="Days until it expires (default DIASPORA_TOKEN_DAYS, 90)."
    ),
) -> None:
    """Issue a personal access token for API clients (printed once)."""
    from diaspora.accounts import service as accounts

    settings = _settings()
    with session_scope(make_engine(settings.resolved_database_url)) as session:
        user = accounts.get_by_email(session=session, email=email)
        if user is None or not user.is_active:
            fail(f"no active user with email {email}")
            return
        try:
            token = accounts.issue_token(
                session=session,
                user=user,
                name=name,
                days=days if days is not None else settings.token_days,
            )
        except ValidationFailed as exc:
            fail("; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
            return
    out.print(token, highlight=False)


@users_app.command("tokens")
def users_tokens(email: str) -> None:
    """List the personal access tokens of an account (never their values)."""
    from diaspora.accounts import service as accounts

    with session_scope(make_engine(_settings().resolved_database_url)) as session:
        user = accounts.get_by_email(session=session, email=email)
        if user is None:
            fail(f"no user with email {email}")
            return
        tokens = accounts.list_tokens(session=session, actor=None, user_id=user.id)
        if not tokens:
            out.print(f"{email} has no tokens")
        for t in tokens:
            state = "revoked" if t.revoked_at else "active"
            expires = t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never"
            used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
            out.print(
                f"{t.id:>6}  {t.name:24}  {state:8}  expires {expires}  last used {used}",
                highlight=False,
                markup=False,  # names are the owner's text: "[" is not a style here
            )


@users_app.command("revoke-token")
def users_revoke_token(token_id: int = typer.Argument(..., min=1, max=2**63 - 1)) -> None:
    """Revoke one personal access token by its id (see `diaspora users tokens EMAIL`)."""
    from diaspora.accounts import service as accounts

    with session_scope(make_engine(_settings().resolved_database_url)) as session:
        tok = accounts.revoke_token(session=session, actor=None, token_id=token_id)
    out.print(f"token {tok.id} ({tok.name}) revoked", markup=False, highlight=False)


outbox_app = typer.Typer(help="Outgoing messages.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("deliver")
def outbox_deliver(
    loop: int = typer.Option(0, "--loop", help="Keep running, checking every N seconds (0: once)."),
) -> None:
    """Send queued messages by SMTP (DIASPORA_SMTP_HOST); without it, in dev/demo, write them
    to the mail folder (DIASPORA_MAIL_DIR)."""
    import time

    from diaspora.outbox.service import deliver_pending

    settings = _settings()
    engine = make_engine(settings.resolved_database_url)
    while True:
        with session_scope(engine) as session:
            sent = deliver_pending(session=session, settings=settings)
        where = "sent" if settings.smtp_host else f"delivered to {settings.resolved_mail_dir}"
        if not settings.smtp_host and settings.environment == "production":
            where = "logged (no SMTP: messages with links are held)"
        out.print(f"{sent} message(s) {where}")
        if loop <= 0:
            return
        time.sleep(loop)


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run uvicorn on the web app named by `settings.asgi_app` (the core never imports `web`)."""
    import uvicorn

    try:
        settings.check_safe()
    except InsecureConfiguration as exc:
        fail(str(exc))
        return
    # The app factory reads settings from the environment in the server process.
    os.environ["DIASPORA_ENVIRONMENT"] = settings.environment
    os.environ["DIASPORA_BASE_URL"] = settings.base_url
    if not settings.database_url:
        os.environ["DIASPORA_SQLITE_PATH"] = str(settings.sqlite_path)
    if settings.mail_dir is not None:
        os.environ["DIASPORA_MAIL_DIR"] = str(settings.mail_dir)
    get_settings.cache_clear()
    uvicorn.run(
        settings.asgi_app,
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        workers=workers,
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (one per core is plenty)."
    ),
) -> None:
    """Serve the web app (migrate first with `diaspora db upgrade`)."""
    settings = _settings()
    if settings.environment == "dev" and host not in LOOPBACK:
        # "dev" (the default) allows the development secret and cookies without Secure: fine
        # on one's own machine, a hole on a network. An operator who forgot the setting
        # finds out here instead of in an incident report.
        fail(
            f"refusing to serve the dev environment on {host}: set "
            "DIASPORA_ENVIRONMENT=production (with DIASPORA_SECRET_KEY) to serve on a network, "
            "or use --host 127.0.0.1"
        )
    out.print(f"diaspora serving on http://{host}:{port}/")
    _serve(settings, host, port, workers)


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    db: Path = typer.Option(
        Path("diaspora-demo.db"), "--db", help="SQLite file (created or reused)."
    ),
    load_only: bool = typer.Option(
        False, "--load-only", help="Create and load the database, do not serve."
    ),
) -> None:
    """Create (or reuse) a demo SQLite database with sample data, and serve it."""
    from diaspora.migrate import upgrade
    from sample_data.demo import DEMO_LOGINS, load_demo

    password = os.environ.get("DIASPORA_DEMO_PASSWORD") or "demo-" + secrets.token_urlsafe(6)
    base = get_settings()
    settings = base.model_copy(
        update={
            "sqlite_path": db,
            "database_url": "",
            "environment": "demo" if base.environment != "production" else "production",
            "base_url": f"http://{host}:{port}",
        }
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        created = load_demo(session=session, password=password, esco_path=settings.esco_path)
    if not created:
        # Reused database: make the printed password true for the demo accounts.
        with session_scope(engine) as session:
            from sample_data.demo import reset_demo_passwords

            reset_demo_passwords(session=session, password=password)
    out.print(f"\n[bold]diaspora demo[/bold] — database {db.resolve()}")
    if not settings.smtp_host:
        out.print(
            f"Mail (password reset, confirmation links…): {settings.resolved_mail_dir.resolve()}"
        )
    out.print(f"Open [bold]http://{host}:{port}/[/bold] and sign in as:")
    for email, what in DEMO_LOGINS:
        out.print(f"  {email:28} {what}")
    out.print(
        f"Password for all: [bold]{password}[/bold]  (set DIASPORA_DEMO_PASSWORD to choose it)\n",
        highlight=False,
    )
    if not load_only:
        _serve(settings, host, port)


def _register_optional() -> None:
    """Sub-commands that live next to their domain."""
    for module, attr, name in (
        ("diaspora.match_cli", "match_app", "match"),
        ("diaspora.survey_cli", "survey_app", "survey"),
        ("diaspora.taxonomy.cli", "taxonomy_app", "taxonomy"),
        ("diaspora.retention.cli", "retention_app", "retention"),
    ):
        try:
            sub = getattr(__import__(module, fromlist=[attr]), attr)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.add_typer(sub, name=name)


_register_optional()


def main() -> None:
    try:
        app()
    except DomainError as exc:
        fail(exc.message)


if __name__ == "__main__":
    main()
