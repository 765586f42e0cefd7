"""Encode members and requests as sparse vectors over taxonomy concepts and hashed words.

Column layout of a member row: occupations | ISCO unit groups | skills | hashed words.
Occupation and group entries hold the member's inferred occupation probabilities
(a naive-Bayes posterior from the title and the skills, using the taxonomy's
occupation-to-skill relations); skill entries hold how confidently a phrase was
mapped; word entries (1.0) hold the words of phrases that mapped to nothing, so
unmapped text is still matched. Everything depends only on the taxonomy, never on
the other members, so an index built incrementally equals one built at once.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from matching.records import Member, Request
from matching.taxonomy import ConceptMatch, Taxonomy
from matching.text import normalise, stem, tokens

WORD_BUCKETS = 1 << 18
SURE_MATCH = 0.85  # below this mapping confidence a phrase's words are indexed as well
FACTORS = (
    "essential_skills",
    "desirable_skills",
    "occupation",
    "text",
    "experience",
    "education",
    "languages",
    "sector",
    "availability",
)


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each factor (each valued 0-1) contributes to a score; defaults sum to 1."""

    essential_skills: float = 0.22
    desirable_skills: float = 0.08
    occupation: float = 0.45
    text: float = 0.05
    experience: float = 0.05
    education: float = 0.04
    languages: float = 0.02
    sector: float = 0.05
    availability: float = 0.04

    def __post_init__(self) -> None:
        for name in FACTORS:
            if getattr(self, name) < 0:
                raise ValueError(f"weight {name} must not be negative")


@dataclass(slots=True)
class RequestSkill:
    """A request skill phrase with what it maps to (concept columns, or words when unmapped)."""

    text: str
    kind: str
    concepts: list[tuple[str, int, float]]
    words: list[tuple[str, int, float]]


@dataclass(slots=True)
class Query:
    """An encoded request: weights per column, split by factor for explanations."""

    request: Request
    columns: np.ndarray
    weights: np.ndarray
    factor_weights: dict[str, np.ndarray]
    skills: list[RequestSkill]
    occupations: list[tuple[str, float]] = field(default_factory=list)
    groups: list[tuple[str, float]] = field(default_factory=list)


