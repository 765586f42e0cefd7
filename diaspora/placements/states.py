"""The three state machines (requests, shortlist entries, assignments) and optimistic locking.

Each machine is one table of allowed moves with the roles that may make them; services ask
`MACHINE.check(current, target, actor)` and pages ask `MACHINE.moves_for(current, actor)`
to decide which buttons to show, so no rule is written twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from diaspora.accounts.models import Role, User
from diaspora.errors import Conflict, InvalidTransition

STAFF, INSTITUTION, MEMBER = "staff", "institution", "member"
ROLE_NAMES = {STAFF: "staff", INSTITUTION: "the institution", MEMBER: "the member"}


def party(actor: User | None) -> str:
    """The role a user acts in for the state machines (admins act as staff; None is the system)."""
    if actor is None or actor.role in (Role.staff, Role.admin):
        return STAFF
    return str(actor.role)


@dataclass(frozen=True, slots=True)
class Move:
    """One allowed transition: from `source` to `target`, by any of `roles`."""

    source: str
    target: str
    roles: frozenset[str]
    label: str
    reason_required: bool = False


def _moves(
    *rows: tuple[str | tuple[str, ...], str, str | tuple[str, ...], str, bool],
) -> list[Move]:
    out: list[Move] = []
    for sources, target, roles, label, reason in rows:
        for source in (sources,) if isinstance(sources, str) else sources:
            out.append(
                Move(
                    source=source,
                    target=target,
                    roles=frozenset((roles,) if isinstance(roles, str) else roles),
                    label=label,
                    reason_required=reason,
                )
            )
    return out


class Machine:
    """A table of moves with lookup by (source, target) and by (source, role)."""

    def __init__(self, entity: str, states: Iterable[str], moves: list[Move]) -> None:
        self.entity = entity
        self.states = tuple(states)
        self.moves = tuple(moves)
        self._by_pair = {(m.source, m.target): m for m in moves}
        for m in moves:
            if m.source not in self.states or m.target not in self.states:
                raise ValueError(f"{entity}: unknown state in {m}")

    def check(self, current: str, target: str, actor: User | None) -> Move:
        """The move from `current` to `target` if `actor` may make it; else InvalidTransition."""
        if target not in self.states:
            raise InvalidTransition(
                f"Unknown {self.entity} status {target!r}; expected one of {', '.join(self.states)}."
            )
        move = self._by_pair.get((current, target))
        if move is None:
            raise InvalidTransition(
                f"A {self.entity} that is {current.replace('_', ' ')} cannot become "
                f"{target.replace('_', ' ')}."
            )
        role = party(actor)
        if role not in move.roles:
            who = " or ".join(sorted(ROLE_NAMES[r] for r in move.roles))
            raise InvalidTransition(
                f"Only {who} can move a {self.entity} from {current.replace('_', ' ')} to "
                f"{target.replace('_', ' ')}."
            )
        return move

    def moves_for(self, current: str, actor: User | None) -> list[Move]:
        """The moves `actor` may make from `current`, in table order (for buttons)."""
        role = party(actor)
        return [m for m in self.moves if m.source == current and role in m.roles]


REQUEST_STATES = ("draft", "submitted", "approved", "filled", "closed", "rejected")
REQUESTS = Machine(
    "request",
    REQUEST_STATES,
    _moves(
        ("draft", "submitted", (INSTITUTION, STAFF), "Submit for review", False),
        ("submitted", "approved", STAFF, "Approve (open)", False),
        ("submitted", "rejected", STAFF, "Reject", True),
        ("submitted", "draft", STAFF, "Send back for changes", True),
        (("draft", "submitted"), "closed", (INSTITUTION, STAFF), "Withdraw", True),
        ("approved", "filled", STAFF, "Mark filled", False),
        ("approved", "closed", STAFF, "Close", True),
        ("filled", "approved", STAFF, "Reopen", True),
        ("filled", "closed", STAFF, "Close", False),
    ),
)

SHORTLIST_STATES = ("suggested", "shortlisted", "contacted", "interested", "declined", "dismissed")
SHORTLIST = Machine(
    "shortlist entry",
    SHORTLIST_STATES,
    _moves(
        (("suggested", "dismissed"), "shortlisted", STAFF, "Shortlist", False),
        (("suggested", "shortlisted"), "contacted", STAFF, "Contact", False),
        (
            ("suggested", "shortlisted", "contacted", "interested", "declined"),
            "dismissed",
            STAFF,
            "Dismiss",
            False,
        ),
        # A member never learns that staff dismissed them: their answer is taken as new
        # information, and staff may dismiss again.
        (
            ("suggested", "shortlisted", "contacted", "declined", "dismissed"),
            "interested",
            MEMBER,
            "I am interested",
            False,
        ),
        (
            ("suggested", "shortlisted", "contacted", "interested", "dismissed"),
            "declined",
            MEMBER,
            "Not for me",
            False,
        ),
    ),
)

ASSIGNMENT_STATES = (
    "proposed",
    "approved",
    "accepted",
    "in_progress",
    "completed",
    "cancelled",
    "declined",
)
ASSIGNMENTS = Machine(
    "assignment",
    ASSIGNMENT_STATES,
    _moves(
        ("proposed", "approved", STAFF, "Approve", False),
        ("approved", "accepted", MEMBER, "Accept", False),
        (("proposed", "approved"), "declined", MEMBER, "Decline", True),
        ("accepted", "in_progress", STAFF, "Start", False),
        ("in_progress", "completed", STAFF, "Complete", False),
        (("proposed", "approved", "accepted", "in_progress"), "cancelled", STAFF, "Cancel", True),
    ),
)

# Shortlist entries staff or the institution may propose for an assignment.
PROPOSABLE = ("shortlisted", "contacted", "interested")
# Assignments that hold a position (and release identity when consented).
HOLDS_POSITION = ("accepted", "in_progress", "completed")
ACTIVE_ASSIGNMENT = ("proposed", "approved", "accepted", "in_progress")
RELEASED = ("approved", "accepted", "in_progress", "completed")


def claim(session: Session, model: Any, record_id: int, expected_version: int, what: str) -> None:
    """Bump `version` only if it is still `expected_version`; otherwise Conflict, nothing applied.

    The guarded UPDATE is the lock: on PostgreSQL a second writer waits for the row and then
    matches no row; on SQLite the writer lock serialises the two the same way.
    """
    table = model.__table__
    result = session.connection().execute(
        update(table)
        .where(table.c.id == record_id, table.c.version == expected_version)
        .values(version=table.c.version + 1)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict(
            f"This {what} was changed by someone else since you opened it; reload it and try again."
        )


def save_changes(
    session: Session,
    *,
    actor: User,
    obj: Any,
    values: dict[str, Any],
    expected_version: int,
    entity: str,
) -> Any:
    """Apply validated `values` to a versioned record under `claim`, audit the changed field
    names (never their values) and commit."""
    from diaspora.audit.service import record
    from diaspora.common import utcnow

    changed = sorted(k for k, v in values.items() if getattr(obj, k) != v)
    claim(session, type(obj), obj.id, expected_version, entity)
    session.refresh(obj)
    for key in changed:
        setattr(obj, key, values[key])
    obj.updated_at = utcnow()
    session.add(obj)
    record(
        session=session,
        actor=actor,
        action=f"{entity}.update",
        entity=entity,
        entity_id=obj.id,
        details={"fields": changed},
    )
    session.commit()
    return obj
