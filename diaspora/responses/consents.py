"""Survey consent questions follow the member's current consents.

A draft (or an "Answer again" copy of the last response) must never carry a consent
answer older than the member's latest choice, otherwise submitting it would silently
undo a withdrawal made on the profile page.  So a draft is pre-filled from the consent
state, and every consent change realigns the member's open drafts: a consent answer in
a draft that differs from the state can only be one the member gave afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from diaspora.responses.definitions import load_definition
from diaspora.responses.models import Response, ResponseStatus
from surveys import Definition
from surveys.bindings import CONSENT_PURPOSES as PURPOSES
from surveys.bindings import consent_answers


def with_consents(
    definition: Definition, answers: Mapping[str, Any], state: Mapping[str, bool]
) -> dict[str, Any]:
    """`answers` with the consent questions saying `state` (unsayable ones left blank)."""
    out = dict(answers)
    for name, value in consent_answers(definition, state).items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def align_drafts(*, session: Session, member_id: int, state: Mapping[str, bool]) -> None:
    """Set the consent answers of the member's open drafts to `state` (the caller commits)."""
    drafts = session.exec(
        select(Response).where(
            Response.member_id == member_id, Response.status == ResponseStatus.draft
        )
    ).all()
    for draft in drafts:
        definition = load_definition(session, draft.version_id)
        aligned = with_consents(definition, draft.answers or {}, state)
        if aligned != (draft.answers or {}):
            draft.answers = aligned
            session.add(draft)


def asks_consent(definition: Definition, names: set[str]) -> bool:
    """Whether a page (its question names) holds a consent question."""
    return any(name in names for name in consent_answers(definition, {p: True for p in PURPOSES}))


def shown_notice(session: Session, version_id: int) -> Any:
    """The privacy notice a respondent of this version is shown (None: none published)."""
    from diaspora.notices.models import PrivacyNotice
    from diaspora.responses.profile import notice_for_version

    notice_id = notice_for_version(session, version_id)
    return session.get(PrivacyNotice, notice_id) if notice_id else None
