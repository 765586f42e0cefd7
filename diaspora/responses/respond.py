"""Answering a survey: drafts saved page by page, resume links, submission, API answers.

A member has at most one draft per survey, pinned to the version it started on; each
page save stores what the engine's `prepare_answers` keeps (answers that no longer
apply are dropped, calculations computed).  Submitting runs `validate_all` and the
member profile's own checks first, then updates the profile and consents and marks
the response submitted, all in one transaction.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from diaspora.accounts.models import Role, User
from diaspora.accounts.permissions import is_staff, require
from diaspora.accounts.service import over_limit
from diaspora.audit.models import AuditEvent
from diaspora.audit.service import record
from diaspora.common import new_token, token_hash, utcnow
from diaspora.consent import service as consent
from diaspora.consent.models import Channel
from diaspora.db import RowWriter
from diaspora.errors import Conflict, InvalidTransition, NotFound, RateLimited, ValidationFailed
from diaspora.members import service as members
from diaspora.members.models import MemberIdentity, MemberProfile
from diaspora.outbox.service import SECRET, enqueue
from diaspora.responses import attachments, consents
from diaspora.responses import form as pageform
from diaspora.responses import profile as bridge
from diaspora.responses.definitions import load_definition
from diaspora.responses.models import (
    Response,
    ResponseStatus,
    Source,
    Survey,
    SurveyVersion,
    VersionStatus,
)
from diaspora.responses.service import respondent_survey
from surveys import Definition, coerce_answers, pages, prepare_answers, validate_all, validate_page

RESUME_DAYS = 7
RESUME_LINKS_PER_HOUR = 5
# SQLite lets one connection write at a time and makes the others wait in its busy
# handler, which sleeps with a growing back-off: under a burst of submissions the tail
# latency explodes.  Threads of one process queue on this lock instead (fair, no sleep),
# and processes (server workers, import workers) on a lock file beside the database;
# PostgreSQL needs no such thing.
_SQLITE_WRITES = threading.Lock()
_LOCK_FILES: dict[tuple[int, str], int] = {}  # (process id, database path) -> open lock file
MAX_EXTERNAL_ID = 100
Move = Literal["next", "back", "stay", "review"]


@dataclass(slots=True)
class PageSave:
    """The outcome of saving one page: where to go next, or the errors to show."""

    response: Response
    errors: dict[str, str]
    answers: dict[str, Any]
    target: int | None  # the page to show next; None means the review page
    definition: Definition = field(repr=False)


# --------------------------------------------------------------------------- helpers


def _own_profile(session: Session, actor: User) -> MemberProfile:
    require(actor, "survey.answer")
    if actor.role != Role.member:
        raise NotFound("Only members answer the survey in the app.")
    profile = session.exec(select(MemberProfile).where(MemberProfile.user_id == actor.id)).first()
    if profile is None:
        profile = members.create_profile_for(session=session, user=actor)
    return profile


def _owns(response: Response, actor: User) -> bool:
    return response.user_id is not None and response.user_id == actor.id


def _own_draft(session: Session, actor: User, response_id: int) -> Response:
    require(actor, "survey.answer")
    response = session.get(Response, response_id)
    if response is None or not _owns(response, actor):
        raise NotFound("No such survey response.")
    if response.status != ResponseStatus.draft:
        raise InvalidTransition("This survey response is already submitted.")
    return response


@contextmanager
def serialised_writes(session: Session) -> Iterator[None]:
    """Hold the SQLite write lock around a write transaction: this process's, then the
    database's lock file (no-op on other databases)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITES:
        lock = _lock_file(bind.engine.url.database or "")
        if lock is None:
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _lock_file(database: str) -> int | None:
    """This process's descriptor of the database's writer lock file (None: in memory).

    Keyed by process id: a forked child must open its own, as a descriptor it inherited
    shares the parent's lock."""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    key = (os.getpid(), database)
    found = _LOCK_FILES.get(key)
    if found is None:
        found = _LOCK_FILES[key] = os.open(
            f"{database}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600
        )
    return found