class Encoder:
    """Maps members and requests into the shared sparse column space of one taxonomy."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        title_weight: float = 10.0,
        occupation_candidates: int = 5,
        min_probability: float = 0.01,
        max_skill_occupations: int = 100,
    ) -> None:
        self.taxonomy = taxonomy
        self.title_weight = title_weight
        self.occupation_candidates = occupation_candidates
        self.min_probability = min_probability
        occupations = [c for c in taxonomy.concepts if c.kind == "occupation"]
        skills = [c for c in taxonomy.concepts if c.kind == "skill"]
        self.occupation_ids = [c.id for c in occupations]
        self.skill_ids = [c.id for c in skills]
        self.groups = sorted({c.isco_group for c in occupations if c.isco_group})
        self.occupation_col = {cid: i for i, cid in enumerate(self.occupation_ids)}
        self.group_col = {g: len(occupations) + i for i, g in enumerate(self.groups)}
        self.skill_base = len(occupations) + len(self.groups)
        self.skill_col = {cid: self.skill_base + i for i, cid in enumerate(self.skill_ids)}
        self.word_base = self.skill_base + len(skills)
        self.n_columns = self.word_base + WORD_BUCKETS
        group_index = {g: i for i, g in enumerate(self.groups)}
        self.occupation_group = np.array(
            [group_index.get(c.isco_group, -1) for c in occupations], dtype=np.int64
        )
        self.group_members: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(occupations):
            if c.isco_group:
                self.group_members[c.isco_group].append(i)
        self.evidence = self._skill_evidence(occupations, max_skill_occupations)
        self.word_idf, self.max_idf = taxonomy.word_idf()

    # -- static tables ------------------------------------------------------------------------

    def _skill_evidence(self, occupations: list, max_skill_occupations: int) -> sparse.csr_matrix:
        """Skills x occupations log-likelihood ratios: 'drawn from this occupation' vs 'noise'."""
        skill_pos = {cid: i for i, cid in enumerate(self.skill_ids)}
        df: dict[str, int] = defaultdict(int)
        for c in occupations:
            for s in (*c.essential_skills, *c.optional_skills):
                df[s] += 1
        n_skills = max(1, len(self.skill_ids))
        rows, cols, vals = [], [], []
        for j, c in enumerate(occupations):
            mass = len(c.essential_skills) + 0.5 * len(c.optional_skills)
            for skills, share in ((c.essential_skills, 1.0), (c.optional_skills, 0.5)):
                for s in skills:
                    # Skills shared by very many occupations barely discriminate and cost the most.
                    if s not in skill_pos or df[s] > max_skill_occupations:
                        continue
                    rows.append(skill_pos[s])
                    cols.append(j)
                    vals.append(math.log1p(share / mass * n_skills))
        return sparse.csr_matrix(
            (np.array(vals, dtype=np.float64), (rows, cols)),
            shape=(len(self.skill_ids), len(occupations)),
        )

    def idf(self, word: str) -> float:
        """Weight of a word stem: rare words count more; unknown words count most."""
        return self.word_idf.get(word, self.max_idf)

    def word_column(self, word: str) -> int:
        """Hashed column of a word stem (stable across processes, unlike hash())."""
        return self.word_base + (zlib.crc32(word.encode()) & (WORD_BUCKETS - 1))

    # -- phrases ------------------------------------------------------------------------------

    def skill_matches(self, phrases: Sequence[str]) -> list[tuple[ConceptMatch, ...]]:
        """Skill concepts for each phrase (cached in the taxonomy)."""
        return self.taxonomy.match_many(phrases, kind="skill")

    def title_matches(self, title: str) -> tuple[ConceptMatch, ...]:
        """Occupation concepts for a job title."""
        return self.taxonomy.match(title, kind="occupation") if title.strip() else ()

    def _code_evidence(self, code: str) -> list[int]:
        """Occupations a code points at: one for an ESCO URI/code, a whole group for an ISCO code."""
        code = code.strip()
        if not code:
            return []
        cid = self.taxonomy.resolve_code(code)
        if cid is not None and cid in self.occupation_col:
            return [self.occupation_col[cid]]
        return list(self.group_members.get(code, ()))

    # -- members ------------------------------------------------------------------------------

    def encode_members(self, members: Sequence[Member]) -> sparse.csr_matrix:
        """Rows (float32 CSR) for members, in order."""
        n = len(members)
        if n == 0:
            return sparse.csr_matrix((0, self.n_columns), dtype=np.float32)
        # Each distinct phrase and title is mapped once; members are then incidence matrices
        # over them, so the per-member work is one list of ids.
        phrase_id: dict[str, int] = {}
        title_id: dict[str, int] = {}
        flat: list[int] = []
        lengths = np.zeros(n, dtype=np.int64)
        titled: list[tuple[int, int]] = []
        extras: list[Member] = []
        for r, m in enumerate(members):
            ids = [phrase_id.setdefault(p, len(phrase_id)) for p in m.skills]
            flat.extend(ids)
            lengths[r] = len(ids)
            if m.occupation:
                titled.append((r, title_id.setdefault(m.occupation, len(title_id))))
            if m.skill_ids or m.occupation_code:
                extras.append(m)
        phrases = list(phrase_id)
        p_skills, p_words = self._phrase_table(phrases, self.skill_matches(phrases))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        has = sparse.csr_matrix(
            (np.ones(len(flat)), np.asarray(flat, dtype=np.int64), indptr), shape=(n, len(phrases))
        )
        skills = sparse.csr_matrix(has @ p_skills)
        words = sparse.csr_matrix(has @ p_words)
        titles = list(title_id)
        t_occ, t_words = self._title_table(titles)
        t_rows = np.array([r for r, _ in titled], dtype=np.int64)
        t_cols = np.array([t for _, t in titled], dtype=np.int64)
        has_title = sparse.csr_matrix(
            (np.ones(len(titled)), (t_rows, t_cols)), shape=(n, len(titles))
        )
        occupations = sparse.csr_matrix(has_title @ t_occ)
        words = sparse.csr_matrix(words + has_title @ t_words)
        if extras:
            skills, occupations = self._given_codes(members, skills, occupations)
        # A skill named twice still counts once.
        np.minimum(skills.data, 1.0, out=skills.data)
        words.data[:] = 1.0
        occ, grp = self._posterior(skills, occupations)
        skills_full = sparse.csr_matrix(
            (skills.data, skills.indices + self.skill_base, skills.indptr),
            shape=(n, self.n_columns),
        )
        out = sparse.csr_matrix(occ + grp + skills_full + words, dtype=np.float32)
        out.sort_indices()
        return out

    def _phrase_table(
        self, phrases: list[str], found: list[tuple[ConceptMatch, ...]]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Per phrase: its skill concepts (by confidence) and, when unsure, its word columns."""
        s_rows: list[int] = []
        s_cols: list[int] = []
        s_vals: list[float] = []
        w_rows: list[int] = []
        w_cols: list[int] = []
        base = self.skill_base
        for i, (p, hits) in enumerate(zip(phrases, found, strict=True)):
            for h in hits:
                s_rows.append(i)
                s_cols.append(self.skill_col[h.concept_id] - base)
                s_vals.append(h.score)
            if not hits or hits[0].score < SURE_MATCH:
                for w in dict.fromkeys(tokens(p)):
                    w_rows.append(i)
                    w_cols.append(self.word_column(w))
        shape = (len(phrases), len(self.skill_ids))
        return (
            _max_duplicates(*shape, s_rows, s_cols, s_vals),
            _max_duplicates(len(phrases), self.n_columns, w_rows, w_cols, [1.0] * len(w_rows)),
        )

    def _title_table(self, titles: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Per title: evidence for occupations and, when unsure, its word columns."""
        o_rows: list[int] = []
        o_cols: list[int] = []
        o_vals: list[float] = []
        w_rows: list[int] = []
        w_cols: list[int] = []
        found = self.taxonomy.match_many(titles, kind="occupation")
        for i, (title, hits) in enumerate(zip(titles, found, strict=True)):
            for h in hits:
                o_rows.append(i)
                o_cols.append(self.occupation_col[h.concept_id])
                o_vals.append(self.title_weight * h.score)
            if not hits or hits[0].score < SURE_MATCH:
                for w in dict.fromkeys(tokens(title)):
                    w_rows.append(i)
                    w_cols.append(self.word_column(w))
        return (
            _max_duplicates(len(titles), len(self.occupation_ids), o_rows, o_cols, o_vals),
            _max_duplicates(len(titles), self.n_columns, w_rows, w_cols, [1.0] * len(w_rows)),
        )

    def _given_codes(
        self, members: Sequence[Member], skills: sparse.csr_matrix, occupations: sparse.csr_matrix
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Add skills and occupations members gave as taxonomy ids or codes (full confidence)."""
        s_rows: list[int] = []
        s_cols: list[int] = []
        o_rows: list[int] = []
        o_cols: list[int] = []
        for r, m in enumerate(members):
            for sid in m.skill_ids:
                if sid in self.skill_col:
                    s_rows.append(r)
                    s_cols.append(self.skill_col[sid] - self.skill_base)
            for c in self._code_evidence(m.occupation_code):
                o_rows.append(r)
                o_cols.append(c)
        n = len(members)
        given_s = _max_duplicates(n, skills.shape[1], s_rows, s_cols, [1.0] * len(s_rows))
        given_o = _max_duplicates(
            n, occupations.shape[1], o_rows, o_cols, [self.title_weight] * len(o_rows)
        )
        # A title and a code naming the same occupation count once (the surer of the two).
        return skills.maximum(given_s).tocsr(), occupations.maximum(given_o).tocsr()

    def _posterior(
        self, skills: sparse.csr_matrix, titles: sparse.csr_matrix
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Occupation and group probabilities (top few, as full-width rows) from skill and title evidence."""
        n = skills.shape[0]
        n_occ = len(self.occupation_ids)
        empty = sparse.csr_matrix((n, self.n_columns), dtype=np.float64)
        if n_occ == 0:
            return empty, empty
        evidence = sparse.csr_matrix(skills @ self.evidence) + titles
        evidence.sum_duplicates()
        evidence.eliminate_zeros()
        if evidence.nnz == 0:
            return empty, empty
        row = np.repeat(np.arange(n), np.diff(evidence.indptr))
        data = evidence.data
        # Softmax over all occupations; those without evidence share exp(0) each.
        row_max = np.zeros(n)
        np.maximum.at(row_max, row, data)
        exps = np.exp(data - row_max[row])
        background = (n_occ - np.diff(evidence.indptr)) * np.exp(-row_max)
        z = np.bincount(row, weights=exps, minlength=n) + background
        prob = exps / z[row]
        occ = _top_per_row(
            n, row, evidence.indices, prob, self.occupation_candidates, self.min_probability
        )
        groups = self.occupation_group[evidence.indices]
        has_group = groups >= 0
        g = sparse.csr_matrix(
            (prob[has_group], (row[has_group], groups[has_group])), shape=(n, len(self.groups))
        )
        g.sum_duplicates()
        g_row = np.repeat(np.arange(n), np.diff(g.indptr))
        grp = _top_per_row(n, g_row, g.indices, g.data, 3, self.min_probability)
        occ_full = sparse.csr_matrix((occ[2], (occ[0], occ[1])), shape=(n, self.n_columns))
        grp_full = sparse.csr_matrix(
            (grp[2], (grp[0], grp[1] + len(self.occupation_ids))), shape=(n, self.n_columns)
        )
        return occ_full, grp_full

    # -- requests -----------------------------------------------------------------------------

    def encode_request(self, request: Request, weights: Weights) -> Query:
        """The query vector of a request, with per-factor weights for explanations."""
        per_factor: dict[str, dict[int, float]] = {f: defaultdict(float) for f in FACTORS}
        skills: list[RequestSkill] = []
        groups_of = (
            ("essential", request.skills_essential),
            ("desirable", request.skills_desirable),
        )
        all_phrases = [*request.skills_essential, *request.skills_desirable]
        found = dict(zip(all_phrases, self.skill_matches(all_phrases), strict=True))
        s_cols: list[int] = []
        s_vals: list[float] = []
        for kind, phrases in groups_of:
            factor = "essential_skills" if kind == "essential" else "desirable_skills"
            share = getattr(weights, factor) / len(phrases) if phrases else 0.0
            for p in phrases:
                hits = found[p]
                concepts = [(h.concept_id, self.skill_col[h.concept_id], h.score) for h in hits]
                words: list[tuple[str, int, float]] = []
                for _, col, score in concepts:
                    per_factor[factor][col] += share * score / len(concepts)
                    s_cols.append(col - self.skill_base)
                    s_vals.append(score)
                # Unmapped or unsure phrases are (also) matched by their words, for the credit
                # the concept mapping could not vouch for.
                sure = max((score for _, _, score in concepts), default=0.0)
                if sure < SURE_MATCH:
                    stems = list(dict.fromkeys(tokens(p)))
                    total = sum(self.idf(w) for w in stems) or 1.0
                    for w in stems:
                        col = self.word_column(w)
                        frac = self.idf(w) / total * (1.0 - sure)
                        words.append((w, col, frac))
                        per_factor[factor][col] += share * frac
                skills.append(RequestSkill(p, kind, concepts, words))
        # Text: every word of the request against members' unmapped words.
        stems = list(
            dict.fromkeys(tokens(" ".join([request.title, *all_phrases, request.description])))
        )
        total = sum(self.idf(w) for w in stems) or 1.0
        for w in stems:
            per_factor["text"][self.word_column(w)] += weights.text * self.idf(w) / total
        occupations, groups = self._request_posterior(request, s_cols, s_vals)
        # Expected graded gain: same occupation counts twice what same ISCO unit group does.
        for cid, prob in occupations:
            per_factor["occupation"][self.occupation_col[cid]] += weights.occupation * prob * 2 / 3
        for g, prob in groups:
            per_factor["occupation"][self.group_col[g]] += weights.occupation * prob / 3
        columns = sorted({c for f in per_factor.values() for c in f})
        cols = np.array(columns, dtype=np.int64)
        factor_weights = {
            f: np.array([per_factor[f].get(c, 0.0) for c in columns], dtype=np.float64)
            for f in FACTORS
        }
        total_w = np.zeros(len(columns))
        for f in FACTORS:
            total_w += factor_weights[f]
        return Query(request, cols, total_w, factor_weights, skills, occupations, groups)

    def _request_posterior(
        self, request: Request, s_cols: list[int], s_vals: list[float]
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The batch posterior of _posterior, for one request, in plain numpy (no sparse overhead)."""
        n_occ = len(self.occupation_ids)
        if n_occ == 0:
            return [], []
        best: dict[int, float] = {}
        for c, v in zip(s_cols, s_vals, strict=True):
            best[c] = max(v, best.get(c, 0.0))
        evidence = np.zeros(n_occ)
        ev = self.evidence
        for k, v in sorted(best.items()):
            lo, hi = ev.indptr[k], ev.indptr[k + 1]
            evidence[ev.indices[lo:hi]] += v * ev.data[lo:hi]
        title: dict[int, float] = {c: 1.0 for c in self._code_evidence(request.occupation_code)}
        for h in self.title_matches(request.title):
            col = self.occupation_col[h.concept_id]
            title[col] = max(title.get(col, 0.0), h.score)
        for col, score in sorted(title.items()):
            evidence[col] += self.title_weight * score
        cols = np.flatnonzero(evidence > 0)
        if len(cols) == 0:
            return [], []
        data = evidence[cols]
        top = max(0.0, float(data.max()))
        exps = np.exp(data - top)
        prob = exps / (exps.sum() + (n_occ - len(cols)) * np.exp(-top))
        zero = np.zeros(len(cols), dtype=np.int64)
        _, occ_c, occ_p = _top_per_row(
            1, zero, cols, prob, self.occupation_candidates, self.min_probability
        )
        groups = self.occupation_group[cols]
        mass = np.bincount(
            groups[groups >= 0], weights=prob[groups >= 0], minlength=len(self.groups)
        )
        g_cols = np.flatnonzero(mass)
        _, grp_c, grp_p = _top_per_row(
            1, np.zeros(len(g_cols), dtype=np.int64), g_cols, mass[g_cols], 3, self.min_probability
        )
        occupations = [
            (self.occupation_ids[c], float(p)) for c, p in zip(occ_c, occ_p, strict=True)
        ]
        return occupations, [(self.groups[c], float(p)) for c, p in zip(grp_c, grp_p, strict=True)]


def _max_duplicates(
    n_rows: int, n_cols: int, rows: Sequence[int], cols: Sequence[int], vals: Sequence[float]
) -> sparse.csr_matrix:
    """CSR from triplets keeping the largest value of duplicates (a skill named twice counts once)."""
    if not rows:
        return sparse.csr_matrix((n_rows, n_cols), dtype=np.float64)
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    v = np.asarray(vals, dtype=np.float64)
    order = np.lexsort((-v, c, r))
    r, c, v = r[order], c[order], v[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return sparse.csr_matrix((v[first], (r[first], c[first])), shape=(n_rows, n_cols))


def _top_per_row(
    n: int, row: np.ndarray, col: np.ndarray, val: np.ndarray, k: int, floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest values of each row at or above floor (ties by column), as triplets."""
    keep = val >= floor
    row, col, val = row[keep], col[keep], val[keep]
    order = np.lexsort((col, -val, row))
    row, col, val = row[order], col[order], val[order]
    if len(row) == 0:
        return row, col, val
    starts = np.searchsorted(row, np.arange(n))
    rank = np.arange(len(row)) - starts[row]
    keep = rank < k
    return row[keep], col[keep], val[keep]


def phrase_words(text: str) -> set[str]:
    """Word stems of a phrase, for explaining word-level matches."""
    return {stem(w) for w in normalise(text).split()}
