"""The match index: members encoded once, ranked per request with hard filters and explanations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from matching.encoding import FACTORS, Encoder, Query, Weights, phrase_words
from matching.records import ISO_639_1, MODES, Member, Request, education_level
from matching.taxonomy import Taxonomy
from matching.text import normalise

Eligible = Collection[str] | Callable[[str], bool]

_LANG_BIT = {code: i for i, code in enumerate(sorted(ISO_639_1))}
_LANG_WORDS = (len(_LANG_BIT) + 63) // 64
_MODE_BIT = {mode: 1 << i for i, mode in enumerate(MODES)}
_NO_START = np.iinfo(np.int32).min
_NO_END = np.iinfo(np.int32).max
EXPERIENCE_SATURATION = 20  # years beyond which more experience earns nothing more
SCORE_DECIMALS = 6  # scores are rounded so float noise never decides a tie (ids do)


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor of a score: its 0-1 value, its weight and their product."""

    name: str
    value: float
    weight: float
    contribution: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SkillCoverage:
    """A request skill the member covers, and the member's own words that cover it."""

    skill: str
    kind: str
    member_words: tuple[str, ...]
    concept: str = ""  # the taxonomy concept both sides mapped to ('' for a word-level match)
    credit: float = 1.0  # how surely: 1.0 for a verbatim label, less for typos or partial words


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a member was ranked where they were."""

    covered: tuple[SkillCoverage, ...]
    missing_essential: tuple[str, ...]
    factors: tuple[Factor, ...]
    occupation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "covered": [
                {
                    "skill": c.skill,
                    "kind": c.kind,
                    "member_words": list(c.member_words),
                    "concept": c.concept,
                    "credit": c.credit,
                }
                for c in self.covered
            ],
            "missing_essential": list(self.missing_essential),
            "occupation": self.occupation,
            "factors": {
                f.name: {
                    "value": f.value,
                    "weight": f.weight,
                    "contribution": f.contribution,
                    "detail": f.detail,
                }
                for f in self.factors
            },
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A ranked member."""

    member_id: str
    score: float
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class RequestMatch:
    """A ranked request (the reverse query)."""

    request_id: str
    score: float
    explanation: Explanation | None = None


def _day(d: dt.date | None, default: int) -> int:
    return d.toordinal() if d else default


