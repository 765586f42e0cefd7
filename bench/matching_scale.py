"""Speed benchmark of the matching index: build time, memory and query latency at scale.

    python bench/matching_scale.py [--members 1000000] [--requests 200] [--esco PATH]

Generates synthetic member profiles in the style of ../shared/bench/matching (an ESCO
occupation each: a title from its labels or none, some of its skills written with
alternative labels, random noise skills), builds the index, ranks requests (top 10,
with explanations) and prints, measured in the same run: build time, peak memory,
p50/p95 latency; the bare floor (a sparse matrix-vector product and top-k over the
same matrix); and the character-TF-IDF brute-force baseline at 100,000 profiles.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import Member, Request, Taxonomy  # noqa: E402
from matching.index import MatchIndex  # noqa: E402

TARGETS = {"p50_ms": 50, "p95_ms": 150, "build_s": 120, "peak_gb": 3.0, "speedup": 20}
LANGS = ["en", "fr", "de", "es", "pt", "ar", "sw", "so", "sq", "it"]
MODES = ["temporary", "virtual", "permanent"]
EDUCATION = ["secondary", "vocational", "bachelor", "master", "doctorate"]


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def load_taxonomy(path: str | None) -> Taxonomy:
    """ESCO when available (the realistic size), else the built-in taxonomy."""
    if path and Path(path).exists():
        from matching.esco import load_esco

        return load_esco(path)
    print(f"ESCO not found at {path}; using the built-in taxonomy", file=sys.stderr)
    return Taxonomy.builtin()


class Generator:
    """Synthetic members and requests from a taxonomy's occupations, skills and labels (fixed seed)."""

    def __init__(self, taxonomy: Taxonomy, *, seed: int = 20240601) -> None:
        self.rng = np.random.default_rng(seed)
        skills = {c.id: c for c in taxonomy.concepts if c.kind == "skill"}
        self.skill_labels = [self._labels(c) for c in skills.values()]
        self.skill_pos = {cid: i for i, cid in enumerate(skills)}
        self.occupations = [
            c
            for c in taxonomy.concepts
            if c.kind == "occupation" and (c.essential_skills or c.optional_skills)
        ]
        self.titles = [self._labels(c) for c in self.occupations]
        self.occ_skills = [
            [
                self.skill_pos[s]
                for s in (*c.essential_skills, *c.optional_skills)
                if s in self.skill_pos
            ]
            for c in self.occupations
        ]

    @staticmethod
    def _labels(concept) -> list[str]:
        labels = [*concept.preferred.get("en", ()), *concept.alternative.get("en", ())]
        return labels or [concept.label()]

    def _label(self, labels: list[str], u: float) -> str:
        return labels[int(u * len(labels))]

    def members(self, n: int) -> list[Member]:
        """n members; a third without a title (like the 'hard' tier)."""
        rng = self.rng
        occ = rng.integers(len(self.occupations), size=n)
        own = rng.integers(3, 10, size=n)
        noise = rng.integers(2, 7, size=n)
        has_title = rng.random(n) > 0.33
        n_lang = rng.integers(0, 3, size=n)
        mode_mask = rng.integers(1, 8, size=n)
        years = rng.integers(0, 31, size=n)
        edu = rng.integers(len(EDUCATION), size=n)
        uniforms = rng.random((n, 2 * 9 + 2 * 6 + 1 + 2))
        noise_skills = rng.integers(len(self.skill_labels), size=(n, 6))
        other_langs = rng.integers(1, len(LANGS), size=(n, 2))
        out = []
        for i in range(n):
            o = int(occ[i])
            u = uniforms[i]
            pool = self.occ_skills[o]
            skills = [
                self._label(self.skill_labels[pool[int(u[j] * len(pool))]], u[9 + j])
                for j in range(int(own[i]))
            ]
            skills += [
                self._label(self.skill_labels[int(noise_skills[i, j])], u[18 + j])
                for j in range(int(noise[i]))
            ]
            langs = ["en", *(LANGS[int(x)] for x in other_langs[i, : int(n_lang[i])])]
            out.append(
                Member(
                    id=f"m{i:07d}",
                    occupation=self._label(self.titles[o], u[30]) if has_title[i] else "",
                    skills=tuple(dict.fromkeys(skills)),
                    languages=tuple(sorted(set(langs))),
                    modes=tuple(m for b, m in enumerate(MODES) if mode_mask[i] & (1 << b)),
                    years_experience=int(years[i]),
                    education=EDUCATION[int(edu[i])],
                )
            )
        return out

    def requests(self, n: int) -> list[Request]:
        """n requests, each an occupation's preferred title with some of its skills."""
        rng = self.rng
        out = []
        for i in range(n):
            o = self.occupations[int(rng.integers(len(self.occupations)))]
            ess = [
                self.skill_labels[self.skill_pos[s]][0]
                for s in o.essential_skills
                if s in self.skill_pos
            ]
            opt = [
                self.skill_labels[self.skill_pos[s]][0]
                for s in o.optional_skills
                if s in self.skill_pos
            ]
            rng.shuffle(ess)
            rng.shuffle(opt)
            out.append(
                Request(
                    id=f"r{i:05d}",
                    title=o.label(),
                    skills_essential=tuple(ess[: int(rng.integers(4, 8))]),
                    skills_desirable=tuple(opt[: int(rng.integers(0, 4))]),
                    languages=("en",),
                    mode=MODES[int(rng.integers(3))],
                    min_years_experience=int(rng.integers(0, 6)),
                )
            )
        return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def time_queries(fn, requests: list[Request]) -> list[float]:
    """Latency of fn(request) per request, in milliseconds."""
    out = []
    for r in requests:
        t = time.perf_counter()
        fn(r)
        out.append((time.perf_counter() - t) * 1000)
    return out