def current_draft(*, session: Session, actor: User) -> Response | None:
    """The member's most recently touched draft, if any."""
    require(actor, "survey.answer")
    return session.exec(
        select(Response)
        .where(Response.user_id == actor.id, Response.status == ResponseStatus.draft)
        .order_by(col(Response.updated_at).desc(), col(Response.id).desc())
    ).first()


def last_submitted(*, session: Session, actor: User) -> Response | None:
    """The member's most recent submitted response, if any."""
    return session.exec(
        select(Response)
        .where(Response.user_id == actor.id, Response.status == ResponseStatus.submitted)
        .order_by(col(Response.submitted_at).desc(), col(Response.id).desc())
    ).first()


def definition_for(*, session: Session, response: Response) -> Definition:
    """The definition of the version a response is pinned to."""
    return load_definition(session, response.version_id)


# --------------------------------------------------------------------------- drafts


def start(*, session: Session, actor: User, restart: bool = False) -> Response:
    """The member's draft of the respondent survey, created (pinned to the current version)
    when there is none; with `restart`, a fresh draft on the current version."""
    profile = _own_profile(session, actor)
    found = respondent_survey(session=session)
    if found is None:
        raise NotFound("No survey is open for answers at the moment.")
    survey, version = found
    draft = session.exec(
        select(Response).where(
            Response.user_id == actor.id,
            Response.survey_id == survey.id,
            Response.status == ResponseStatus.draft,
        )
    ).first()
    if draft is not None and not restart:
        return draft
    if draft is not None:
        session.delete(draft)
        record(
            session=session,
            actor=actor,
            action="response.discard",
            entity="response",
            entity_id=draft.id,
        )
    answers: dict[str, Any] = {}
    previous = last_submitted(session=session, actor=actor)
    if previous is not None and previous.version_id == version.id and previous.answers:
        # Answering again starts from the last answers, so updating is quick.
        answers = dict(previous.answers)
    # Consent questions say what the member holds *now*, never an older answer: else
    # submitting would give back a purpose withdrawn on the profile page since.
    held = consent.state(session=session, member_id=profile.id or 0, every=bool(answers))
    if held:
        answers = consents.with_consents(load_definition(session, version.id or 0), answers, held)
    response = Response(
        survey_id=survey.id or 0,
        version_id=version.id or 0,
        member_id=profile.id,
        user_id=actor.id,
        answers=answers,
        status=ResponseStatus.draft,
        source=Source.web,
    )
    session.add(response)
    session.flush()
    if answers:
        # The answers name the last response's files: the draft gets its own copies, so
        # submitting it without touching those pages keeps them.
        definition = definition_for(session=session, response=response)
        attachments.reconcile(
            session=session, actor=actor, response=response, definition=definition
        )
    record(
        session=session,
        actor=actor,
        action="response.start",
        entity="response",
        entity_id=response.id,
        details={"survey_id": survey.id, "version_id": version.id},
    )
    session.commit()
    return response


def get_draft(*, session: Session, actor: User, response_id: int) -> Response:
    """One of the member's own drafts."""
    return _own_draft(session, actor, response_id)


