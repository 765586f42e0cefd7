"""What `members.service.erase` removes beyond the profile: every other trace that names
the member (mail, sign-in records, answers, free text, audit details).

Identity is collected before anything is blanked, then removed in two passes:
- rows that belong to the member (their responses, mail to them, their sessions, tokens,
  login attempts, assignments, shortlist entries) are blanked or deleted outright;
- rows that only *mention* them (mail to others, audit details, staff notes) have the
  member's email, phone and full name replaced by ``[erased]`` wherever they occur, found
  by a search of every text and JSON column of every table; their single first and last
  names are replaced too, but only in rows already found to be about them, because a
  single name alone also belongs to other people whose records must stay intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text, cast, or_, update
from sqlmodel import Session, SQLModel, col, delete, func, select

REDACTED = "[erased]"
# Columns the generic search never rewrites: hashes, codes and the identity tables
# (blanked by the service itself, and where other people's names live).
SKIP_TABLES = {
    "member_identity",
    "user",
    "alembic_version",
    # Immutable or reference data, never about one person.
    "survey_version",
    "privacy_notice",
    "skill_concept",
}
SKIP_COLUMNS = {"token_hash", "password_hash", "resume_token_hash", "contact_token_hash"}


@dataclass
class Identity:
    """What identifies one member, gathered before erasure blanks it."""

    member_id: int
    user_id: int | None
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # single first / last / display names
    phones: set[str] = field(default_factory=set)
    full_names: set[str] = field(default_factory=set)

    def strong(self) -> list[str]:
        """Strings specific enough to search for anywhere."""
        return sorted(
            {s for s in (*self.emails, *self.phones, *self.full_names) if len(s) >= 5},
            key=len,
            reverse=True,
        )

    def all(self) -> list[str]:
        names = {n for n in self.names if len(n) >= 2}
        return sorted({*self.strong(), *names}, key=len, reverse=True)


def collect(session: Session, member_id: int) -> Identity:
    from diaspora.accounts.models import User
    from diaspora.members.models import MemberIdentity, MemberProfile

    profile = session.get(MemberProfile, member_id)
    user = session.get(User, profile.user_id) if profile and profile.user_id else None
    ident = session.get(MemberIdentity, member_id)
    found = Identity(member_id=member_id, user_id=user.id if user else None)
    if user is not None:
        found.emails.add(user.email.strip())
        if user.display_name.strip():
            found.full_names.add(user.display_name.strip())
            found.names.update(user.display_name.split())
    if ident is not None:
        first, last = ident.first_name.strip(), ident.last_name.strip()
        found.emails.add(ident.email.strip())
        found.phones.add(ident.phone.strip())
        found.names.update(n for n in (first, last) if n)
        found.names.update(first.split() + last.split())
        if first and last:
            found.full_names.update({f"{first} {last}", f"{last} {first}", f"{last}, {first}"})
        digits = re.sub(r"\D", "", ident.phone)
        if len(digits) >= 6:
            found.phones.add(digits)
    found.emails.discard("")
    found.phones.discard("")
    return found


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    parts = [re.escape(n) for n in sorted(set(needles), key=len, reverse=True) if n]
    if not parts:
        return None
    # Whole words only, so "Ana" does not eat into "Banana"; emails and phones have
    # non-word edges of their own.
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """`value` with every match replaced, through nested lists and dicts (keys included)."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {scrub(k, pattern): scrub(v, pattern) for k, v in value.items()}
    return value


def _is_json(column: Any) -> bool:
    kind = getattr(column.type, "impl", column.type)
    return isinstance(column.type, JSON) or isinstance(kind, JSON)


def _text_columns(table: Any) -> list[Any]:
    """Text and JSON columns (SQLModel's AutoString is a TypeDecorator over String)."""
    out = []
    for column in table.columns:
        if column.name in SKIP_COLUMNS or column.primary_key:
            continue
        kind = getattr(column.type, "impl", column.type)
        if isinstance(kind, LargeBinary) or isinstance(column.type, LargeBinary):
            continue
        if isinstance(kind, (String, JSON)) or isinstance(column.type, (String, JSON)):
            out.append(column)
    return out


def _json_spelling(needle: str) -> str:
    """`needle` as it appears inside stored JSON text (the serializer escapes non-ASCII),
    lower-cased as the SQL side lower-cases the stored text (ASCII letters only; hex
    digits of escapes are already lower case)."""
    escaped = json.dumps(needle)[1:-1]
    return re.sub(r"[A-Z]", lambda m: m.group().lower(), escaped)


