"""Roles as lists of verbs; every service asks `require(actor, verb)` before acting."""

from __future__ import annotations

from diaspora.accounts.models import Role, User
from diaspora.errors import Forbidden, Unauthorized

MEMBER_VERBS = {
    "profile.own",
    "survey.answer",
    "opportunity.list",
    "assignment.own",
}
INSTITUTION_VERBS = {
    "request.create",
    "request.own",
    "shortlist.pseudonymised",
    "assignment.institution",
    "dashboard.suppressed",
}
STAFF_VERBS = {
    "survey.answer",
    "survey.design",
    "response.review",
    "member.read",
    "request.review",
    "request.all",
    "shortlist.curate",
    "assignment.manage",
    "assignment.institution",
    "dashboard.exact",
    "outbox.read",
    "report.read",
    "user.create_limited",
    "audit.read",
}
ADMIN_VERBS = STAFF_VERBS | {"user.manage", "programme.manage", "institution.manage"}
ADMIN_VERBS |= {"privacy.manage", "retention.manage"}  # notices, retention periods, purges

ROLE_VERBS: dict[str, frozenset[str]] = {
    Role.member: frozenset(MEMBER_VERBS),
    Role.institution: frozenset(INSTITUTION_VERBS),
    Role.staff: frozenset(STAFF_VERBS),
    Role.admin: frozenset(ADMIN_VERBS),
}


def can(actor: User | None, verb: str) -> bool:
    """Whether `actor` holds `verb`."""
    return actor is not None and actor.is_active and verb in ROLE_VERBS.get(actor.role, frozenset())


def require(actor: User | None, verb: str) -> User:
    """Return the actor if it holds `verb`; otherwise raise Unauthorized/Forbidden."""
    if actor is None:
        raise Unauthorized("Please sign in.")
    if not can(actor, verb):
        raise Forbidden("You are not allowed to do this.")
    return actor


def is_staff(actor: User | None) -> bool:
    """Staff and admins see everything, audited."""
    return actor is not None and actor.role in (Role.staff, Role.admin)