def floor_query(index: MatchIndex, request: Request, k: int = 10) -> np.ndarray:
    """The bare floor: one sparse matrix-vector product over the member matrix and a top-k."""
    query = index.encoder_.encode_request(request, index.weights)
    q = np.zeros(index.encoder_.n_columns, dtype=np.float32)
    q[query.columns] = query.weights
    scores = index._main @ q  # noqa: SLF001 - the benchmark measures the index's own matrix
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


class TfidfBaseline:
    """TF-IDF over character 3-5-grams of title + skills, hard constraints applied.

    ``rank`` is brute force as usually written (every profile scored: profiles @ query);
    ``rank_inverted`` multiplies through a precomputed transposed (n-gram x profile)
    matrix, which only touches profiles sharing an n-gram with the query.
    """

    def __init__(self, members: list[Member]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
        )
        self.matrix = self.vectorizer.fit_transform(
            [m.occupation + " " + " ".join(m.skills) for m in members]
        ).tocsr()
        self.matrix_t = self.matrix.T.tocsr()
        self.years = np.array([m.years_experience for m in members])
        self.langs = [frozenset(m.languages) for m in members]
        self.modes = [frozenset(m.modes) for m in members]

    def _query(self, request: Request):
        return self.vectorizer.transform(
            [request.title + " " + " ".join(request.skills_essential + request.skills_desirable)]
        )

    def rank(self, request: Request, k: int = 10) -> list[int]:
        scores = (self.matrix @ self._query(request).T).toarray().ravel()
        return self._top(request, scores, k)

    def rank_inverted(self, request: Request, k: int = 10) -> list[int]:
        scores = (self._query(request) @ self.matrix_t).toarray().ravel()
        return self._top(request, scores, k)

    def _top(self, request: Request, scores: np.ndarray, k: int) -> list[int]:
        order = np.argsort(-scores, kind="stable")
        out = []
        need = set(request.languages)
        for i in order:
            if scores[i] <= 0:
                break
            if (
                self.years[i] >= request.min_years_experience
                and request.mode in self.modes[i]
                and need <= self.langs[i]
            ):
                out.append(int(i))
                if len(out) == k:
                    break
        return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--baseline-members", type=int, default=100_000)
    parser.add_argument(
        "--esco",
        default=os.environ.get(
            "DIASPORA_ESCO_PATH", str(ROOT.parent / "shared" / "esco" / "v1.1.1")
        ),
    )
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    t = time.perf_counter()
    taxonomy = load_taxonomy(args.esco)
    print(f"taxonomy: {len(taxonomy)} concepts in {time.perf_counter() - t:.1f} s")
    gen = Generator(taxonomy)
    t = time.perf_counter()
    members = gen.members(args.members)
    requests = gen.requests(args.requests)
    print(
        f"generated {len(members):,} members, {len(requests)} requests in {time.perf_counter() - t:.1f} s"
    )
    gc.collect()
    rss_before = peak_rss_gb()

    t = time.perf_counter()
    index = MatchIndex(members, taxonomy=taxonomy)
    build_s = time.perf_counter() - t
    peak_gb = peak_rss_gb()
    print(f"index built in {build_s:.1f} s; {index._main.nnz:,} stored entries")  # noqa: SLF001

    index.rank(requests[0], limit=10)  # warm the taxonomy caches once, as a running app would be
    lat = time_queries(lambda r: index.rank(r, limit=10, explain=True), requests)
    floor = time_queries(lambda r: floor_query(index, r), requests)
    peak_gb = max(peak_gb, peak_rss_gb())

    rows = [
        ("members", f"{len(members):,}", ""),
        ("build time", f"{build_s:.1f} s", f"<= {TARGETS['build_s']} s"),
        ("peak memory (process RSS)", f"{peak_gb:.2f} GB", f"<= {TARGETS['peak_gb']} GB"),
        ("  of which before build", f"{rss_before:.2f} GB", ""),
        (
            "rank p50 (top 10 + explanations)",
            f"{percentile(lat, 50):.1f} ms",
            f"<= {TARGETS['p50_ms']} ms",
        ),
        ("rank p95", f"{percentile(lat, 95):.1f} ms", f"<= {TARGETS['p95_ms']} ms"),
        ("floor p50 (sparse M@q + top-k)", f"{percentile(floor, 50):.1f} ms", ""),
        ("floor p95", f"{percentile(floor, 95):.1f} ms", ""),
    ]

    if not args.skip_baseline:
        n_base = min(args.baseline_members, len(members))
        subset = members[:n_base]
        del index
        gc.collect()
        t = time.perf_counter()
        small = MatchIndex(subset, taxonomy=taxonomy)
        small_build = time.perf_counter() - t
        ours_small = time_queries(lambda r: small.rank(r, limit=10, explain=True), requests)
        del small
        gc.collect()
        t = time.perf_counter()
        baseline = TfidfBaseline(subset)
        base_build = time.perf_counter() - t
        base_lat = time_queries(baseline.rank, requests)
        inv_lat = time_queries(baseline.rank_inverted, requests)
        ours_p50 = statistics.median(ours_small)
        rows += [
            (f"baseline build ({n_base:,}, char 3-5-gram TF-IDF)", f"{base_build:.1f} s", ""),
            (
                "baseline brute force p50 / p95",
                f"{percentile(base_lat, 50):.1f} / {percentile(base_lat, 95):.1f} ms",
                "",
            ),
            (
                "baseline inverted p50 / p95",
                f"{percentile(inv_lat, 50):.1f} / {percentile(inv_lat, 95):.1f} ms",
                "",
            ),
            (
                f"ours at {n_base:,}: build, p50 / p95",
                f"{small_build:.1f} s, {ours_p50:.1f} / {percentile(ours_small, 95):.1f} ms",
                "",
            ),
            (
                f"speed-up at {n_base:,} vs brute force",
                f"{statistics.median(base_lat) / ours_p50:.0f}x",
                f">= {TARGETS['speedup']}x",
            ),
            (
                f"speed-up at {n_base:,} vs inverted",
                f"{statistics.median(inv_lat) / ours_p50:.0f}x",
                "",
            ),
            (
                f"speed-up, ours at {len(members):,} vs brute force at {n_base:,}",
                f"{statistics.median(base_lat) / statistics.median(lat):.0f}x",
                "",
            ),
        ]
        peak_gb = max(peak_gb, peak_rss_gb())
        rows.append(("peak memory incl. baseline", f"{peak_gb:.2f} GB", ""))

    width = max(len(r[0]) for r in rows)
    print()
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")


if __name__ == "__main__":
    main()