def save_page(
    *,
    session: Session,
    actor: User,
    response_id: int,
    page_index: int,
    form: Mapping[str, Any],
    move: Move = "next",
    language: str | None = None,
    expected_version: int | None = None,
    keep_page: bool = False,
    limits: attachments.Limits | None = None,
) -> PageSave:
    """Store one page's answers (always, so nothing typed correctly is lost) and decide
    where to go: "next"/"review" validate the page first; "back"/"stay" do not.

    `keep_page` leaves the resume point alone (background saves while typing).  Files
    posted as `attachments.Upload` values are stored within `limits`; a refused file is
    an error at its question, which keeps the file it had.
    """
    response = _own_draft(session, actor, response_id)
    if expected_version is not None and expected_version != response.version:
        raise Conflict("This survey was changed in another window; reload the page.")
    definition = load_definition(session, response.version_id)
    page_list = pages(definition)
    if not 0 <= page_index < len(page_list):
        raise NotFound("No such page.")
    owned = pageform.page_names(page_list[page_index])
    repeats = {
        node.name for node in page_list[page_index].nodes if getattr(node, "kind", "") == "repeat"
    }
    posted = {k: v for k, v in form.items() if pageform.top_name(k) in owned}
    posted, unread = pageform.combine_inputs(definition, posted, language=language)
    posted, refused = attachments.accept(
        session=session,
        actor=actor,
        response=response,
        definition=definition,
        form=posted,
        limits=limits or attachments.Limits(),
        language=language,
    )
    typed, errors = coerce_answers(definition, posted, language=language)
    errors = {**unread, **refused, **errors}
    typed = pageform.drop_blank_instances(typed, repeats)
    merged = {k: v for k, v in (response.answers or {}).items() if k not in owned}
    merged.update({k: v for k, v in typed.items() if k in owned})
    _keep_unreadable(merged, response.answers or {}, errors)
    if move in ("next", "review"):
        errors = {**validate_page(definition, merged, page_index, language=language), **errors}
    stored = prepare_answers(definition, merged)
    target: int | None = page_index
    if not errors:
        if move == "next":
            target = pageform.next_page(definition, stored, page_index)
        elif move == "back":
            target = pageform.previous_page(definition, stored, page_index)
            target = page_index if target is None else target
        elif move == "review":
            target = None
    response.answers = stored
    attachments.reconcile(session=session, actor=actor, response=response, definition=definition)
    if not keep_page:
        response.current_page = len(page_list) if target is None else target
    response.updated_at = utcnow()
    response.version += 1
    session.add(response)
    record(
        session=session,
        actor=actor,
        action="response.save",
        entity="response",
        entity_id=response.id,
        details={"page": page_index, "errors": len(errors)},
    )
    session.commit()
    return PageSave(response, errors, merged, target, definition)


def _keep_unreadable(
    merged: dict[str, Any], saved: Mapping[str, Any], errors: Mapping[str, str]
) -> None:
    """Where a typed value cannot be read ("abc" for a year), keep the answer saved before:
    the page shows what was typed with its error, and the draft loses nothing."""
    for path in errors:
        top, _, rest = path.partition("[")
        if not rest:
            if path in saved and path not in merged:
                merged[path] = saved[path]
            continue
        index_text, _, name = rest.partition("].")
        old, new = saved.get(top), merged.get(top)
        if not (index_text.isdigit() and "." not in name and "[" not in name):
            continue
        index = int(index_text)
        if isinstance(old, list) and isinstance(new, list) and index < min(len(old), len(new)):
            before, after = old[index], new[index]
            if isinstance(before, Mapping) and isinstance(after, dict) and name in before:
                after.setdefault(name, before[name])


def submission_errors(
    definition: Definition, answers: Mapping[str, Any], *, language: str | None = None
) -> dict[str, str]:
    """Everything that stops a submission: the engine's checks, then the profile's."""
    errors = validate_all(definition, answers, language=language)
    if errors:
        return errors
    return bridge.profile_errors(definition, answers, language=language)


def submit(
    *, session: Session, actor: User, response_id: int, language: str | None = None
) -> Response:
    """Submit the member's draft: profile and consents updated in the same transaction."""
    response = _own_draft(session, actor, response_id)
    definition = load_definition(session, response.version_id)
    answers = prepare_answers(definition, response.answers or {})
    errors = submission_errors(definition, answers, language=language)
    if errors:
        raise ValidationFailed(errors, "Some answers need your attention before submitting.")
    bridge.apply(
        session=session,
        actor=actor,
        definition=definition,
        answers=answers,
        member_id=response.member_id or 0,
        version_id=response.version_id,
        source="survey-web",
        channel=Channel.survey,
    )
    now = utcnow()
    response.answers = answers
    response.status = ResponseStatus.submitted
    response.submitted_at = now
    response.updated_at = now
    response.resume_token_hash = None
    response.resume_expires_at = None
    response.version += 1
    session.add(response)
    record(
        session=session,
        actor=actor,
        action="response.submit",
        entity="response",
        entity_id=response.id,
        details={"version_id": response.version_id, "source": response.source},
    )
    session.commit()
    return response


def discard(*, session: Session, actor: User, response_id: int) -> None:
    """Throw a draft away, with its files."""
    response = _own_draft(session, actor, response_id)
    attachments.delete_for_response(session=session, response_id=response_id)
    session.delete(response)
    record(
        session=session,
        actor=actor,
        action="response.discard",
        entity="response",
        entity_id=response_id,
    )
    session.commit()


