"""Small-cell suppression for viewers who may only see aggregates (institution users).

The rules, applied to every table before it reaches a page, an export or the API:

1. **Primary**: a count from 1 to 4 is shown as ``< 5``. Zero is shown (categories nobody
   falls in are simply absent).
2. **Secondary, within a partition**: where the rows of a table split the members of the
   view (country of residence, age band, gender...), the total is known (it is the number
   of members in the view, also shown), so one hidden cell could be worked out by
   subtraction. While any hidden small cell could still be pinned to one value from the
   total and the bounds the markers give (``< 5`` means 1-4, ``x`` means 5 or more), the
   next smallest visible cell is hidden too and shown as ``x``. If nothing is left to hide
   and a cell is still pinned, every hidden cell of the group becomes ``x`` (no bound).
3. **Complement**: in tables where a member can be in several rows (languages, modes,
   contributions, skills) each row is a yes/no split of the view, so a row is also hidden
   (``x``) when the members *not* in it number 1-4.
4. Totals: the number of members in a view under 5 is itself shown as ``< 5``; every
   non-empty cell of such a view is then small, and no cell can be worked out from a
   total that is not known.
5. A table where even that leaves every cell pinned (each category holds exactly one
   member) is not shown at all.

Free-text categories (field of education, preferred duration) shown to these viewers fold
their small rows into one "Other" row first, so an identifying label never appears.
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 5
SMALL = "< 5"
HIDDEN = "x"


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def _pinned(values: Sequence[int], marks: Sequence[str | None]) -> bool:
    """Whether some small hidden cell has only one possible value given the group total."""
    primary = [i for i, m in enumerate(marks) if m == SMALL]
    if not primary:
        return False
    secondary = [i for i, m in enumerate(marks) if m == HIDDEN]
    hidden_sum = sum(values[i] for i in (*primary, *secondary))
    others = len(primary) - 1
    rest_min = others + THRESHOLD * len(secondary)
    rest_max = None if secondary else others * (THRESHOLD - 1)
    low = 1 if rest_max is None else max(1, hidden_sum - rest_max)
    high = min(THRESHOLD - 1, hidden_sum - rest_min)
    return low >= high


def protect_partition(values: Sequence[int]) -> list[str | None]:
    """Markers (None = show) for cells that add up to a total shown with them (itself
    shown as "< 5" when small, so then nothing can be subtracted from it)."""
    marks: list[str | None] = [SMALL if is_small(v) else None for v in values]
    if is_small(sum(values)):
        return marks
    while _pinned(values, marks):
        visible = [i for i, v in enumerate(values) if marks[i] is None and v > 0]
        if not visible:
            marks = [HIDDEN if m else None for m in marks]
            break
        marks[min(visible, key=lambda i: (values[i], i))] = HIDDEN
    return marks


def unprotectable(values: Sequence[int], marks: Sequence[str | None]) -> bool:
    """Every non-empty cell is hidden and each must be exactly 1: only the labels are left
    to give away, so the table cannot be shown at all."""
    hidden = [values[i] for i, m in enumerate(marks) if m]
    nonzero = [v for v in values if v > 0]
    if not hidden or len(hidden) != len(nonzero):
        return False
    if sum(hidden) < THRESHOLD:
        # The total is hidden too ("< 5"): only as many categories as the largest small
        # count pins each of them to 1.
        return len(hidden) == THRESHOLD - 1
    return sum(hidden) == len(hidden)


def protect_share(value: int, total: int) -> str | None:
    """Marker for a yes-count whose complement (total - value) is also known."""
    if is_small(value):
        return SMALL
    if is_small(total - value):
        return HIDDEN
    return None


def shown(value: int, mark: str | None) -> int | str:
    return value if mark is None else mark