def sweep(session: Session, who: Identity) -> int:
    """Replace the member's strong identifiers (and, in the rows found, their single names)
    in every text and JSON column of every table; returns how many rows changed."""
    strong = who.strong()
    if not strong:
        return 0
    everything = _pattern(who.all())
    changed = 0
    session.flush()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in SKIP_TABLES:
            continue
        columns = _text_columns(table)
        if not columns or not table.primary_key.columns:
            continue
        keys = list(table.primary_key.columns)
        conditions: list[Any] = []
        for column in columns:
            if _is_json(column):
                text = cast(column, Text)
                # JSON is stored with non-ASCII escaped ("Zo\u00eb"): search that spelling
                # too, or no name outside plain ASCII would ever be found there.
                forms = {n.lower() for n in strong} | {_json_spelling(n) for n in strong}
            else:
                text, forms = column, {n.lower() for n in strong}
            # autoescape: a backslash (in escapes), "%" or "_" is matched literally everywhere.
            conditions.extend(
                func.lower(text).contains(form, autoescape=True) for form in sorted(forms)
            )
        rows = session.execute(select(*keys, *columns).where(or_(*conditions))).all()
        for row in rows:
            key_values = row[: len(keys)]
            values = dict(zip((c.name for c in columns), row[len(keys) :], strict=True))
            new = {name: scrub(value, everything) for name, value in values.items()}
            new = {name: value for name, value in new.items() if value != values[name]}
            if not new:
                continue
            where = [k == v for k, v in zip(keys, key_values, strict=True)]
            session.execute(update(table).where(*where).values(**new))
            changed += 1
    return changed


def remove_traces(session: Session, who: Identity) -> None:
    """Blank or delete the rows that belong to the member (the caller commits)."""
    from diaspora.accounts.models import (
        AccessToken,
        EmailVerification,
        LoginAttempt,
        PasswordReset,
        RateEvent,
        UserSession,
    )
    from diaspora.accounts.service import normalise_email, rate_key
    from diaspora.assignments.models import Assignment
    from diaspora.outbox.models import OutboxMessage
    from diaspora.placements.models import ShortlistEntry
    from diaspora.responses.models import Response

    everything = _pattern(who.all())
    member_id = who.member_id
    for response in session.exec(select(Response).where(Response.member_id == member_id)):
        response.answers = {}
        response.review_comment = ""
        response.resume_token_hash = None
        response.resume_expires_at = None
        session.add(response)
    # Mail to the member goes entirely; queued mail is never sent to nobody.
    to_them: list[Any] = []
    if who.emails:
        to_them.append(col(OutboxMessage.to_address).in_(sorted(who.emails)))
    if who.user_id is not None:
        to_them.append(col(OutboxMessage.to_user_id) == who.user_id)
    if to_them:
        for message in session.exec(select(OutboxMessage).where(or_(*to_them))):
            message.to_address = ""
            message.to_user_id = None
            message.subject = REDACTED
            message.body = ""
            message.error = ""
            if message.status in ("queued", "sending"):
                message.status = "cancelled"
            session.add(message)
    # Sign-in records say from where and when the person connected: nothing to keep.
    if who.emails:
        session.exec(
            delete(LoginAttempt).where(
                func.lower(LoginAttempt.email).in_(sorted(e.lower() for e in who.emails))
            )
        )  # type: ignore[call-overload]
    if who.emails:
        # Rate-limit events are keyed on a plain hash of the email (register, forgot
        # password): anyone with the table can test an address against it, so it names them.
        session.exec(
            delete(RateEvent).where(
                col(RateEvent.key_hash).in_(
                    sorted(rate_key(normalise_email(e)) for e in who.emails)
                )
            )
        )  # type: ignore[call-overload]
    if who.user_id is not None:
        for model in (UserSession, AccessToken, PasswordReset, EmailVerification):
            session.exec(delete(model).where(col(model.user_id) == who.user_id))  # type: ignore[call-overload, attr-defined]
    for assignment in session.exec(select(Assignment).where(Assignment.member_id == member_id)):
        # Facts (dates, status, mode, ratings) stay; what the member wrote goes, and the
        # host's text loses their name.
        assignment.member_report = assignment.member_evaluation = ""
        for name in ("status_reason", "travel_details", "outcome_activities", "deliverables"):
            setattr(assignment, name, scrub(getattr(assignment, name), everything))
        assignment.host_evaluation = scrub(assignment.host_evaluation, everything)
        session.add(assignment)
    for entry in session.exec(select(ShortlistEntry).where(ShortlistEntry.member_id == member_id)):
        entry.contact_token_hash = None
        entry.explanation = scrub(entry.explanation, everything)
        session.add(entry)
