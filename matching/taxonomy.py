"""Skill and occupation concepts, and mapping free text onto them."""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from scipy import sparse

from matching.text import bag_key, normalise, tokens

KINDS = ("skill", "occupation")
BUILTIN_PATH = Path(__file__).parent / "data" / "taxonomy.json"

# Match confidences by route: a preferred or alternative label found verbatim beats the same
# words in another order, which beats a fuzzy hit.
EXACT_SCORE = 1.0
BAG_SCORE = 0.95
SPELLING_FACTOR = 0.92
FUZZY_FACTOR = 0.9
FUZZY_FLOOR = 0.86
CACHE_LIMIT = 1_000_000
PARTIAL_SCORE = 0.8
PARTIAL_LIMIT = 12


@dataclass(frozen=True, slots=True)
class Concept:
    """A skill or occupation of the taxonomy, with its labels per language."""

    id: str
    kind: str
    preferred: Mapping[str, tuple[str, ...]]
    alternative: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    isco_group: str = ""
    code: str = ""
    essential_skills: tuple[str, ...] = ()
    optional_skills: tuple[str, ...] = ()

    def label(self, language: str = "en") -> str:
        """The preferred label in a language, falling back to English then any."""
        for lang in (language, "en", *sorted(self.preferred)):
            if self.preferred.get(lang):
                return self.preferred[lang][0]
        return self.id

    def all_labels(self) -> Iterable[tuple[str, bool]]:
        """Every label in every language, with whether it is preferred."""
        for lang in sorted(self.preferred):
            for text in self.preferred[lang]:
                yield text, True
        for lang in sorted(self.alternative):
            for text in self.alternative[lang]:
                yield text, False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the shape of the built-in taxonomy file)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "preferred": {k: list(v) for k, v in sorted(self.preferred.items())},
            "alternative": {k: list(v) for k, v in sorted(self.alternative.items()) if v},
        }
        if self.kind == "occupation":
            d.update(
                isco_group=self.isco_group,
                code=self.code,
                essential_skills=list(self.essential_skills),
                optional_skills=list(self.optional_skills),
            )
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Concept:
        """Inverse of to_dict."""
        return cls(
            id=d["id"],
            kind=d["kind"],
            preferred={k: tuple(v) for k, v in d.get("preferred", {}).items()},
            alternative={k: tuple(v) for k, v in d.get("alternative", {}).items()},
            isco_group=d.get("isco_group", ""),
            code=d.get("code", ""),
            essential_skills=tuple(d.get("essential_skills", ())),
            optional_skills=tuple(d.get("optional_skills", ())),
        )


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    """One concept a text was mapped to, how confidently, and through which label."""

    concept_id: str
    score: float
    label: str


def _label_variants(text: str) -> list[str]:
    """A label plus its gendered halves ('directeur technique/directrice technique')."""
    variants = [text]
    parts = [p.strip() for p in text.split("/")]
    if len(parts) > 1 and all(" " in p or len(p) > 3 for p in parts):
        variants += parts
    # 'e-commerce' is also written 'ecommerce'.
    variants += [v.replace("-", "") for v in variants if "-" in v]
    return variants


class _FuzzyIndex:
    """Character n-gram TF-IDF over labels, re-scored with rapidfuzz."""

    def __init__(self, labels: Sequence[str], *, fast: bool) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.labels = list(labels)
        # The fast variant drops n-grams common to over 1% of labels: their postings dominate cost.
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(4, 4) if fast else (3, 3),
            max_df=0.01 if fast and len(self.labels) >= 10_000 else 1.0,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.matrix_t = sparse.csr_matrix(self.vectorizer.fit_transform(self.labels)).T.tocsr()

    def lookup(self, texts: Sequence[str], *, candidates: int = 8) -> list[list[tuple[str, float]]]:
        """Best labels for each normalised text as (label, rapidfuzz score 0-1), best first."""
        out: list[list[tuple[str, float]]] = []
        for start in range(0, len(texts), 2048):
            chunk = texts[start : start + 2048]
            sims = sparse.csr_matrix(self.vectorizer.transform(chunk) @ self.matrix_t)
            for row, text in enumerate(chunk):
                lo, hi = sims.indptr[row], sims.indptr[row + 1]
                if lo == hi:
                    out.append([])
                    continue
                cols, vals = sims.indices[lo:hi], sims.data[lo:hi]
                top = cols[np.argsort(-vals, kind="stable")[:candidates]]
                scored = []
                for col in top:
                    label = self.labels[col]
                    score = max(fuzz.ratio(text, label), fuzz.token_sort_ratio(text, label)) / 100
                    scored.append((label, score))
                scored.sort(key=lambda x: (-x[1], x[0]))
                out.append(scored)
        return out