def _language_bits(codes: Iterable[str]) -> np.ndarray:
    bits = np.zeros(_LANG_WORDS, dtype=np.uint64)
    for code in codes:
        i = _LANG_BIT[code]
        bits[i // 64] |= np.uint64(1 << (i % 64))
    return bits


class _Store:
    """Per-row numpy attributes with amortised appends."""

    def __init__(self) -> None:
        self.n = 0
        self.years = np.zeros(0, dtype=np.int16)
        self.education = np.zeros(0, dtype=np.int8)
        self.modes = np.zeros(0, dtype=np.uint8)
        self.languages = np.zeros((0, _LANG_WORDS), dtype=np.uint64)
        self.start = np.zeros(0, dtype=np.int32)
        self.end = np.zeros(0, dtype=np.int32)
        self.alive = np.zeros(0, dtype=bool)

    _FIELDS = ("years", "education", "modes", "languages", "start", "end", "alive")

    def _grow(self, need: int) -> None:
        cap = len(self.alive)
        if need <= cap:
            return
        new_cap = max(need, cap * 2, 1024)
        for name in self._FIELDS:
            old = getattr(self, name)
            grown = np.zeros((new_cap, *old.shape[1:]), dtype=old.dtype)
            grown[: self.n] = old[: self.n]
            setattr(self, name, grown)

    def append(self, members: Sequence[Member]) -> None:
        start = self.n
        self._grow(start + len(members))
        stop = start + len(members)
        self.years[start:stop] = [m.years_experience for m in members]
        self.education[start:stop] = [
            -1 if (lvl := education_level(m.education)) is None else lvl for m in members
        ]
        self.modes[start:stop] = [sum(_MODE_BIT[x] for x in m.modes) for m in members]
        for i, m in enumerate(members):
            if m.languages:
                self.languages[start + i] = _language_bits(m.languages)
        self.start[start:stop] = [_day(m.available_from, _NO_START) for m in members]
        self.end[start:stop] = [_day(m.available_to, _NO_END) for m in members]
        self.alive[start:stop] = True
        self.n = stop

    def keep(self, rows: np.ndarray) -> None:
        for name in self._FIELDS:
            setattr(self, name, getattr(self, name)[rows].copy())
        self.n = len(rows)


class MatchIndex:
    """Members encoded once against a taxonomy; rank(request) returns the best eligible members.

    Knobs: ``taxonomy`` (default: the built-in one), ``weights`` (factor weights),
    ``title_weight`` (how much a recognised job title outweighs one skill when inferring
    a member's occupation), ``occupation_candidates`` (occupations kept per member),
    ``compact_every`` (pending incremental rows merged into the main matrix).
    """

    def __init__(
        self,
        members: Iterable[Member] = (),
        *,
        taxonomy: Taxonomy | None = None,
        weights: Weights | None = None,
        title_weight: float = 10.0,
        occupation_candidates: int = 5,
        compact_every: int = 20_000,
        batch_size: int = 20_000,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else Taxonomy.builtin()
        self.weights = weights or Weights()
        self.compact_every = compact_every
        self.batch_size = batch_size
        self.encoder_ = Encoder(
            self.taxonomy, title_weight=title_weight, occupation_candidates=occupation_candidates
        )
        self._ids: list[str | None] = []
        self._members: list[Member | None] = []
        self._row_of: dict[str, int] = {}
        self._store = _Store()
        self._sector_rows: dict[str, list[int]] = {}
        self._sector_cache: dict[str, np.ndarray] = {}
        self._main = sparse.csc_matrix((0, self.encoder_.n_columns), dtype=np.float32)
        self._pending: list[sparse.csr_matrix] = []
        self._pending_rows = 0
        self._delta: sparse.csc_matrix | None = None
        self.extend(members)
        if self._pending:
            self._compact()

    # -- maintenance --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, member_id: object) -> bool:
        return member_id in self._row_of

    @property
    def member_ids(self) -> list[str]:
        """Ids of the indexed members, ascending."""
        return sorted(self._row_of)

    def get(self, member_id: str) -> Member | None:
        """The indexed member with this id, or None."""
        row = self._row_of.get(member_id)
        return None if row is None else self._members[row]

    def add(self, member: Member) -> MatchIndex:
        """Index a new member (ValueError if the id is already indexed)."""
        self._append([member])
        return self

    def extend(self, members: Iterable[Member]) -> MatchIndex:
        """Index several new members at once (much faster than add in a loop)."""
        batch: list[Member] = []
        for m in members:
            batch.append(m)
            if len(batch) >= self.batch_size:
                self._append(batch, compact=False)
                batch = []
        self._append(batch, compact=False)
        # One merge at the end: merging after every batch would copy the matrix again and again.
        if self._pending_rows >= self.compact_every:
            self._compact()
        return self

    def update(self, member: Member) -> MatchIndex:
        """Replace an indexed member's profile (adds it if unknown)."""
        if member.id in self._row_of:
            self.remove(member.id)
        return self.add(member)

    def remove(self, member_id: str) -> MatchIndex:
        """Drop a member (KeyError if unknown)."""
        row = self._row_of.pop(member_id)
        self._store.alive[row] = False
        self._ids[row] = None
        self._members[row] = None
        return self

    def _append(self, members: Sequence[Member], *, compact: bool = True) -> None:
        if not members:
            return
        seen: set[str] = set()
        for m in members:
            if not isinstance(m, Member):
                raise TypeError(f"expected Member, got {type(m).__name__}")
            if m.id in self._row_of or m.id in seen:
                raise ValueError(f"member {m.id!r} is already indexed (use update)")
            seen.add(m.id)
        rows = self.encoder_.encode_members(members)
        first = self._store.n
        self._store.append(members)
        for i, m in enumerate(members):
            self._row_of[m.id] = first + i
            self._ids.append(m.id)
            self._members.append(m)
            for s in {normalise(x) for x in m.sectors}:
                self._sector_rows.setdefault(s, []).append(first + i)
                self._sector_cache.pop(s, None)
        self._pending.append(rows)
        self._pending_rows += rows.shape[0]
        self._delta = None
        if compact and self._pending_rows >= self.compact_every:
            self._compact()

    def _compact(self) -> None:
        """Merge pending rows into the main column-major matrix; drop removed rows when many."""
        parts = [self._main.tocsr(), *self._pending] if self._main.shape[0] else list(self._pending)
        merged = sparse.vstack(parts, format="csr") if parts else self._main.tocsr()
        self._pending, self._pending_rows, self._delta = [], 0, None
        n = self._store.n
        dead = n - int(self._store.alive[:n].sum())
        if dead and dead * 4 >= n:
            keep = np.flatnonzero(self._store.alive[:n])
            merged = merged[keep]
            self._store.keep(keep)
            self._ids = [self._ids[r] for r in keep]
            self._members = [self._members[r] for r in keep]
            self._row_of = {mid: i for i, mid in enumerate(self._ids) if mid is not None}
            remap = np.full(n, -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            self._sector_rows = {
                s: [int(remap[r]) for r in rows if remap[r] >= 0]
                for s, rows in self._sector_rows.items()
            }
            self._sector_rows = {s: rows for s, rows in self._sector_rows.items() if rows}
            self._sector_cache = {}
        main = merged.tocsc()
        main.sort_indices()
        self._main = main

    def _delta_matrix(self) -> sparse.csc_matrix | None:
        if not self._pending:
            return None
        if self._delta is None:
            # Keep the stacked rows so the next rebuild stacks two pieces, not thousands.
            self._pending = [sparse.vstack(self._pending, format="csr")]
            self._delta = self._pending[0].tocsc()
            self._delta.sort_indices()
        return self._delta

    # -- scoring ------------------------------------------------------------------------------

    def _touch(self, query: Query) -> _Touched:
        """Every stored entry in the query's columns, from the main and pending matrices."""
        parts = [_gather(self._main, query.columns, 0)]
        delta = self._delta_matrix()
        if delta is not None:
            parts.append(_gather(delta, query.columns, self._main.shape[0]))
        return _Touched(*(np.concatenate(x) for x in zip(*parts, strict=True)))

    def _raw_scores(self, query: Query, touched: _Touched) -> np.ndarray:
        """Sum over the query's columns of stored value x query weight, for every row."""
        weighted = touched.values * query.weights[touched.positions]
        scores = np.bincount(touched.rows, weights=weighted, minlength=self._store.n)
        return scores.astype(np.float64, copy=False)  # bincount of nothing is integer

    def _constraints(self, request: Request, rows: np.ndarray) -> np.ndarray:
        """Which of rows pass every hard constraint of the request."""
        s = self._store
        ok = s.alive[rows] & (s.years[rows] >= request.min_years_experience)
        if request.mode is not None:
            ok &= (s.modes[rows] & _MODE_BIT[request.mode]) != 0
        if request.languages:
            need = _language_bits(request.languages)
            ok &= np.all((s.languages[rows] & need) == need, axis=1)
        if request.start_from or request.start_to:
            r_start = _day(request.start_from, _NO_START)
            r_end = _day(request.start_to, _NO_END)
            ok &= (s.start[rows] <= r_end) & (s.end[rows] >= r_start)
        return ok

    def _member_factors(self, request: Request, rows: np.ndarray) -> dict[str, np.ndarray]:
        """0-1 values of the factors that depend on the member's attributes, not on skills."""
        s = self._store
        values: dict[str, np.ndarray] = {}
        values["experience"] = (
            np.minimum(s.years[rows], EXPERIENCE_SATURATION) / EXPERIENCE_SATURATION
        )
        wanted = education_level(request.min_education)
        edu = s.education[rows].astype(np.float64)
        if wanted is None:
            values["education"] = np.zeros(len(rows))
        else:
            values["education"] = np.where(
                edu >= wanted, 1.0, np.where(edu == wanted - 1, 0.5, 0.0)
            )
        values["languages"] = np.full(len(rows), 1.0 if request.languages else 0.0)
        sector = normalise(request.sector) if request.sector else ""
        if sector and sector in self._sector_rows:
            values["sector"] = np.isin(rows, self._sector_array(sector)).astype(np.float64)
        else:
            values["sector"] = np.zeros(len(rows))
        values["availability"] = self._availability(request, rows)
        return values

    def _availability(self, request: Request, rows: np.ndarray) -> np.ndarray:
        s = self._store
        dated = (s.start[rows] != _NO_START) | (s.end[rows] != _NO_END)
        if not (request.start_from or request.start_to):
            return np.zeros(len(rows))
        if not (request.start_from and request.start_to):
            return dated.astype(
                np.float64
            )  # open request window: dated members are known to overlap
        r_start, r_end = request.start_from.toordinal(), request.start_to.toordinal()
        lo = np.maximum(s.start[rows].astype(np.int64), r_start)
        hi = np.minimum(s.end[rows].astype(np.int64), r_end)
        covered = np.clip(hi - lo + 1, 0, None) / (r_end - r_start + 1)
        return np.where(dated, covered, 0.0)

    def _sector_array(self, sector: str) -> np.ndarray:
        if sector not in self._sector_cache:
            self._sector_cache[sector] = np.array(sorted(self._sector_rows[sector]), dtype=np.int64)
        return self._sector_cache[sector]

    def _total(self, query: Query, raw: np.ndarray, rows: np.ndarray) -> np.ndarray:
        total = raw.copy()
        for name, value in self._member_factors(query.request, rows).items():
            total += getattr(self.weights, name) * value
        return np.round(total, SCORE_DECIMALS)

    def _ordered(self, rows: np.ndarray, scores: np.ndarray, limit: int) -> Iterator[int]:
        """Positions into rows by score descending then member id, lazily, best first."""
        ids = self._ids
        remaining = np.arange(len(rows))
        window = max(limit * 4, 64)
        while len(remaining):
            if len(remaining) > window:
                part = np.argpartition(-scores[remaining], window - 1)[:window]
                cut = scores[remaining[part]].min()
                # Everyone tied with the cut joins this batch, so ids alone settle ties.
                batch = remaining[scores[remaining] >= cut]
            else:
                batch = remaining
            yield from sorted(batch.tolist(), key=lambda p: (-scores[p], ids[rows[p]]))
            remaining = np.setdiff1d(remaining, batch, assume_unique=True)
            window *= 4

    def rank(
        self,
        request: Request,
        *,
        limit: int = 10,
        eligible: Eligible | None = None,
        exclude: Collection[str] = (),
        explain: bool = True,
    ) -> list[Match]:
        """The best members for a request, best first; hard constraints filter, never penalise.

        ``eligible`` (ids or a predicate on the id, e.g. active matching consent) and
        ``exclude`` (ids already shortlisted) narrow the members further.
        """
        if limit <= 0 or not self._row_of:
            return []
        query = self.encoder_.encode_request(request, self.weights)
        touched = self._touch(query)
        raw = self._raw_scores(query, touched)
        # Candidates share at least one concept or word with the request; the rest are unrelated.
        shared = np.zeros(self._store.n, dtype=bool)
        shared[touched.rows] = True
        rows = np.flatnonzero(shared)
        rows = rows[self._constraints(request, rows)]
        if eligible is not None and not callable(eligible) and len(eligible) < len(rows):
            allowed = np.array(
                sorted(self._row_of[i] for i in eligible if i in self._row_of), dtype=np.int64
            )
            rows = rows[np.isin(rows, allowed)]
            eligible = None
        scores = self._total(query, raw[rows], rows)
        picked: list[tuple[int, float]] = []
        excluded = set(exclude)
        for pos in self._ordered(rows, scores, limit):
            member_id = self._ids[rows[pos]]
            assert member_id is not None
            if member_id in excluded:
                continue
            if eligible is not None and not (
                eligible(member_id) if callable(eligible) else member_id in eligible
            ):
                continue
            picked.append((int(rows[pos]), float(scores[pos])))
            if len(picked) >= limit:
                break
        explained = self._explanations(query, touched, [r for r, _ in picked]) if explain else []
        return [
            Match(self._ids[r] or "", score, explained[i] if explain else None)
            for i, (r, score) in enumerate(picked)
        ]

    def score(self, request: Request, member_id: str) -> Match | None:
        """Score and explain one member for a request; None if a hard constraint excludes them."""
        row = self._row_of[member_id]
        query = self.encoder_.encode_request(request, self.weights)
        rows = np.array([row])
        if not self._constraints(request, rows)[0]:
            return None
        touched = self._touch(query)
        raw = self._raw_scores(query, touched)[rows]
        explanation = self._explanations(query, touched, [row])[0]
        return Match(member_id, float(self._total(query, raw, rows)[0]), explanation)

    # -- explanations -------------------------------------------------------------------------

    def _values(self, query: Query, touched: _Touched, rows: list[int]) -> dict[int, np.ndarray]:
        """Each given row's stored values at the query's columns (aligned with query.columns)."""
        out = {r: np.zeros(len(query.columns)) for r in rows}
        hit = np.flatnonzero(np.isin(touched.rows, np.array(rows, dtype=np.int64)))
        for i in hit.tolist():
            out[int(touched.rows[i])][touched.positions[i]] = touched.values[i]
        return out

    def _explanations(self, query: Query, touched: _Touched, rows: list[int]) -> list[Explanation]:
        """Explanations for the given rows (only ever the few shown)."""
        if not rows:
            return []
        values = self._values(query, touched, rows)
        col_pos = {c: i for i, c in enumerate(query.columns.tolist())}
        per_factor = self._member_factors(query.request, np.array(rows, dtype=np.int64))
        return [
            self._explain(
                query, r, values[r], col_pos, {k: float(v[i]) for k, v in per_factor.items()}
            )
            for i, r in enumerate(rows)
        ]

    def _explain(
        self,
        query: Query,
        row: int,
        values: np.ndarray,
        col_pos: dict[int, int],
        member_values: dict[str, float],
    ) -> Explanation:
        member = self._members[row]
        assert member is not None
        enc = self.encoder_
        factors = []
        for name in FACTORS:
            weight = float(getattr(self.weights, name))
            if name in member_values:
                value = member_values[name]
            else:
                contribution = float(values @ query.factor_weights[name])
                value = contribution / weight if weight else 0.0
            factors.append((name, value, weight))
        # Member's own words per concept, so each covered skill can quote them.
        words_of: dict[str, list[str]] = {}
        for phrase, hits in zip(member.skills, enc.skill_matches(member.skills), strict=True):
            for h in hits:
                words_of.setdefault(h.concept_id, []).append(phrase)
        for sid in member.skill_ids:
            concept = self.taxonomy.get(sid)
            words_of.setdefault(sid, []).append(concept.label() if concept else sid)
        covered: list[SkillCoverage] = []
        missing: list[str] = []
        for skill in query.skills:
            coverage = None
            for cid, col, _ in skill.concepts:
                if col in col_pos and values[col_pos[col]] > 0:
                    concept = self.taxonomy.get(cid)
                    coverage = SkillCoverage(
                        skill.text,
                        skill.kind,
                        tuple(dict.fromkeys(words_of.get(cid, ()))),
                        concept.label() if concept else cid,
                        round(float(values[col_pos[col]]), 4),
                    )
                    break
            if coverage is None and skill.words:
                credit = sum(frac for _, col, frac in skill.words if values[col_pos[col]] > 0)
                # Covered when most of the phrase's weighted words are among the member's.
                if credit > 0 and credit >= 0.5 * sum(frac for _, _, frac in skill.words):
                    stems = {w for w, _, _ in skill.words}
                    quoted = [
                        p
                        for p in (*member.skills, member.occupation)
                        if p and phrase_words(p) & stems
                    ]
                    coverage = SkillCoverage(
                        skill.text, skill.kind, tuple(dict.fromkeys(quoted)), "", round(credit, 4)
                    )
            if coverage is not None:
                covered.append(coverage)
            elif skill.kind == "essential":
                missing.append(skill.text)
        occupation = self._occupation_detail(query, values, col_pos)
        details = {
            "occupation": occupation,
            "experience": f"{member.years_experience} years (minimum {query.request.min_years_experience})",
            "languages": "speaks " + ", ".join(query.request.languages)
            if query.request.languages
            else "",
            "education": member.education,
            "sector": query.request.sector if member_values["sector"] else "",
        }
        return Explanation(
            covered=tuple(covered),
            missing_essential=tuple(missing),
            factors=tuple(
                Factor(n, round(float(v), 4), w, round(float(v) * w, 6), details.get(n, ""))
                for n, v, w in factors
            ),
            occupation=occupation,
        )

    def _occupation_detail(self, query: Query, values: np.ndarray, col_pos: dict[int, int]) -> str:
        enc = self.encoder_
        best_occ = max(
            ((p * values[col_pos[enc.occupation_col[cid]]], cid) for cid, p in query.occupations),
            default=(0.0, ""),
        )
        if best_occ[0] >= 0.25:
            concept = self.taxonomy.get(best_occ[1])
            return f"same occupation: {concept.label() if concept else best_occ[1]}"
        best_group = max(
            ((p * values[col_pos[enc.group_col[g]]], g) for g, p in query.groups), default=(0.0, "")
        )
        if best_group[0] >= 0.25:
            label = self.taxonomy.isco_labels.get(best_group[1], "")
            return f"same ISCO-08 group {best_group[1]}" + (f" ({label})" if label else "")
        return ""

    # -- reverse ------------------------------------------------------------------------------

    def rank_requests(
        self, member: Member, requests: Iterable[Request], *, limit: int = 10, explain: bool = True
    ) -> list[RequestMatch]:
        """The requests that fit a member best (same constraints and scores as rank)."""
        return rank_requests(
            member,
            requests,
            limit=limit,
            taxonomy=self.taxonomy,
            weights=self.weights,
            explain=explain,
        )


def rank_requests(
    member: Member,
    requests: Iterable[Request],
    *,
    limit: int = 10,
    taxonomy: Taxonomy | None = None,
    weights: Weights | None = None,
    explain: bool = True,
) -> list[RequestMatch]:
    """Rank requests for one member, best first (ties by request id); unmet hard constraints exclude."""
    index = MatchIndex([member], taxonomy=taxonomy, weights=weights)
    found: list[RequestMatch] = []
    for request in requests:
        hit = index.rank(request, limit=1, explain=explain)
        if hit:
            found.append(RequestMatch(request.id, hit[0].score, hit[0].explanation))
    found.sort(key=lambda m: (-m.score, m.request_id))
    return found[:limit]


@dataclass(frozen=True, slots=True)
class _Touched:
    """Stored entries in a query's columns: row, position in query.columns, stored value."""

    rows: np.ndarray
    positions: np.ndarray
    values: np.ndarray


def _gather(
    matrix: sparse.csc_matrix, columns: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, column positions and values stored in the given columns of a CSC matrix."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    starts, ends = indptr[columns], indptr[columns + 1]
    lengths = (ends - starts).astype(np.int64)
    rows = [indices[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True) if b > a]
    vals = [data[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True) if b > a]
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    touched = np.concatenate(rows).astype(np.int64)
    if offset:
        touched += offset
    positions = np.repeat(np.arange(len(columns)), lengths)
    return touched, positions, np.concatenate(vals).astype(np.float64)
