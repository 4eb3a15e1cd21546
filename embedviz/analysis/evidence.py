"""Which items have enough interactions for their vector to mean something.

A factorization learns an item's vector from the people who interacted with it; with one or
two of them the vector is mostly the model's regularisation and a random direction. In a
long-tailed catalogue (a last.fm play-count file: 56 % of 17.6k artists have one listener)
those items make a diffuse cloud that buries the structure of the rest. Measured on a
last.fm-like set with 8 known groups: the share of an artist's 10 nearest laid-out neighbours
in its own group is 0.71 when every artist with ≥ 2 listeners is laid out, 0.78 with ≥ 3,
0.86 with ≥ 5 and 0.93 with ≥ 8.

`choose_min_count` hides the items under `MIN_EVIDENCE` interactions when they are a real part
of the catalogue (at least `MIN_HIDDEN_SHARE`), and nothing otherwise: a catalogue where
nearly every item has enough interactions is laid out whole. (Vector length does not decide it:
in an implicit model length grows with popularity everywhere, not only in the tail.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedviz.validation import check_int

# Thresholds the page offers (interactions).
LADDER = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000)
# Interactions from which an item's vector is taken to mean something.
MIN_EVIDENCE = 5
# Hide the items below it only when they are at least this share of the catalogue.
MIN_HIDDEN_SHARE = 0.10
# Never hide so much that fewer than this many items (or all, when fewer) remain.
MIN_KEPT = 300


@dataclass(frozen=True)
class Threshold:
    """The chosen minimum number of interactions and what it keeps.

    Attributes
    ----------
    min_count : int
        Items with at least this many interactions are laid out (0 or 1: every item).
    kept, hidden : int
        Items at or above / below the threshold.
    reason : str
        One or two sentences on how it was chosen, for the page.
    """

    min_count: int
    kept: int
    hidden: int
    reason: str


def choose_min_count(popularity, *, min_evidence: int = MIN_EVIDENCE, min_share: float = MIN_HIDDEN_SHARE,
                     min_kept: int = MIN_KEPT) -> Threshold:
    """The interaction count from which items are laid out by default.

    Parameters
    ----------
    popularity : array-like, shape (n_items,)
        Interactions per item (0 everywhere when unknown: nothing is hidden).
    min_evidence : int
        Items with fewer interactions have too little evidence for a meaningful vector.
    min_share : float
        They are hidden only when they are at least this share of the catalogue.
    min_kept : int
        The threshold is lowered (along `LADDER`) until at least this many items (or all) remain.

    Returns
    -------
    Threshold
    """
    pop = np.asarray(popularity, dtype=np.float64).reshape(-1)
    min_evidence = check_int("min_evidence", min_evidence, 1)
    n = len(pop)
    if n == 0 or not np.any(pop > 0):
        return Threshold(0, n, 0, "There are no interaction counts, so every vector is laid out.")
    below = float(np.mean(pop < min_evidence))
    if below < min_share:
        unseen = int((pop < 1).sum())
        note = (f" The {unseen:,} with none have no learned vector and are left out." if unseen else "")
        return Threshold(1, n - unseen, unseen, f"Only {below:.0%} of the items have fewer than {min_evidence} "
                                                f"interactions, so every item with any is laid out.{note}")
    count = min_evidence
    while count > 1 and (pop >= count).sum() < min(min_kept, n):
        count = max(c for c in LADDER if c < count)
    kept = int((pop >= count).sum())
    return Threshold(count, kept, n - kept,
                     f"{below:.0%} of the items have fewer than {min_evidence} interactions: too little evidence "
                     f"for their vectors to mean much, and laid out with the rest they bury its structure. "
                     f"The layout shows the {kept:,} items with at least {count}.")