class Taxonomy:
    """A set of concepts with a text-to-concept mapper (exact, word-order-free, then fuzzy)."""

    def __init__(
        self, concepts: Iterable[Concept], *, isco_labels: Mapping[str, str] | None = None
    ) -> None:
        self.concepts: tuple[Concept, ...] = tuple(sorted(concepts, key=lambda c: c.id))
        self.isco_labels: dict[str, str] = dict(isco_labels or {})
        self._by_id = {c.id: c for c in self.concepts}
        self._by_code: dict[str, str] = {}
        for c in self.concepts:
            if c.code:
                self._by_code.setdefault(c.code, c.id)
        self._exact: dict[str, dict[str, list[tuple[str, bool]]]] = {
            k: defaultdict(list) for k in KINDS
        }
        self._bag: dict[str, dict[str, list[str]]] = {k: defaultdict(list) for k in KINDS}
        for c in self.concepts:
            if c.kind not in KINDS:
                raise ValueError(f"concept {c.id}: kind must be one of {KINDS}, got {c.kind!r}")
            seen: set[str] = set()
            for text, is_preferred in c.all_labels():
                for variant in _label_variants(text):
                    key = normalise(variant)
                    if not key or key in seen:
                        continue
                    seen.add(key)
                    self._exact[c.kind][key].append((c.id, is_preferred))
                    bag = bag_key(variant)
                    if bag and c.id not in self._bag[c.kind][bag]:
                        self._bag[c.kind][bag].append(c.id)
        self._vocab: dict[str, int] = defaultdict(int)
        for kind_labels in self._exact.values():
            for key in kind_labels:
                for word in key.split():
                    self._vocab[word] += 1
        self._vocab = dict(self._vocab)
        self._deletes: dict[str, list[str]] | None = None
        self._words: dict[str, dict[str, set[str]]] | None = None
        self._idf: tuple[dict[str, float], float] | None = None
        self._fuzzy: dict[tuple[str, int], _FuzzyIndex] = {}
        self._cache: dict[str, dict[str, tuple[ConceptMatch, ...]]] = {k: {} for k in KINDS}

    def __getstate__(self) -> dict[str, Any]:
        # Caches and lazily built fuzzy indexes are cheap to rebuild and can be large.
        state = dict(self.__dict__)
        state.update(_deletes=None, _words=None, _fuzzy={}, _cache={k: {} for k in KINDS})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # -- lookup -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._by_id

    def get(self, concept_id: str) -> Concept | None:
        """The concept with this id (URI), or None."""
        return self._by_id.get(concept_id)

    def resolve_code(self, code: str) -> str | None:
        """Concept id for an id, URI or ESCO code; None if unknown."""
        code = code.strip()
        if code in self._by_id:
            return code
        return self._by_code.get(code)

    def isco_of(self, concept_id: str) -> str:
        """ISCO-08 unit group of an occupation ('' when unknown)."""
        c = self._by_id.get(concept_id)
        return c.isco_group if c else ""

    @property
    def occupations(self) -> list[Concept]:
        """All occupation concepts, by id."""
        return [c for c in self.concepts if c.kind == "occupation"]

    # -- text to concepts ---------------------------------------------------------------------

    def match(self, text: str, *, kind: str = "skill") -> tuple[ConceptMatch, ...]:
        """Concepts a free-text phrase denotes, best first (empty when nothing fits)."""
        return self.match_many([text], kind=kind)[0]

    def match_many(
        self, texts: Sequence[str], *, kind: str = "skill"
    ) -> list[tuple[ConceptMatch, ...]]:
        """Batch form of match: fuzzy lookups for all unmatched texts go through one pass."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        cache = self._cache[kind]
        if len(cache) > CACHE_LIMIT:
            cache.clear()  # typo-ridden inputs could otherwise grow it without bound
        pending: list[str] = []
        for text in texts:
            if text in cache:
                continue
            found = self._match_exact(text, kind)
            if found is None:
                pending.append(text)
            else:
                cache[text] = found
        if pending:
            pending = list(dict.fromkeys(pending))
            for text, found in zip(pending, self._match_fuzzy(pending, kind), strict=True):
                cache[text] = found or self._match_partial(text, kind)
        return [cache[t] for t in texts]

    def _match_exact(self, text: str, kind: str) -> tuple[ConceptMatch, ...] | None:
        key = normalise(text)
        if not key:
            return ()
        found = self._lookup(key, kind)
        if found is not None:
            return found
        # Typos: try the nearest vocabulary words, a few alternatives each, best combination first.
        options = [self._spellings(word) for word in key.split()]
        if all(len(o) == 1 and o[0] == w for o, w in zip(options, key.split(), strict=True)):
            return None
        for combo in itertools.islice(itertools.product(*options), 27):
            found = self._lookup(" ".join(combo), kind)
            if found:
                return tuple(
                    ConceptMatch(m.concept_id, round(m.score * SPELLING_FACTOR, 4), m.label)
                    for m in found
                )
        return None

    def _lookup(self, key: str, kind: str) -> tuple[ConceptMatch, ...] | None:
        hits = self._exact[kind].get(key)
        if hits:
            # A label that is one concept's preferred term but another's synonym means the former.
            if any(p for _, p in hits):
                hits = [h for h in hits if h[1]]
            ids = sorted({cid for cid, _ in hits})
            return tuple(ConceptMatch(cid, EXACT_SCORE, key) for cid in ids)
        bag = bag_key(key)
        ids = sorted(self._bag[kind].get(bag, ())) if bag else []
        if ids:
            return tuple(ConceptMatch(cid, BAG_SCORE, key) for cid in ids)
        return None

    def _spellings(self, word: str) -> list[str]:
        """The word itself if known, else up to three vocabulary words one edit away, nearest first."""
        if word in self._vocab or len(word) < 4 or not word.isalpha():
            return [word]
        if self._deletes is None:
            self._deletes = defaultdict(list)
            for w in sorted(self._vocab):
                if len(w) >= 4:
                    for i in range(len(w)):
                        self._deletes[w[:i] + w[i + 1 :]].append(w)
        found = set(self._deletes.get(word, ()))
        for i in range(len(word)):
            shorter = word[:i] + word[i + 1 :]
            if shorter in self._vocab:
                found.add(shorter)
            found.update(self._deletes.get(shorter, ()))
        ranked = sorted((OSA.distance(word, w), -self._vocab[w], w) for w in found)
        return [w for dist, _, w in ranked if dist <= 2][:3] or [word]

    def _fuzzy_index(self, kind: str, stage: int) -> _FuzzyIndex:
        if (kind, stage) not in self._fuzzy:
            self._fuzzy[kind, stage] = _FuzzyIndex(sorted(self._exact[kind]), fast=stage == 0)
        return self._fuzzy[kind, stage]

    def _match_fuzzy(self, texts: list[str], kind: str) -> list[tuple[ConceptMatch, ...]]:
        keys = [normalise(t) for t in texts]
        out: list[tuple[ConceptMatch, ...]] = [() for _ in texts]
        if not self._exact[kind]:
            return out
        # A cheap index of rarer 4-grams first; the exhaustive 3-gram one only for what it missed.
        todo = [i for i, k in enumerate(keys) if len(k) >= 4]
        for stage in (0, 1):
            if not todo:
                break
            scored = self._fuzzy_index(kind, stage).lookup([keys[i] for i in todo])
            missed = []
            for i, candidates in zip(todo, scored, strict=True):
                if not candidates or candidates[0][1] < FUZZY_FLOOR:
                    missed.append(i)
                    continue
                best_label, best = candidates[0]
                hits = self._exact[kind][best_label]
                if any(p for _, p in hits):
                    hits = [h for h in hits if h[1]]
                # Fuzzy hits are discounted so a verbatim label always outranks a near miss.
                score = round(best * FUZZY_FACTOR, 4)
                out[i] = tuple(
                    ConceptMatch(c, score, best_label) for c in sorted({c for c, _ in hits})
                )
            todo = missed
        return out

    def _match_partial(self, text: str, kind: str) -> tuple[ConceptMatch, ...]:
        """Concepts with a label containing every word of a short phrase ('nurse'), if only a few."""
        if self._words is None:
            self._words = {k: defaultdict(set) for k in KINDS}
            for k in KINDS:
                for key in self._exact[k]:
                    for w in set(tokens(key)):
                        self._words[k][w].add(key)
        words = set()
        for w in normalise(text).split():
            fixed = self._spellings(w)[0]
            words.update(tokens(fixed))
        if not words or len(words) > 3:
            return ()
        postings = sorted((self._words[kind].get(w, set()) for w in words), key=len)
        labels = set(postings[0]).intersection(*postings[1:])
        best: dict[str, tuple[float, str]] = {}
        for label in labels:
            # Share of the label the phrase accounts for: 'nurse' fits 'specialist nurse' best.
            score = PARTIAL_SCORE * len(words) / max(len(words), len(set(tokens(label))))
            for cid, _ in self._exact[kind][label]:
                if score > best.get(cid, (0.0, ""))[0]:
                    best[cid] = (score, label)
        if not best or len(best) > PARTIAL_LIMIT:
            return ()
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return tuple(ConceptMatch(cid, round(score, 4), label) for cid, (score, label) in ranked)

    # -- occupation/skill structure -----------------------------------------------------------

    @property
    def skill_ids(self) -> list[str]:
        """Skill concept ids in a fixed order."""
        return [c.id for c in self.concepts if c.kind == "skill"]

    def word_idf(self) -> tuple[dict[str, float], float]:
        """Inverse document frequency of word stems over all labels, and the value for unseen words."""
        # Fixed by the taxonomy, not by the members indexed, so incremental equals rebuilt.
        if self._idf is None:
            df: dict[str, int] = defaultdict(int)
            n = 0
            for c in self.concepts:
                for text, _ in c.all_labels():
                    n += 1
                    for w in set(tokens(text)):
                        df[w] += 1
            idf = {w: math.log((n + 1) / (d + 1)) + 1 for w, d in df.items()}
            self._idf = (idf, math.log(n + 1) + 1)
        return self._idf

    # -- persistence --------------------------------------------------------------------------

    def to_json(self, *, compact: bool = False) -> dict[str, Any]:
        """Plain JSON-ready form; compact refers to related skills by list position, not URI."""
        concepts = [c.to_dict() for c in self.concepts]
        if compact:
            position = {c.id: i for i, c in enumerate(self.concepts)}
            for d in concepts:
                for key in ("essential_skills", "optional_skills"):
                    if key in d:
                        d[key] = [position[s] for s in d[key] if s in position]
        return {"isco_labels": dict(sorted(self.isco_labels.items())), "concepts": concepts}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Taxonomy:
        """Inverse of to_json (either form)."""
        raw = data["concepts"]

        def ref(x: str | int) -> str:
            return raw[x]["id"] if isinstance(x, int) else x

        concepts = []
        for d in raw:
            if "essential_skills" in d or "optional_skills" in d:
                d = {
                    **d,
                    "essential_skills": [ref(x) for x in d.get("essential_skills", ())],
                    "optional_skills": [ref(x) for x in d.get("optional_skills", ())],
                }
            concepts.append(Concept.from_dict(d))
        return cls(concepts, isco_labels=data.get("isco_labels"))

    @classmethod
    def builtin(cls) -> Taxonomy:
        """The small taxonomy shipped with the library (shared, built once per process)."""
        return _builtin()


@cache
def _builtin() -> Taxonomy:
    with BUILTIN_PATH.open(encoding="utf-8") as fh:
        return Taxonomy.from_json(json.load(fh))
