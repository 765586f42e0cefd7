"""Consent as a history: one row per purpose and notice version."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class Purpose(StrEnum):
    mapping = "mapping"
    matching = "matching"
    contact = "contact"
    share_with_institution = "share_with_institution"
    research = "research"


class Channel(StrEnum):
    """How a consent change reached us; stored on the row and in its audit event."""

    profile = "profile"  # the member's consent form on /me
    api = "api"  # the member through PUT /api/v1/me/consents
    survey = "survey"  # the member answering the survey in the app
    survey_api = "survey-api"  # a complete submission through the API
    import_ = "import"  # a Kobo / ODK / CSV import, a Kobo REST post
    correction = "correction"  # staff correcting a submitted response
    staff = "staff"  # staff recording what a member without an account asked for
    erasure = "erasure"
    retention = "retention"
    demo = "demo"


# Channels through which the member themself states a choice.  Only these may give a
# purpose the member once withdrew; the others may give a purpose for the first time
# (a paper form collected by an enumerator) or withdraw one, never undo a withdrawal.
EXPLICIT_CHANNELS = frozenset({Channel.profile, Channel.api, Channel.survey})


class Consent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    purpose: str = Field(max_length=40, index=True)
    # The version of the privacy notice the member was shown (None: none was published).
    notice_id: int | None = Field(default=None, foreign_key="privacy_notice.id", index=True)
    given_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    source: str = Field(default=Channel.profile, max_length=20)  # a Channel
