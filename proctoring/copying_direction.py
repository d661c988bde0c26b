"""Who copied whom in a flagged pair: the direction of the omega evidence and the answer order.

Wollack's (1997) ω is directional: ``ω_cs`` takes the source's responses as fixed and asks how
unlikely the copier's matches are at the copier's own ability. Both directions of a pair are
usually extreme, and the larger one mostly reflects the two abilities (matches are less expected
for the weaker candidate), so ω alone is weak evidence of who copied. Time is direct evidence: an
answer can only be copied once the source has given it, so the copier answers the matching items
after the source (the idea behind using response times to detect collusion; van der Linden 2009,
"A bivariate lognormal response-time model for the detection of collusion between test takers",
J. Educational and Behavioral Statistics 34(3)).

The rule: among the items on which both gave the same response with a server time each, count
who answered later. If one of them answered later significantly more often than chance (a
two-sided sign test, H0: each order equally likely, at :data:`TIMING_ALPHA`, with at least
:data:`MIN_TIMED_MATCHES` timed matches), that one is named the copier ("timing"); otherwise the
direction with the larger ω is named ("omega"). Both facts are always reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fewer timed matches than this cannot show an order (a sign test on 9 pairs needs 9 of 9 for
#: p < 0.01).
MIN_TIMED_MATCHES = 10
TIMING_ALPHA = 0.01


@dataclass(frozen=True)
class PairDirection:
    """The direction of a copying pair (rows of the choice matrix).

    Attributes
    ----------
    copier, source : int
        The rows named copier and source.
    basis : {"timing", "omega"}
        What named them: the answer order, or the larger ω when the order is inconclusive.
    omega_copier : int
        The row whose ω as copier is the larger one (the direction of the larger evidence).
    omega : float
        That larger ω.
    matches : int
        Items both answered with the same response and a time each.
    copier_later : int
        Of those, how many the named copier answered after the source.
    timing_p : float
        Two-sided sign-test p of the order (1.0 when there are no timed matches).
    """

    copier: int
    source: int
    basis: str
    omega_copier: int
    omega: float
    matches: int
    copier_later: int
    timing_p: float


def copying_direction(omega: np.ndarray, choices: np.ndarray, times: np.ndarray, i: int, j: int) -> PairDirection:
    """Name the copier of the pair (i, j).

    Parameters
    ----------
    omega : ndarray of shape (n_persons, n_persons)
        ``omega[c, s]`` with c as copier and s as source (:class:`proctoring.forensics.CopyingIndex`).
    choices : int ndarray of shape (n_persons, n_items); -1 = unanswered
    times : ndarray of shape (n_persons, n_items)
        When each answer was saved (seconds on one clock, e.g. POSIX time of the server); NaN when
        unknown.
    i, j : int
        Rows of the pair.

    Returns
    -------
    PairDirection
    """
    x = np.asarray(choices)
    t = np.asarray(times, dtype=float)
    om = np.asarray(omega, dtype=float)
    forward, backward = om[i, j], om[j, i]
    if np.isnan(backward) or (not np.isnan(forward) and forward >= backward):
        omega_copier, larger = i, forward
    else:
        omega_copier, larger = j, backward
    same = (x[i] >= 0) & (x[i] == x[j]) & np.isfinite(t[i]) & np.isfinite(t[j]) & (t[i] != t[j])
    matches = int(same.sum())
    i_later = int((t[i][same] > t[j][same]).sum())
    j_later = matches - i_later
    from scipy.stats import binomtest  # here, not at the top: scipy.stats costs every process 0.3 s

    timing_p = float(binomtest(i_later, matches, 0.5).pvalue) if matches else 1.0
    if matches >= MIN_TIMED_MATCHES and timing_p < TIMING_ALPHA:
        copier, basis = (i, "timing") if i_later > j_later else (j, "timing")
    else:
        copier, basis = omega_copier, "omega"
    source = j if copier == i else i
    later = i_later if copier == i else j_later
    return PairDirection(copier, source, basis, omega_copier, float(larger), matches, later, timing_p)