# --------------------------------------------------------------------------- resume links


def send_resume_link(*, session: Session, actor: User, response_id: int, base_url: str) -> str:
    """Email the member a link to continue on another device; returns the address used.

    The token is stored hashed, replaces any earlier link, expires after a week, and
    only works for the draft's owner once signed in.
    """
    response = _own_draft(session, actor, response_id)
    identity = session.get(MemberIdentity, response.member_id) if response.member_id else None
    address = actor.email or (identity.email if identity else "")
    if not address:
        raise ValidationFailed({"email": "We have no email address to send the link to."})
    # Each request mails the account's address: without a limit, whoever registered
    # someone else's address (unconfirmed accounts can sign in) could flood that inbox.
    if over_limit(session, "survey.resume", str(actor.id), RESUME_LINKS_PER_HOUR):
        session.commit()
        raise RateLimited(
            "We sent several links in the last hour. Check your mail (and its spam folder) "
            "for the newest one."
        )
    # The token is minted when the message is delivered (mint_resume_token): the outbox
    # row holds a placeholder, so nobody reading the outbox can continue this draft.
    session.add(response)
    enqueue(
        session=session,
        to_address=address,
        to_user_id=actor.id,
        subject="Continue your diaspora survey",
        body=(
            "You asked for a link to continue the survey on another device.\n\n"
            f"{base_url.rstrip('/')}/survey/resume?token={SECRET}\n\n"
            f"Sign in with this email address to continue. The link works for {RESUME_DAYS} days.\n"
            "If you did not ask for it, you can ignore this message."
        ),
        kind="survey.resume",
        secret_kind="survey_resume",
        secret_ref=response.id,
    )
    record(
        session=session,
        actor=actor,
        action="response.resume_link",
        entity="response",
        entity_id=response.id,
    )
    session.commit()
    return address


def mint_resume_token(session: Session, ref_id: int) -> str | None:
    """Outbox minter: a fresh resume token for a draft (replaces any earlier link)."""
    response = session.get(Response, ref_id, populate_existing=True)
    if response is None or response.status != ResponseStatus.draft:
        return None
    token = new_token()
    response.resume_token_hash = token_hash(token)
    response.resume_expires_at = utcnow() + timedelta(days=RESUME_DAYS)
    session.add(response)
    return token


