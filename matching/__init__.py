"""Rank diaspora members against placement requests (pure library: no database, no network)."""

from matching.encoding import Weights
from matching.index import (
    Explanation,
    Factor,
    Match,
    MatchIndex,
    RequestMatch,
    SkillCoverage,
    rank_requests,
)
from matching.records import InvalidRecord, Member, Request
from matching.taxonomy import Concept, ConceptMatch, Taxonomy

__all__ = [
    "Concept",
    "ConceptMatch",
    "Explanation",
    "Factor",
    "InvalidRecord",
    "Match",
    "MatchIndex",
    "Member",
    "Request",
    "RequestMatch",
    "SkillCoverage",
    "Taxonomy",
    "Weights",
    "rank_requests",
]
