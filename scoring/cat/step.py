"""The stateless CAT step: θ, stopping and the next item from a candidate's history.

θ is the EAP estimate (Bock & Mislevy 1982) on the bank's grid with the bank's normal prior, the
same estimate as ``estimate_ability(..., "eap", quadrature=bank.quadrature)``. Selection uses
the grid node nearest to θ̂ (grid step 0.1 by default), which lets maximum information read a
precomputed ranking instead of evaluating every item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import numpy.typing as npt

from scoring.arrays import BoolArray, FloatArray, IntArray, random_state

from .bank import Bank
from .errors import CATError
from .stopping import _StopInput

if TYPE_CHECKING:
    from .rules import CATRules

__all__ = ["CATStep", "next_item"]

#: (person row, bank position) of the items an exposure rule passed over.
SetAside: TypeAlias = list[tuple[int, int]]


@dataclass
class _Persons:
    """Per-person arrays of a batch of candidates (one row per person)."""

    loglik: FloatArray  # (n, Q) log-likelihood of the scored responses
    blocked: BoolArray  # (n, J) administered (scored or pilot), set aside or otherwise excluded
    counts: IntArray  # (n, C) scored items per category
    n_scored: IntArray  # (n,)
    n_delivered: IntArray  # (n,) scored + pilot
    n_blocked: IntArray  # (n,)
    elapsed: FloatArray  # (n,)
    given: BoolArray  # (n, J) scored items administered
    #: (n,) grid node of θ̂: scratch space the step fills before selection (empty until then)
    node: IntArray = field(default_factory=lambda: np.zeros(0, np.intp))

    def take(self, rows: IntArray) -> _Persons:
        fields = ("loglik", "blocked", "counts", "n_scored", "n_delivered", "n_blocked", "elapsed", "given")
        return _Persons(*(getattr(self, f)[rows] for f in fields))


@dataclass(frozen=True)
class _Decision:
    theta: FloatArray
    se: FloatArray
    stop: BoolArray
    reason: npt.NDArray[np.object_]  # str, "" when not stopping
    item: IntArray  # -1 when stopping
    pilot: BoolArray
    set_aside: SetAside


def _decide(bank: Bank, rules: CATRules, persons: _Persons, rng: np.random.Generator) -> _Decision:
    """θ, stopping and the next item for every person of a batch (vectorised over persons)."""
    n = persons.loglik.shape[0]
    theta, se = bank.estimate(persons.loglik)
    stop = np.zeros(n, bool)
    reason = np.full(n, "", dtype=object)
    data = _StopInput(theta, se, persons.n_scored, persons.elapsed, persons.loglik, bank)
    soft_ok = persons.n_scored >= rules.min_length
    for rule in rules.stopping:
        flags, why = rule.check(data)
        if not rule.hard:
            flags = flags & soft_ok
        new = flags & ~stop
        reason[new] = why if isinstance(why, str) else why[new]
        stop |= new
    item = np.full(n, -1, dtype=np.intp)
    pilot = np.zeros(n, bool)
    set_aside: SetAside = []
    go = np.flatnonzero(~stop)
    if go.size and rules.pilot_positions:
        position = persons.n_delivered[go] + 1
        seed = go[np.isin(position, rules.pilot_positions)]
        if seed.size:
            pool = np.flatnonzero(bank.pilot)
            free = ~persons.blocked[np.ix_(seed, pool)]
            scores = np.where(free, rng.random(free.shape), -1.0)
            best = np.argmax(scores, axis=1)
            has = free[np.arange(seed.size), best]
            item[seed[has]] = pool[best[has]]
            pilot[seed[has]] = True
            go = np.setdiff1d(go, seed[has], assume_unique=True)
    if go.size:
        sub = persons if go.size == n else persons.take(go)  # node is scratch space of the step
        sub.node = bank.node(theta[go])
        chosen, aside = _choose_operational(bank, rules, sub, rng)
        item[go] = chosen
        set_aside = [(int(go[r]), int(j)) for r, j in aside]
        out = go[chosen < 0]
        stop[out] = True
        reason[out] = "bank-exhausted"
    return _Decision(theta, se, stop, reason, item, pilot, set_aside)


def _choose_operational(
    bank: Bank, rules: CATRules, sub: _Persons, rng: np.random.Generator
) -> tuple[IntArray, SetAside]:
    """Next operational item for persons who continue; (chosen (n,), [(row, set-aside item)])."""
    if rules.content is not None:
        return rules.content.choose(bank, rules, sub, rng)
    chosen = np.full(sub.node.shape[0], -1, dtype=np.intp)
    aside: SetAside = []
    _pick(bank, rules, None, sub, np.arange(sub.node.shape[0]), rng, chosen, aside)
    return chosen, aside


def _pick(
    bank: Bank,
    rules: CATRules,
    pool: int | None,
    sub: _Persons,
    rows: IntArray,
    rng: np.random.Generator,
    chosen: IntArray,
    aside: SetAside,
) -> None:
    """Selection then exposure control within one pool for the persons ``rows``; fills ``chosen`` and ``aside``."""
    part = sub if rows.shape[0] == sub.node.shape[0] else _subset(sub, rows)
    cands = rules.selection.candidates(bank, pool, part, rules.exposure.need, rng)
    pick, set_aside = rules.exposure.choose(bank, cands, rng)
    chosen[rows] = pick
    if set_aside.any():
        r, k = np.nonzero(set_aside)
        aside.extend(zip(rows[r].tolist(), cands[r, k].tolist(), strict=True))


def _subset(sub: _Persons, rows: IntArray) -> _Persons:
    part = sub.take(rows)
    part.node = sub.node[rows]
    return part


@dataclass(frozen=True)
class CATStep:
    """Outcome of one stateless CAT step.

    Attributes
    ----------
    theta, se : float
        EAP estimate and posterior SD from the scored (non-pilot) responses.
    stop : bool
    reason : str or None
        ``"max-length"``, ``"se"``, ``"time-limit"``, ``"sprt-pass"``, ``"sprt-fail"`` or
        ``"bank-exhausted"`` when stopping.
    item : str or None
        Id of the next item (``None`` when stopping).
    is_pilot : bool
        The next item is an unscored pilot item.
    n_scored : int
    set_aside : tuple of str
        Items passed over by Sympson-Hetter in this step; pass them back in ``set_aside`` of
        later steps so they are not offered again to this candidate.
    """

    theta: float
    se: float
    stop: bool
    reason: str | None
    item: str | None
    is_pilot: bool
    n_scored: int
    set_aside: tuple[str, ...] = ()


def _persons_from_history(
    bank: Bank, administered: Sequence[str], responses: npt.ArrayLike, set_aside: Sequence[str], elapsed: float
) -> _Persons:
    items = bank.index(administered)
    resp = np.asarray(responses, dtype=float).reshape(-1)
    if resp.shape[0] != items.shape[0]:
        raise CATError(f"{items.shape[0]} administered items but {resp.shape[0]} responses.")
    if np.unique(items).shape[0] != items.shape[0]:
        seen: set[str] = set()
        for i in administered:
            if i in seen:
                raise CATError(f"Item {i!r} appears twice among the administered items.")
            seen.add(i)
    k = bank.n_categories[items]
    bad = ~((resp >= 0) & (resp <= k - 1) & (resp == np.floor(resp)))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise CATError(
            f"Response {resp[j]:g} to item {bank.ids[items[j]]!r} is not a category (expected 0..{k[j] - 1})."
        )
    scored = ~bank.pilot[items]
    si, sr = items[scored], resp[scored].astype(np.intp)
    loglik = bank.log_p[si, sr].sum(axis=0)[None, :] if si.size else np.zeros((1, bank.nodes.shape[0]))
    blocked = np.zeros((1, bank.n_items), bool)
    blocked[0, items] = True
    aside = bank.index(set_aside) if len(set_aside) else np.zeros(0, np.intp)
    blocked[0, aside] = True
    counts = np.bincount(bank.category[si], minlength=len(bank.category_names))[None, :]
    given = np.zeros((1, bank.n_items), bool)
    given[0, si] = True
    return _Persons(
        loglik,
        blocked,
        counts,
        np.array([si.shape[0]]),
        np.array([items.shape[0]]),
        np.array([int(blocked.sum())]),
        np.array([float(elapsed)]),
        given,
    )


def next_item(
    bank: Bank,
    rules: CATRules,
    administered: Sequence[str] = (),
    responses: Sequence[float] | np.ndarray = (),
    *,
    set_aside: Sequence[str] = (),
    elapsed: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> CATStep:
    """One stateless CAT step: θ, SE, stop decision and the next item.

    ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items (GRM/GPCM otherwise).
    The rules are checked against the bank (:meth:`CATRules.check`) and the candidate's history
    is validated on every call, so bad input ends in a :class:`CATError`, never in a crash.

    Parameters
    ----------
    bank : Bank
    rules : CATRules
    administered : sequence of str
        Item ids in the order given (scored and pilot items).
    responses : sequence of float, same length
        Category of each response (0/1 for dichotomous items).
    set_aside : sequence of str
        Items earlier steps set aside (Sympson-Hetter); never offered again.
    elapsed : float
        Seconds the candidate has used (for :class:`TimeLimit`).
    rng : numpy.random.Generator, int or None
        Randomness of randomesque, Sympson-Hetter and pilot seeding.

    Returns
    -------
    CATStep

    Raises
    ------
    CATError
        A bank too small for the test, a blueprint the bank cannot meet, unknown item ids,
        repeated items, responses outside an item's categories, or no item left to meet the
        content blueprint.
    """
    rules.check(bank)
    persons = _persons_from_history(bank, list(administered), responses, list(set_aside), elapsed)
    decision = _decide(bank, rules, persons, random_state(rng))
    stop = bool(decision.stop[0])
    j = int(decision.item[0])
    if stop and decision.reason[0] == "bank-exhausted" and rules.content is not None:
        left = rules.content.target_vector(bank) - persons.counts[0]
        short = [bank.category_names[c] for c in np.flatnonzero(left > 0)]
        if short:
            raise CATError(f"No eligible item is left to meet the blueprint in category {short[0]!r}.")
    return CATStep(
        theta=float(decision.theta[0]),
        se=float(decision.se[0]),
        stop=stop,
        reason=str(decision.reason[0]) if stop else None,
        item=None if stop or j < 0 else bank.ids[j],
        is_pilot=bool(decision.pilot[0]),
        n_scored=int(persons.n_scored[0]),
        set_aside=tuple(bank.ids[i] for _, i in decision.set_aside),
    )