def resume(*, session: Session, actor: User, token: str) -> Response:
    """The draft a resume link points to, for its owner only (anyone else: NotFound)."""
    require(actor, "survey.answer")
    if not token or len(token) > 200:
        raise NotFound("This link is not valid.")
    response = session.exec(
        select(Response).where(Response.resume_token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if (
        response is None
        or not _owns(response, actor)
        or response.status != ResponseStatus.draft
        or response.resume_expires_at is None
        or response.resume_expires_at <= now
    ):
        raise NotFound(
            "This link has expired or is not for this account. Sign in with the account "
            "that asked for it, or continue from your home page."
        )
    response.updated_at = now
    session.add(response)
    record(
        session=session,
        actor=actor,
        action="response.resume",
        entity="response",
        entity_id=response.id,
    )
    session.commit()
    return response


# --------------------------------------------------------------------------- reading


def get(*, session: Session, actor: User, response_id: int) -> Response:
    """A response: its member, or staff (a staff read is audited); others get NotFound."""
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound("No such survey response.")
    if _owns(response, actor):
        return response
    if is_staff(actor):
        record(
            session=session,
            actor=actor,
            action="response.view",
            entity="response",
            entity_id=response_id,
        )
        session.commit()
        return response
    raise NotFound("No such survey response.")


# --------------------------------------------------------------------------- API and imports


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored submission: what an API answer needs."""

    id: int
    status: str


@dataclass(frozen=True, slots=True)
class VersionRef:
    """The few columns of a published version a submission needs (no definition JSON)."""

    survey_id: int
    version_id: int
    number: int
    slug: str
    created_at: datetime


# Built once: constructing the statement costs more than running it (a bound slug).
_PUBLISHED = (
    select(
        SurveyVersion.survey_id,
        SurveyVersion.id,
        SurveyVersion.number,
        SurveyVersion.created_at,
    )
    .join(Survey, col(Survey.id) == col(SurveyVersion.survey_id))
    .where(Survey.slug == bindparam("slug"), SurveyVersion.status == VersionStatus.published)
    .order_by(col(SurveyVersion.number).desc())
)


def published_version(session: Session, slug: str) -> VersionRef:
    """The published version of a survey: a few columns, never the definition or file."""
    row = session.exec(_PUBLISHED, params={"slug": slug}).first()
    if row is None:
        raise NotFound("No such survey, or it is not open for answers.")
    survey_id, version_id, number, created_at = row
    return VersionRef(survey_id, version_id or 0, number, slug, created_at)


def existing(session: Session, source: str, external_id: str) -> Response | None:
    """A response already received from `source` with that external id."""
    return session.exec(
        select(Response).where(Response.source == source, Response.external_id == external_id)
    ).first()


@dataclass(frozen=True, slots=True)
class Incoming:
    """A complete submission for a member who has no account (Kobo, imports, staff)."""

    answers: Mapping[str, Any]
    external_id: str | None = None
    submitted_at: Any = None
    language: str | None = None


def _response_row(
    ref: VersionRef,
    member_id: int,
    user_id: int | None,
    answers: Mapping[str, Any],
    source: str,
    external_id: str | None,
    submitted_at: Any,
    now: datetime,
) -> dict[str, Any]:
    return {
        **bridge.row_defaults(Response),
        "survey_id": ref.survey_id,
        "version_id": ref.version_id,
        "member_id": member_id,
        "user_id": user_id,
        "answers": dict(answers),
        "status": ResponseStatus.submitted.value,
        "source": str(source),
        "external_id": external_id,
        "submitted_at": submitted_at or now,
        "created_at": now,
        "updated_at": now,
    }


def new_members(
    ref: VersionRef, definition: Definition, incoming: Sequence[Incoming]
) -> list[bridge.NewMember | ValidationFailed]:
    """The member rows of each submission, or why the profile refuses it (no database:
    an import prepares them before it takes SQLite's write lock)."""
    now = utcnow()
    prepared: list[bridge.NewMember | ValidationFailed] = []
    for item in incoming:
        try:
            prepared.append(
                bridge.new_member(
                    definition,
                    item.answers,
                    version_id=ref.version_id,
                    now=now,
                    language=item.language,
                )
            )
        except ValidationFailed as refused:
            prepared.append(refused)
    return prepared


def store_new_members(
    *,
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    incoming: Sequence[Incoming],
    source: str,
    prepared: Sequence[bridge.NewMember | ValidationFailed] | None = None,
) -> list[Stored | ValidationFailed]:
    """Store complete submissions (answers already checked by `validate_all`), each with
    a new member profile without an account made from the bindings (`prepared` by
    `new_members`, or here).  One outcome per submission, in order: stored, or refused
    by the profile's checks (nothing written for it).  A few multi-row statements
    whatever their number; the caller commits.
    """
    now = utcnow()
    outcomes: list[Stored | ValidationFailed | None] = []
    accepted: list[tuple[int, Incoming, bridge.NewMember]] = []
    if prepared is None:
        prepared = new_members(ref, definition, incoming)
    for index, (item, member) in enumerate(zip(incoming, prepared, strict=True)):
        if isinstance(member, ValidationFailed):
            outcomes.append(member)
            continue
        outcomes.append(None)
        accepted.append((index, item, member))
    if not accepted:
        return [o for o in outcomes if o is not None]
    audit: list[dict[str, Any]] = []
    responses = bridge.table(model=Response)
    writer = RowWriter(session)
    writer.reserve({bridge.table(model=MemberProfile): len(accepted), responses: len(accepted)})
    member_ids = bridge.insert_members(
        session=session,
        actor=actor,
        new=[member for _, _, member in accepted],
        source=f"survey-{source}",
        now=now,
        audit=audit,
        writer=writer,
        notice_id=bridge.notice_for_version(session, ref.version_id),
    )
    rows = [
        _response_row(
            ref, member_id, None, item.answers, source, item.external_id, item.submitted_at, now
        )
        for member_id, (_, item, _) in zip(member_ids, accepted, strict=True)
    ]
    response_ids = writer.insert(responses, rows, return_ids=True)
    details = {"version_id": ref.version_id, "source": str(source)}
    for response_id, (index, _, _) in zip(response_ids, accepted, strict=True):
        audit.append(
            bridge.audit_row(actor, "response.submit", "response", response_id, details, now)
        )
        outcomes[index] = Stored(response_id, ResponseStatus.submitted.value)
    writer.insert(bridge.table(model=AuditEvent), audit)
    writer.flush()
    return [o for o in outcomes if o is not None]


def store_submission(
    *,
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    answers: Mapping[str, Any],
    source: str,
    external_id: str | None = None,
    submitted_at: Any = None,
    member_user: User | None = None,
    language: str | None = None,
) -> Stored:
    """Store a complete submission (answers already checked by `validate_all`) and update
    its member's profile; without `member_user` a profile without an account is created
    from the bindings (Kobo, staff on behalf).  The caller commits.

    Raises ValidationFailed, before writing anything, when the profile refuses an answer.
    """
    if member_user is None:
        incoming = Incoming(answers, external_id, submitted_at, language)
        (outcome,) = store_new_members(
            session=session,
            actor=actor,
            ref=ref,
            definition=definition,
            incoming=[incoming],
            source=source,
        )
        if isinstance(outcome, ValidationFailed):
            raise outcome
        return outcome
    errors = bridge.profile_errors(definition, answers, language=language)
    if errors:
        raise ValidationFailed(errors, "Some answers are invalid.")
    now = utcnow()
    profile = session.exec(
        select(MemberProfile).where(MemberProfile.user_id == member_user.id)
    ).first() or members.create_profile_for(session=session, user=member_user)
    member_id = profile.id or 0
    bridge.apply(
        session=session,
        actor=actor,
        definition=definition,
        answers=answers,
        member_id=member_id,
        version_id=ref.version_id,
        source=f"survey-{source}",
        # A complete submission through the API is the client's, not an answer the
        # member changed on a form pre-filled with their consents.
        channel=Channel.survey_api if source == Source.web else Channel.import_,
    )
    row = _response_row(
        ref, member_id, member_user.id, answers, source, external_id, submitted_at, now
    )
    responses = bridge.table(model=Response)
    response_id = int(
        session.execute(insert(responses).returning(responses.c.id), row).scalar_one()
    )
    details = {"version_id": ref.version_id, "source": str(source)}
    audit = [bridge.audit_row(actor, "response.submit", "response", response_id, details, now)]
    session.execute(insert(bridge.table(model=AuditEvent)), audit)
    return Stored(response_id, ResponseStatus.submitted.value)


def submit_answers(
    *,
    session: Session,
    actor: User,
    slug: str,
    answers: Any,
    external_id: str | None = None,
    language: str | None = None,
) -> tuple[Response | Stored, bool]:
    """A complete submission over the API: a member's own, or staff's on behalf of someone
    (source "api", idempotent by `external_id`).  Returns (response, created)."""
    require(actor, "survey.answer")
    ref = published_version(session, slug)
    if not isinstance(answers, Mapping):
        raise ValidationFailed({"answers": "expected an object of answers keyed by question name"})
    member = actor if actor.role == Role.member else None
    source = Source.web if member else Source.api
    if external_id is not None:
        if member is not None:
            raise ValidationFailed({"external_id": "only staff imports carry an external id"})
        # A repeated external id is caught by the unique index below; no read needed first.
        external_id = str(external_id).strip()[:MAX_EXTERNAL_ID] or None
    definition = load_definition(session, ref.version_id, ref.created_at)
    errors = validate_all(definition, answers, language=language)
    if errors:
        raise ValidationFailed(errors, "Some answers are invalid.")
    prepared = prepare_answers(definition, answers)
    try:
        with serialised_writes(session):
            response = store_submission(
                session=session,
                actor=actor,
                ref=ref,
                definition=definition,
                answers=prepared,
                source=source,
                external_id=external_id,
                member_user=member,
                language=language,
            )
            session.commit()
    except IntegrityError:
        # The same external id arrived concurrently: answer with the stored one.
        session.rollback()
        found = existing(session, source, external_id) if external_id else None
        if found is None:
            raise
        return found, False
    return response, True
