"""Parsed survey definitions, cached per version: a version's definition never changes.

Parsing the stored JSON into a `surveys.Definition` costs about a millisecond and the
engine compiles a validation plan per Definition object, so every request that
validates answers should get the *same* object for the same version.  The key holds
the version's creation time as well as its id, so a reused id (a recreated database)
never returns a stale definition.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from sqlmodel import Session, select

from diaspora.errors import NotFound
from diaspora.responses.models import SurveyVersion
from surveys import Definition

_MAX = 32
_cache: OrderedDict[tuple[int, str], Definition] = OrderedDict()
_lock = threading.Lock()


def _key(version_id: int, created_at: datetime) -> tuple[int, str]:
    return version_id, created_at.isoformat()


def definition_of(version: SurveyVersion) -> Definition:
    """The parsed definition of a loaded version."""
    key = _key(version.id or 0, version.created_at)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    definition = Definition.from_dict(version.definition)
    return _remember(key, definition)


def load_definition(
    session: Session, version_id: int, created_at: datetime | None = None
) -> Definition:
    """The parsed definition of a version by id; reads the JSON only on a cache miss.

    Callers that already read the version's `created_at` pass it to save a query.
    """
    created = (
        created_at
        or session.exec(
            select(SurveyVersion.created_at).where(SurveyVersion.id == version_id)
        ).first()
    )
    if created is None:
        raise NotFound("No such survey version.")
    key = _key(version_id, created)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    data = session.exec(
        select(SurveyVersion.definition).where(SurveyVersion.id == version_id)
    ).one()
    return _remember(key, Definition.from_dict(data))


def _remember(key: tuple[int, str], definition: Definition) -> Definition:
    with _lock:
        existing = _cache.get(key)
        if existing is not None:
            return existing
        _cache[key] = definition
        while len(_cache) > _MAX:
            _cache.popitem(last=False)
    return definition
