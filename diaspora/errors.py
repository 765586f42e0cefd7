"""Domain exceptions raised by services; `web/` maps them to HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it exists."""


class Forbidden(DomainError):
    """The actor is known but may not do this."""


class Unauthorized(DomainError):
    """No valid credentials were given."""


class InvalidTransition(DomainError):
    """A state machine refused a move from the current state."""


class Conflict(DomainError):
    """The record changed since the actor read it (optimistic locking), or a duplicate."""


class RateLimited(DomainError):
    """Too many attempts; try again later."""


class ValidationFailed(DomainError):
    """Input broke one or more rules; `errors` maps a field name to what is expected."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
