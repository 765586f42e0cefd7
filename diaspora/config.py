"""Runtime settings, read from the environment (prefix DIASPORA_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
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
    login_max_failures: int = 5
    login_window_minutes: int = 15
    esco_path: Path | None = None
    secure_cookies: bool = False
    asgi_app: str = "web:create_app"

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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
