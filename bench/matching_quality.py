"""Quality benchmark of matching: nDCG@10 per tier beside a character-TF-IDF baseline.

    python bench/matching_quality.py [--bench ../shared/bench/matching] [--esco ../shared/esco/v1.1.1]

For every tier (easy, hard, lexgap, typo, fr) it ranks with the same function the
`diaspora match rank` command runs, scores the rankings with the tier's own score.py,
and does the same for a baseline computed in this run: TF-IDF over character
3-5-grams of title + skills, hard constraints applied. Target: nDCG@10 at least
0.15 above the baseline on every tier, and no violations. Exit status 1 if missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import Taxonomy  # noqa: E402
from matching.esco import load_esco  # noqa: E402
from matching.io import rank_files  # noqa: E402

TIERS = ("easy", "hard", "lexgap", "typo", "fr")
MARGIN = 0.15


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def baseline(tier: Path, out: Path, top: int) -> None:
    """TF-IDF over character 3-5-grams of title + skills; members breaking a hard constraint dropped."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    members = load_jsonl(tier / "members.jsonl")
    requests = load_jsonl(tier / "requests.jsonl")
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
    )
    matrix = vectorizer.fit_transform(
        [m.get("occupation", "") + " " + " ".join(m.get("skills", [])) for m in members]
    )
    queries = vectorizer.transform(
        [
            r.get("title", "")
            + " "
            + " ".join(r.get("skills_essential", []) + r.get("skills_desirable", []))
            for r in requests
        ]
    )
    sims = (queries @ matrix.T).toarray()
    langs = [set(m.get("languages", [])) for m in members]
    modes = [set(m.get("modes", [])) for m in members]
    years = np.array([m.get("years_experience", 0) for m in members])
    with out.open("w", encoding="utf-8") as fh:
        for i, r in enumerate(requests):
            need = set(r.get("languages", []))
            ok = np.array(
                [need <= langs[j] and r.get("mode") in modes[j] for j in range(len(members))]
            ) & (years >= r.get("min_years_experience", 0))
            scores = np.where(ok, sims[i], -1.0)
            order = np.argsort(-scores, kind="stable")[:top]
            ranking = [
                {"member_id": members[j]["id"], "score": round(float(scores[j]), 6)}
                for j in order
                if scores[j] > 0
            ]
            fh.write(json.dumps({"request_id": r["id"], "ranking": ranking}) + "\n")


def score(bench: Path, tier: str, rankings: Path) -> dict:
    """The tier's own scorer, run as documented in its README."""
    done = subprocess.run(
        [sys.executable, str(bench / "score.py"), str(bench / tier), str(rankings)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench" / "matching")
    parser.add_argument(
        "--esco",
        type=Path,
        default=Path(
            os.environ.get("DIASPORA_ESCO_PATH") or ROOT.parent / "shared" / "esco" / "v1.1.1"
        ),
    )
    parser.add_argument(
        "--builtin", action="store_true", help="use the built-in taxonomy instead of ESCO"
    )
    parser.add_argument("--tiers", default=",".join(TIERS))
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "matching")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    taxonomy = Taxonomy.builtin() if args.builtin else load_esco(args.esco)
    source = "built-in taxonomy" if args.builtin else f"ESCO at {args.esco}"
    print(
        f"taxonomy: {source}, {len(taxonomy)} concepts, loaded in {time.perf_counter() - started:.1f} s"
    )

    header = f"{'tier':<8} {'baseline':>9} {'ours':>7} {'gain':>7}  {'MRR':>6} {'R@10':>6} {'viol':>5} {'base viol':>9} {'time':>7}  target"
    print(header)
    print("-" * len(header))
    ok = True
    for tier in args.tiers.split(","):
        folder = args.bench / tier
        base_out = args.out / f"{tier}.baseline.jsonl"
        ours_out = args.out / f"{tier}.rankings.jsonl"
        baseline(folder, base_out, args.top)
        t = time.perf_counter()
        rank_files(
            folder / "members.jsonl",
            folder / "requests.jsonl",
            ours_out,
            top=args.top,
            taxonomy=taxonomy,
        )
        elapsed = time.perf_counter() - t
        base, ours = score(args.bench, tier, base_out), score(args.bench, tier, ours_out)
        gain = ours["ndcg@10"] - base["ndcg@10"]
        met = gain >= MARGIN and ours["violations"] == 0
        ok &= met
        print(
            f"{tier:<8} {base['ndcg@10']:>9.4f} {ours['ndcg@10']:>7.4f} {gain:>+7.4f}  {ours['mrr']:>6.4f} "
            f"{ours['recall@10']:>6.4f} {ours['violations']:>5} {base['violations']:>9} {elapsed:>6.1f}s  "
            f"{'met' if met else 'MISSED'} (gain >= {MARGIN}, 0 violations)",
            flush=True,
        )
    print(f"total {time.perf_counter() - started:.0f} s; rankings in {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
