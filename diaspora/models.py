"""Imports every table so SQLModel.metadata is complete (Alembic, tests)."""

from diaspora.accounts.models import (
    AccessToken,
    EmailVerification,
    LoginAttempt,
    PasswordReset,
    RateEvent,
    Role,
    User,
    UserSession,
)
from diaspora.analytics.models import (
    AnalyticsCombo,
    AnalyticsCount,
    AnalyticsMemberState,
    AnalyticsMeta,
    AnalyticsQueue,
)
from diaspora.assignments.models import Assignment, AssignmentStatus
from diaspora.audit.models import AuditEvent
from diaspora.consent.models import Consent, Purpose
from diaspora.institutions.models import Institution, Programme
from diaspora.members.models import MemberIdentity, MemberLanguage, MemberProfile, MemberSkill
from diaspora.notices.models import PrivacyNotice
from diaspora.outbox.models import OutboxMessage
from diaspora.placements.models import PlacementRequest, RequestStatus, ShortlistEntry
from diaspora.responses.models import Response, Survey, SurveyVersion
from diaspora.retention.models import RetentionSetting
from diaspora.taxonomy.models import SkillConcept

__all__ = [
    "AccessToken",
    "AnalyticsCombo",
    "AnalyticsCount",
    "AnalyticsMemberState",
    "AnalyticsMeta",
    "AnalyticsQueue",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "Consent",
    "EmailVerification",
    "Institution",
    "LoginAttempt",
    "MemberIdentity",
    "MemberLanguage",
    "MemberProfile",
    "MemberSkill",
    "OutboxMessage",
    "PasswordReset",
    "PlacementRequest",
    "PrivacyNotice",
    "Programme",
    "Purpose",
    "RateEvent",
    "RequestStatus",
    "Response",
    "RetentionSetting",
    "Role",
    "ShortlistEntry",
    "SkillConcept",
    "Survey",
    "SurveyVersion",
    "User",
    "UserSession",
]
