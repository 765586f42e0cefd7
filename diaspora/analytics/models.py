"""Summary tables behind the mapping dashboard (see diaspora/analytics/summary.py).

`analytics_count` holds member counts per *slice* (all members, or the members of one
filter value such as origin GH, or of one combination of filter values) and per *item*
(a category of one dashboard table). They are derived data: `summary.rebuild` recreates
them from the member tables at any time, and `summary.refresh` keeps them current from a
queue of changed members that the ORM hooks fill in the writer's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from diaspora.common import json_field


class AnalyticsCount(SQLModel, table=True):
    """How many members of a slice fall in one category of one table."""

    __tablename__ = "analytics_count"
    slice: str = Field(primary_key=True, max_length=220)
    dim: str = Field(primary_key=True, max_length=12)
    key1: str = Field(primary_key=True, max_length=200)
    key2: str = Field(primary_key=True, max_length=12)
    n: int = 0
    # Sum of the record keys of the members counted (cell-key method, analytics/privacy.py):
    # additive like n, so deltas and roll-ups keep it; taken modulo the key range on reading.
    k: int = Field(default=0, sa_type=BigInteger)


class AnalyticsCombo(SQLModel, table=True):
    """One combination of filter values members actually have (a fine-grained slice)."""

    __tablename__ = "analytics_combo"
    key: str = Field(primary_key=True, max_length=120)
    origin_country: str = Field(default="", max_length=2, index=True)
    programme_id: int = Field(default=0, index=True)
    sector: str = Field(default="", max_length=60, index=True)
    survey_version_id: int = Field(default=0, index=True)
    mode_temporary: bool = False
    mode_permanent: bool = False
    mode_virtual: bool = False


class AnalyticsMemberState(SQLModel, table=True):
    """What a member contributes to the counts right now, so a change can be applied as a delta."""

    __tablename__ = "analytics_member_state"
    member_id: int = Field(primary_key=True)
    inputs: dict[str, Any] = json_field(default_factory=dict)


class AnalyticsQueue(SQLModel, table=True):
    """Members changed since the counts were last brought up to date."""

    __tablename__ = "analytics_queue"
    member_id: int = Field(primary_key=True)
    # A fresh token on every change: a refresh only removes the entry it read, so a change
    # committed while it runs stays queued for the next one.
    token: int = 0


class AnalyticsMeta(SQLModel, table=True):
    """One row; refreshes and rebuilds lock it so they run one at a time."""

    __tablename__ = "analytics_meta"
    id: int = Field(default=1, primary_key=True)
    refreshed_at: datetime | None = None
    rebuilt_at: datetime | None = None
