"""Statistical disclosure control for viewers who may only see aggregates (institution users).

Method: the **cell-key method** of consistent perturbation (developed by the Australian
Bureau of Statistics for TableBuilder, used by the ONS for Census 2021 and recommended by
Eurostat for self-service tables). Why this one: the dashboard is a self-service table
builder (any combination of filters, every table), so a fixed set of published tables with
consistent secondary suppression cannot be kept; and suppression alone was defeated by
subtracting the visible cells of one view from another (issue 11, finding 3). Perturbation
that is *consistent* defeats differencing and averaging alike:

- every member carries a fixed random **record key** (0-255, `MemberProfile.record_key`,
  drawn once at creation by every writer of profiles, never shown);
- a cell's **cell key** is the sum of the record keys of the members it counts, modulo 256
  (the summary keeps the sums per cell next to the counts: sums are additive, so the ORM
  hooks, the incremental refresh and the set-based rebuild all maintain them);
- the **published** count is the true count plus noise looked up in the fixed perturbation
  table below by (true count, cell key). The same set of members is the same cell and gets
  the same noise whatever the query that produced it, so asking again, or by another route,
  tells nothing new; two different cells get (pseudo-)independent noise, so subtracting
  one published cell from another leaves the noise of both in the result.

The perturbation table (documented bounds, published with the dashboard):

- 0 stays 0 (categories nobody falls in are absent);
- 1-4 are never published: each becomes 0 or 5 (5 with probability n/5, so unbiased);
- 5 and more move by at most 2 (-2..+2 with probabilities 5, 20, 50, 20, 5 %), never below 5.

So every published value is consistent with several true values (``possible_counts``):
0 with 0-4, 5 with 1-7, 6 with 5-8, any p >= 7 with p-2..p+2. Totals are cells too and are
perturbed with the same rule, so tables need not add up exactly. Shares are of the published
total.

On top of the perturbation, a view whose population (true count) is under 5 shows no
breakdown at all, and skill filters are limited to published skills (see service.py).

Residual risk (stated because bounded noise cannot remove it entirely): an exact small
value can only be pinned if every other cell of a subtraction *and* the total all received
the extreme noise (+-2, 5 % each) in the same direction while the small cell sits at the
edge of its own range; for a hidden cell of a two-way partition that is about 1 in 2,000,
with three cells about 1 in 40,000, and it vanishes with more. The attacker cannot make it
happen: the same cells always get the same noise. tests/security/test_disclosure.py runs
the subtraction over every filter partition of the demo data and recovers nothing.
"""

from __future__ import annotations

from functools import lru_cache

from diaspora.members.models import RECORD_KEY_RANGE

THRESHOLD = 5
SMALL = "< 5"
KEY_RANGE = RECORD_KEY_RANGE
MAX_NOISE = 2
METHOD = "cell-key"
# Noise for counts of THRESHOLD and more, in 256ths (sums to KEY_RANGE).
NOISE_WEIGHTS = ((-2, 13), (-1, 51), (0, 128), (1, 51), (2, 13))


def cell_key(key_sum: int) -> int:
    return key_sum % KEY_RANGE


@lru_cache(maxsize=64)
def _row(n: int) -> tuple[int, ...]:
    """The published value for each of the 256 cell keys, for a true count `n`."""
    if n <= 0:
        return (0,) * KEY_RANGE
    if n < THRESHOLD:
        fives = round(KEY_RANGE * n / THRESHOLD)
        return tuple(THRESHOLD if key < fives else 0 for key in range(KEY_RANGE))
    row: list[int] = []
    for noise, weight in NOISE_WEIGHTS:
        row.extend([max(THRESHOLD, n + noise)] * weight)
    assert len(row) == KEY_RANGE
    return tuple(row)


def perturb(n: int, key_sum: int) -> int:
    """The published count of a cell of `n` members whose record keys sum to `key_sum`."""
    if n <= 0:
        return 0
    # Rows repeat beyond THRESHOLD + MAX_NOISE (only shifted), so cache by the offset.
    base = min(n, THRESHOLD + MAX_NOISE + 1)
    return _row(base)[cell_key(key_sum)] + (n - base)


def possible_counts(published: int) -> range:
    """Every true count that can be published as `published` (the bounds an attacker knows)."""
    if published <= 0:
        return range(0, THRESHOLD)
    if published == THRESHOLD:
        return range(1, THRESHOLD + MAX_NOISE + 1)
    return range(max(THRESHOLD, published - MAX_NOISE), published + MAX_NOISE + 1)


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD
