"""Runtime settings, read from the environment (prefix DIASPORA_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-diaspora-dev-secret"  # noqa: S105 - refused outside demo/dev


class InsecureConfiguration(RuntimeError):
    """The settings are unsafe for the chosen environment."""


class Settings(BaseSettings):
    """Everything the app, the CLI and the tests need to know about their environment."""

    model_config = SettingsConfigDict(env_prefix="DIASPORA_", env_file=None, extra="ignore")

    environment: Literal["production", "dev", "demo", "test"] = "dev"
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "DIASPORA_DATABASE_URL"),
    )
    sqlite_path: Path = Path("diaspora.db")
    secret_key: str = DEFAULT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "en"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "diaspora@localhost"
    smtp_starttls: bool = True
    session_hours: int = 12
    max_upload_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = 2 * 1024 * 1024
    # Survey uploads: one file, and all the files of one response.  A survey page with
    # file questions may post up to max_response_attachment_bytes + max_body_bytes (all
    # the files at once), so files over these limits get field errors, not a 413.
    max_attachment_bytes: int = 5 * 1024 * 1024
    max_response_attachment_bytes: int = 20 * 1024 * 1024
    # Sign-in: after `login_max_failures` failures for one account from one address (or
    # `login_address_max_failures` from one address for any accounts) within the window,
    # that address waits before its next try, twice as long after each further failure
    # (at most `login_max_delay_seconds`). Nobody is locked out: the right password from
    # another address still works.
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    # Failures for one account from anywhere, after which addresses that never signed in
    # to it successfully wait too (guesses spread over many addresses).
    login_account_max_failures: int = 50
    login_window_minutes: int = 15
    login_max_delay_seconds: int = 900
    # Registration and forgot-password, per hour: per email (answered as if sent) and per
    # client address (answered 429).
    register_per_email_hour: int = 3
    register_per_address_hour: int = 10
    forgot_per_email_hour: int = 3
    forgot_per_address_hour: int = 20
    # Personal access tokens expire after this many days unless issued with another term.
    token_days: int = 90
    esco_path: Path | None = None
    # None: True outside dev/demo/test. Production refuses insecure cookies unless
    # allow_insecure_cookies is set (e.g. a private network without TLS, knowingly).
    secure_cookies: bool | None = None
    allow_insecure_cookies: bool = False
    # Without SMTP, in dev/demo/test, delivered mail is written as .eml files here (default:
    # a folder beside the SQLite database), never to the database or a page.
    mail_dir: Path | None = None
    # `diaspora serve`/`demo` deliver the outbox every N seconds in a background thread
    # (0: never; then run `diaspora outbox deliver --loop N`). Tests deliver explicitly.
    outbox_interval_seconds: float = 5.0
    asgi_app: str = "web:create_app"

    @model_validator(mode="after")
    def _default_secure_cookies(self) -> Settings:
        if self.secure_cookies is None:
            self.secure_cookies = self.environment not in ("dev", "demo", "test")
        return self

    @property
    def resolved_mail_dir(self) -> Path:
        """Where the local mail sink writes (dev/demo/test without SMTP)."""
        if self.mail_dir is not None:
            return self.mail_dir
        return self.sqlite_path.with_name(self.sqlite_path.stem + "-mail")

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, or a SQLite file in the working directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def check_safe(self) -> None:
        """Refuse to run anything but a demo or a developer's machine with the default secret."""
        if self.environment in ("dev", "demo"):
            return
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise InsecureConfiguration(
                "DIASPORA_SECRET_KEY must be set to a random value of at least 32 characters "
                f"when DIASPORA_ENVIRONMENT={self.environment}"
            )
        if (
            self.environment == "production"
            and not self.secure_cookies
            and not self.allow_insecure_cookies
        ):
            raise InsecureConfiguration(
                "DIASPORA_SECURE_COOKIES=false in production would send the session cookie "
                "over plain HTTP. Serve over HTTPS and leave it on, or set "
                "DIASPORA_ALLOW_INSECURE_COOKIES=true to run without it knowingly."
            )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
