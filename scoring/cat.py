"""Computerized adaptive testing (CAT): a precomputed item bank and a stateless CAT step.

Item response functions (logistic metric, D = 1) for dichotomous items::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

and the GRM / GPCM for polytomous items (:mod:`scoring.models`).

How it fits together:

* :class:`Bank` holds everything that does not depend on a candidate: the item parameters, a
  content category, a pilot flag and a Sympson-Hetter exposure parameter per item, and tables on
  an equally spaced θ grid (log category probabilities, Fisher information, and for every node
  the items ranked by information). Build it once per blueprint and keep it in memory.
* :class:`CATRules` holds the rules of a test, each a small class from a registry:
  :data:`SELECTION_RULES` (maximum Fisher information, Kullback-Leibler, random),
  :data:`EXPOSURE_RULES` (none, randomesque, Sympson-Hetter), :data:`CONTENT_RULES` (blueprint
  balancing, shadow test) and :data:`STOPPING_RULES` (maximum length, SE, time limit, SPRT).
  :meth:`CATRules.from_dict` builds them from plain validated data.
* :func:`next_item` is the stateless step: from the administered items and responses it
  returns θ, SE, whether to stop (and why) and the next item. Nothing is kept between calls;
  the only per-candidate state is what the caller passes in (administered items, responses,
  items set aside by Sympson-Hetter, elapsed time).

θ is the EAP estimate (Bock & Mislevy 1982) on the bank's grid with the bank's normal prior, the
same estimate as ``estimate_ability(..., "eap", quadrature=bank.quadrature)``. Selection uses
the grid node nearest to θ̂ (grid step 0.1 by default), which lets maximum information read a
precomputed ranking instead of evaluating every item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .information import item_information
from .models import PROBABILITY_FLOOR, ItemParameters, LatentDistribution, probabilities
from .quadrature import Quadrature, rectangular

__all__ = [
    "CONTENT_RULES",
    "EXPOSURE_RULES",
    "SELECTION_RULES",
    "STOPPING_RULES",
    "Bank",
    "CATError",
    "CATRules",
    "CATStep",
    "ContentBalancing",
    "KullbackLeibler",
    "MaxLength",
    "MaximumInformation",
    "NoExposureControl",
    "RandomItem",
    "Randomesque",
    "SPRT",
    "StandardError",
    "SympsonHetter",
    "TimeLimit",
    "next_item",
]


class CATError(ValueError):
    """Bad CAT input or configuration: unknown items, a bank too small, constraints that cannot be met."""


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ---------------------------------------------------------------------------- bank


class Bank:
    """An item bank prepared for adaptive testing; immutable once built, safe to share.

    Parameters
    ----------
    params : ItemParameters
        ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items; GRM/GPCM allowed.
    categories : sequence of str, length n_items, optional
        Content category (competency) of each item; default one category ``"all"``.
    pilot : sequence of bool, length n_items, optional
        Pilot (unscored) items; they are only given at the rules' pilot positions.
    exposure : sequence of float in (0, 1], length n_items, optional
        Sympson-Hetter exposure parameters ``K_j = P(administer | selected)``; default 1.
    prior : LatentDistribution, optional
        Prior of the EAP estimate; default N(0, 1).
    n_nodes, bound : int, float
        The θ grid: ``n_nodes`` equally spaced points on [-bound, bound] (default step 0.1, which
        keeps the EAP exact to about 1e-4 for posteriors with SD above 0.1).

    Attributes
    ----------
    nodes : ndarray of shape (n_nodes,)
    log_p : ndarray of shape (n_items, max_categories, n_nodes)
        ``log P_jk(θ_q)``.
    info : ndarray of shape (n_nodes, n_items)
        Fisher information ``I_j(θ_q)`` (from :func:`scoring.information.item_information`).
    category : ndarray of int, shape (n_items,)
        Index into ``category_names``.
    """

    def __init__(
        self,
        params: ItemParameters,
        *,
        categories: Sequence[str] | None = None,
        pilot: Sequence[bool] | np.ndarray | None = None,
        exposure: Sequence[float] | np.ndarray | None = None,
        prior: LatentDistribution | None = None,
        n_nodes: int = 101,
        bound: float = 5.0,
    ) -> None:
        n = params.n_items
        if n == 0:
            raise CATError("The item bank is empty.")
        usable = np.isfinite(params.a) & np.isfinite(params.thresholds[:, 0])
        if not usable.all():
            raise CATError(f"Item {params.ids[int(np.flatnonzero(~usable)[0])]} has no usable parameters.")
        labels = ["all"] * n if categories is None else [str(c) for c in categories]
        if len(labels) != n:
            raise CATError(f"{len(labels)} categories given for {n} items.")
        self.params = params
        self.ids = params.ids
        self.n_items = n
        self.category_names: tuple[str, ...] = tuple(dict.fromkeys(labels))
        lookup = {c: i for i, c in enumerate(self.category_names)}
        self.category = np.array([lookup[c] for c in labels], dtype=np.intp)
        self.pilot = np.zeros(n, bool) if pilot is None else np.asarray(pilot, dtype=bool).copy()
        self.exposure = np.ones(n) if exposure is None else np.asarray(exposure, dtype=float).copy()
        if self.pilot.shape != (n,) or self.exposure.shape != (n,):
            raise CATError(f"pilot and exposure need one value per item ({n}).")
        if not ((self.exposure > 0) & (self.exposure <= 1)).all():
            raise CATError("Exposure parameters must lie in (0, 1].")
        self.n_pilot = int(self.pilot.sum())
        self.prior = prior or LatentDistribution()
        self.quadrature: Quadrature = rectangular(n_nodes, bound)
        self.nodes = self.quadrature.nodes
        self.step = float(self.nodes[1] - self.nodes[0])
        self.log_prior = self.quadrature.log_weights(self.prior.mean, self.prior.sd)
        self._moments = np.column_stack([np.ones_like(self.nodes), self.nodes, self.nodes * self.nodes])
        prob = probabilities(params, self.nodes)  # (Q, J, K)
        self.log_p = np.ascontiguousarray(np.log(np.maximum(prob, PROBABILITY_FLOOR)).transpose(1, 2, 0))
        self.info = np.ascontiguousarray(item_information(params, self.nodes))
        self.n_categories = params.n_categories
        self._where = {item: j for j, item in enumerate(self.ids)}
        self._pools: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._kl_tables: tuple[np.ndarray, np.ndarray] | None = None
        for array in (self.category, self.pilot, self.exposure, self.log_p, self.info):
            array.setflags(write=False)

    def with_exposure(self, exposure: np.ndarray) -> Bank:
        """A bank sharing every table but with other Sympson-Hetter parameters."""
        exposure = np.asarray(exposure, dtype=float)
        if exposure.shape != (self.n_items,) or not ((exposure > 0) & (exposure <= 1)).all():
            raise CATError(f"Exposure parameters must be {self.n_items} values in (0, 1].")
        new = object.__new__(Bank)
        new.__dict__.update(self.__dict__)
        new.exposure = exposure.copy()
        new.exposure.setflags(write=False)
        return new

    def index(self, ids: Sequence[str]) -> np.ndarray:
        """Positions of item ids; raises :class:`CATError` naming an unknown id."""
        try:
            return np.fromiter((self._where[str(i)] for i in ids), dtype=np.intp, count=len(ids))
        except KeyError as error:
            raise CATError(f"Item {error.args[0]!r} is not in the item bank.") from None

    def node(self, theta: np.ndarray) -> np.ndarray:
        """Index of the grid node nearest to each θ, int array of the same shape."""
        q = np.rint((np.asarray(theta, dtype=float) - self.nodes[0]) / self.step).astype(np.intp)
        return np.clip(q, 0, self.nodes.shape[0] - 1)

    def pool(self, category: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Operational (non-pilot) items of a category (``None``: all) and their ranking.

        Returns
        -------
        items : ndarray of int, shape (n_pool,)
        ranking : ndarray of int32, shape (n_nodes, n_pool)
            At each node, the pool's items (bank positions) by decreasing information.
        """
        key = -1 if category is None else int(category)
        cached = self._pools.get(key)
        if cached is None:
            keep = ~self.pilot if category is None else (~self.pilot & (self.category == category))
            items = np.flatnonzero(keep)
            order = np.argsort(-self.info[:, items], axis=1, kind="stable")
            ranking = items[order].astype(np.int32)
            items.setflags(write=False)
            ranking.setflags(write=False)
            cached = self._pools[key] = (items, ranking)
        return cached

    def kl_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (n_items, K, n_nodes) and cumulative log probabilities (n_items, K, n_nodes + 1)."""
        if self._kl_tables is None:
            p = np.exp(self.log_p)
            cum = np.concatenate([np.zeros(self.log_p.shape[:2] + (1,)), np.cumsum(self.log_p, axis=2)], axis=2)
            self._kl_tables = (p, cum)
        return self._kl_tables

    def estimate(self, loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """EAP θ and posterior SD from log-likelihoods on the grid (Bock & Mislevy 1982).

        Parameters
        ----------
        loglik : ndarray of shape (n_persons, n_nodes)

        Returns
        -------
        theta, se : ndarray of shape (n_persons,)
        """
        post = loglik + self.log_prior
        post -= post.max(axis=1, keepdims=True)
        np.maximum(post, -80.0, out=post)  # weights below e^-80 are nil; subnormal exponentials are slow
        np.exp(post, out=post)
        moments = post @ self._moments  # the total, Σ θ and Σ θ² weights in one pass
        mean = moments[:, 1] / moments[:, 0]
        second = moments[:, 2] / moments[:, 0]
        return mean, np.sqrt(np.maximum(second - mean * mean, 0.0))


# ---------------------------------------------------------------------------- selection rules


class SelectionRule:
    """Ranks the eligible items of a pool for each person, best first."""

    name = ""

    def candidates(self, bank, pool, persons, need, rng) -> np.ndarray:
        """Up to ``need`` eligible items per person, best first, padded with -1.

        Parameters
        ----------
        bank : Bank
        pool : int or None
            Category index (``None`` = every operational item).
        persons : _Persons
            The persons' state (θ node, counts, blocked items).
        need : int
        rng : numpy.random.Generator

        Returns
        -------
        ndarray of int, shape (n_persons, need)
        """
        raise NotImplementedError

    def to_dict(self) -> dict:
        """Plain-data form, the inverse of the registry lookup."""
        return {"rule": self.name}


def _top_from_scores(scores: np.ndarray, items: np.ndarray, blocked: np.ndarray, need: int) -> np.ndarray:
    """Best ``need`` unblocked items per row from a (n_persons, n_pool) score matrix."""
    scores = np.where(blocked, -np.inf, scores)
    need_here = min(need, items.shape[0])
    if need_here < items.shape[0]:
        top = np.argpartition(-scores, need_here - 1, axis=1)[:, :need_here]
    else:
        top = np.broadcast_to(np.arange(items.shape[0]), scores.shape).copy()
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    ok = np.isfinite(np.take_along_axis(top_scores, order, axis=1))
    out = np.full((scores.shape[0], need), -1, dtype=np.intp)
    out[:, :need_here] = np.where(ok, items[top], -1)
    return out


@dataclass(frozen=True)
class MaximumInformation(SelectionRule):
    """Maximum Fisher information at θ̂ (Lord 1980), read from the bank's precomputed ranking."""

    name = "mfi"

    def candidates(self, bank, pool, persons, need, rng):
        items, ranking = bank.pool(pool)
        width = min(items.shape[0], need + int(persons.n_blocked.max(initial=0)))
        ranked = ranking[persons.node, :width]  # (n, width)
        ok = ~np.take_along_axis(persons.blocked, ranked.astype(np.intp), axis=1)
        order = np.argsort(~ok, axis=1, kind="stable")[:, :need]
        picked = np.take_along_axis(ranked, order, axis=1).astype(np.intp)
        good = np.take_along_axis(ok, order, axis=1)
        out = np.full((ranked.shape[0], need), -1, dtype=np.intp)
        out[:, : picked.shape[1]] = np.where(good, picked, -1)
        return out


@dataclass(frozen=True)
class KullbackLeibler(SelectionRule):
    """Kullback-Leibler information over ``θ̂ ± z / sqrt(n)`` (Chang & Ying 1996).

    ``KL_j(θ̂) = ∫ sum_k P_jk(θ̂) log(P_jk(θ̂) / P_jk(θ)) dθ`` over the window, integrated on the
    bank's grid; n is the number of scored items (at least 1).
    """

    z: float = 3.0
    name = "kl"

    def candidates(self, bank, pool, persons, need, rng):
        items, _ = bank.pool(pool)
        p, cum = bank.kl_tables()
        n_nodes = bank.nodes.shape[0]
        half = np.rint(self.z / np.sqrt(np.maximum(persons.n_scored, 1)) / bank.step).astype(np.intp)
        lo = np.maximum(persons.node - half, 0)
        hi = np.minimum(persons.node + half, n_nodes - 1)
        width = (hi - lo + 1).astype(float)
        p0 = p[items][:, :, persons.node]  # (J, K, n)
        lp0 = bank.log_p[items][:, :, persons.node]
        window = cum[items][:, :, hi + 1] - cum[items][:, :, lo]
        kl = (p0 * (width * lp0 - window)).sum(axis=1).T * bank.step  # (n, J)
        return _top_from_scores(kl, items, persons.blocked[:, items], need)

    def to_dict(self):
        return {"rule": self.name, "z": self.z}


@dataclass(frozen=True)
class RandomItem(SelectionRule):
    """Items in random order: the non-adaptive baseline."""

    name = "random"

    def candidates(self, bank, pool, persons, need, rng):
        items, _ = bank.pool(pool)
        scores = rng.random((persons.node.shape[0], items.shape[0]))
        return _top_from_scores(scores, items, persons.blocked[:, items], need)


#: Item selection rules by name.
SELECTION_RULES: dict[str, type[SelectionRule]] = {
    "mfi": MaximumInformation,
    "kl": KullbackLeibler,
    "random": RandomItem,
}


# ---------------------------------------------------------------------------- exposure rules


class ExposureRule:
    """Chooses the administered item among a person's ranked candidates."""

    name = ""
    #: How many ranked candidates the rule looks at.
    need = 1

    def choose(self, bank, candidates: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        """The chosen item per person and the candidates set aside for the rest of the test.

        Parameters
        ----------
        candidates : ndarray of int, shape (n_persons, need); -1 = none.

        Returns
        -------
        chosen : ndarray of int, shape (n_persons,); -1 when a person has no candidate
        set_aside : ndarray of bool, shape (n_persons, need); entries of ``candidates``
        """
        raise NotImplementedError

    def to_dict(self) -> dict:
        """Plain-data form."""
        return {"rule": self.name}


@dataclass(frozen=True)
class NoExposureControl(ExposureRule):
    """Always the best candidate."""

    name = "none"

    def choose(self, bank, candidates, rng):
        return candidates[:, 0], np.zeros(candidates.shape, bool)


@dataclass(frozen=True)
class Randomesque(ExposureRule):
    """One of the ``n`` best candidates at random (Kingsbury & Zara 1989)."""

    n: int = 5
    name = "randomesque"

    def __post_init__(self):
        if self.n < 1:
            raise CATError("randomesque needs n >= 1.")

    @property
    def need(self):
        return self.n

    def choose(self, bank, candidates, rng):
        valid = candidates >= 0
        count = valid.sum(axis=1)
        pick = np.minimum((rng.random(candidates.shape[0]) * np.maximum(count, 1)).astype(np.intp), count - 1)
        chosen = np.where(count > 0, candidates[np.arange(candidates.shape[0]), np.maximum(pick, 0)], -1)
        return chosen, np.zeros(candidates.shape, bool)

    def to_dict(self):
        return {"rule": self.name, "n": self.n}


@dataclass(frozen=True)
class SympsonHetter(ExposureRule):
    """Sympson & Hetter (1985) probabilistic exposure control.

    Walking down the ranked candidates, the selected item j is administered with probability
    ``K_j`` (the bank's ``exposure`` parameters, fitted by simulation with
    :func:`scoring.cat_simulation.fit_sympson_hetter`); an item that is passed over is set aside
    for the rest of that person's test. If all ``max_candidates`` are passed over, the last one
    is administered.
    """

    max_candidates: int = 40
    name = "sympson-hetter"

    @property
    def need(self):
        return self.max_candidates

    def choose(self, bank, candidates, rng):
        valid = candidates >= 0
        k = np.where(valid, bank.exposure[np.maximum(candidates, 0)], 0.0)
        accept = valid & (rng.random(candidates.shape) < k)
        last = np.maximum(valid.sum(axis=1) - 1, 0)
        first = np.where(accept.any(axis=1), np.argmax(accept, axis=1), last)
        rows = np.arange(candidates.shape[0])
        chosen = np.where(valid.any(axis=1), candidates[rows, first], -1)
        set_aside = valid & (np.arange(candidates.shape[1]) < first[:, None])
        return chosen, set_aside

    def to_dict(self):
        return {"rule": self.name, "max_candidates": self.max_candidates}


#: Exposure-control rules by name.
EXPOSURE_RULES: dict[str, type[ExposureRule]] = {
    "none": NoExposureControl,
    "randomesque": Randomesque,
    "sympson-hetter": SympsonHetter,
}


# ---------------------------------------------------------------------------- content rules


class ContentRule:
    """Content constraints: a blueprint of item counts per category."""

    name = ""
    targets: Mapping[str, int]

    def target_vector(self, bank: Bank) -> np.ndarray:
        """Counts per bank category (0 for categories outside the blueprint), shape (n_categories,)."""
        out = np.zeros(len(bank.category_names), dtype=np.intp)
        for label, count in self.targets.items():
            if label not in bank.category_names:
                raise CATError(f"The blueprint names category {label!r}, which no bank item has.")
            out[bank.category_names.index(label)] = int(count)
        return out

    @property
    def length(self) -> int:
        """Test length the blueprint implies."""
        return int(sum(self.targets.values()))

    def check(self, bank: Bank) -> None:
        """Raise :class:`CATError` when the bank cannot meet the blueprint."""
        target = self.target_vector(bank)
        for c, count in enumerate(target):
            have = int(bank.pool(c)[0].shape[0])
            if have < count:
                raise CATError(
                    f"The blueprint needs {count} items of category {bank.category_names[c]!r}; "
                    f"the bank has {have} operational items there."
                )

    def to_dict(self) -> dict:
        """Plain-data form."""
        return {"rule": self.name, "targets": dict(self.targets)}


@dataclass(frozen=True)
class ContentBalancing(ContentRule):
    """Blueprint counts met exactly by choosing, at each step, the category furthest behind.

    The next item comes from the category with the smallest share ``given_c / target_c`` among
    those still short of their target (Kingsbury & Zara 1989), so a fixed-length test of
    ``sum(targets)`` items meets the counts exactly and every prefix stays balanced.
    """

    targets: Mapping[str, int] = field(default_factory=dict)
    name = "blueprint"

    def __post_init__(self):
        if not self.targets or any(int(v) < 0 for v in self.targets.values()):
            raise CATError("A blueprint needs non-negative counts for at least one category.")
        object.__setattr__(self, "targets", {str(k): int(v) for k, v in self.targets.items()})

    def category_order(self, bank: Bank, counts: np.ndarray) -> np.ndarray:
        """Categories to try per person, most behind first; -1 for categories already complete.

        Returns
        -------
        ndarray of int, shape (n_persons, n_categories)
        """
        target = self.target_vector(bank)
        short = counts < target
        share = np.where(short, counts / np.maximum(target, 1), np.inf)
        order = np.argsort(share + 1e-9 * np.arange(target.shape[0]), axis=1, kind="stable")
        return np.where(np.take_along_axis(short, order, axis=1), order, -1)


#: Content rules by name (the shadow test lives in :mod:`scoring.shadow`).
CONTENT_RULES: dict[str, type[ContentRule]] = {"blueprint": ContentBalancing}


# ---------------------------------------------------------------------------- stopping rules


@dataclass(frozen=True)
class _StopInput:
    theta: np.ndarray
    se: np.ndarray
    n_scored: np.ndarray
    elapsed: np.ndarray
    loglik: np.ndarray
    bank: Bank


class StoppingRule:
    """Decides, per person, whether the test ends; ``hard`` rules apply before the minimum length."""

    name = ""
    hard = False

    def check(self, data: _StopInput) -> tuple[np.ndarray, np.ndarray | str]:
        """Stop flags (n_persons,) and the reason (a string or an array of strings)."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """Plain-data form."""
        raise NotImplementedError


@dataclass(frozen=True)
class MaxLength(StoppingRule):
    """Stop after ``n`` scored items."""

    n: int
    name = "max-length"
    hard = True

    def check(self, data):
        return data.n_scored >= self.n, self.name

    def to_dict(self):
        return {"rule": self.name, "n": self.n}


@dataclass(frozen=True)
class StandardError(StoppingRule):
    """Stop when the posterior SD of θ is at most ``threshold``."""

    threshold: float
    name = "se"

    def check(self, data):
        return data.se <= self.threshold, self.name

    def to_dict(self):
        return {"rule": self.name, "threshold": self.threshold}


@dataclass(frozen=True)
class TimeLimit(StoppingRule):
    """Stop when the candidate's elapsed time reaches ``seconds``."""

    seconds: float
    name = "time-limit"
    hard = True

    def check(self, data):
        return data.elapsed >= self.seconds, self.name

    def to_dict(self):
        return {"rule": self.name, "seconds": self.seconds}


@dataclass(frozen=True)
class SPRT(StoppingRule):
    """Sequential probability ratio test of θ against a cut score (Reckase 1983; Eggen 1999).

    ``log LR = log L(cut + δ) - log L(cut - δ)``; stop with ``"sprt-pass"`` when
    ``log LR >= log((1 - β) / α)`` and ``"sprt-fail"`` when ``log LR <= log(β / (1 - α))``.
    The log-likelihood is read (linearly interpolated) from the grid.
    """

    cut: float
    delta: float = 0.2
    alpha: float = 0.05
    beta: float = 0.05
    name = "sprt"

    def check(self, data):
        nodes = data.bank.nodes
        pos = (np.array([self.cut - self.delta, self.cut + self.delta]) - nodes[0]) / data.bank.step
        i = np.clip(np.floor(pos).astype(np.intp), 0, nodes.shape[0] - 2)
        w = np.clip(pos - i, 0.0, 1.0)
        ll = data.loglik[:, i] * (1 - w) + data.loglik[:, i + 1] * w  # (n, 2)
        ratio = ll[:, 1] - ll[:, 0]
        upper = np.log((1 - self.beta) / self.alpha)
        lower = np.log(self.beta / (1 - self.alpha))
        stop = (ratio >= upper) | (ratio <= lower)
        return stop, np.where(ratio >= upper, "sprt-pass", "sprt-fail")

    def to_dict(self):
        return {"rule": self.name, "cut": self.cut, "delta": self.delta, "alpha": self.alpha, "beta": self.beta}


#: Stopping rules by name.
STOPPING_RULES: dict[str, type[StoppingRule]] = {
    "max-length": MaxLength,
    "se": StandardError,
    "time-limit": TimeLimit,
    "sprt": SPRT,
}


# ---------------------------------------------------------------------------- rules


def _from_registry(registry: Mapping[str, type], spec, kind: str):
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, Mapping) or "rule" not in spec:
        raise CATError(f"A {kind} rule must be a name or a mapping with a 'rule' key; got {spec!r}.")
    name = str(spec["rule"])
    if name not in registry:
        raise CATError(f"Unknown {kind} rule {name!r}; use one of {', '.join(registry)}.")
    try:
        return registry[name](**{k: v for k, v in spec.items() if k != "rule"})
    except TypeError as error:
        raise CATError(f"{kind} rule {name!r}: {error}") from None


@dataclass(frozen=True)
class CATRules:
    """The rules of one adaptive test.

    Attributes
    ----------
    selection : SelectionRule
    exposure : ExposureRule
    content : ContentRule or None
        A blueprint; its total is the test length (a :class:`MaxLength` is implied).
    stopping : tuple of StoppingRule
        A :class:`MaxLength` is always present: the blueprint total, else 30 unless given.
    min_length : int
        Soft rules (SE, SPRT) apply only from this many scored items on.
    pilot_positions : tuple of int
        1-based positions in the delivered sequence that carry an unscored pilot item.
    """

    selection: SelectionRule = field(default_factory=MaximumInformation)
    exposure: ExposureRule = field(default_factory=NoExposureControl)
    content: ContentRule | None = None
    stopping: tuple[StoppingRule, ...] = ()
    min_length: int = 1
    pilot_positions: tuple[int, ...] = ()

    def __post_init__(self):
        stopping = tuple(self.stopping)
        if not any(isinstance(r, MaxLength) for r in stopping):
            stopping = (MaxLength(30 if self.content is None else self.content.length), *stopping)
        object.__setattr__(self, "stopping", stopping)
        object.__setattr__(self, "pilot_positions", tuple(sorted({int(p) for p in self.pilot_positions})))
        if any(p < 1 for p in self.pilot_positions):
            raise CATError("Pilot positions are 1-based and positive.")
        if self.min_length < 0:
            raise CATError("min_length must not be negative.")
        if self.max_length is not None and self.min_length > self.max_length:
            raise CATError(f"min_length {self.min_length} exceeds the maximum length {self.max_length}.")
        if self.content is not None and self.max_length != self.content.length:
            raise CATError(
                f"The blueprint adds up to {self.content.length} items but the maximum length is {self.max_length}."
            )

    @property
    def max_length(self) -> int | None:
        """Largest number of scored items (``None`` when no :class:`MaxLength` rule)."""
        limits = [r.n for r in self.stopping if isinstance(r, MaxLength)]
        return min(limits) if limits else None

    def check(self, bank: Bank) -> None:
        """Raise :class:`CATError` when the bank cannot support these rules."""
        operational = bank.n_items - bank.n_pilot
        if self.max_length is not None and self.max_length > operational:
            raise CATError(
                f"The test needs {self.max_length} items but the bank has only {operational} operational items."
            )
        if self.content is not None:
            self.content.check(bank)
        if len(self.pilot_positions) > bank.n_pilot:
            raise CATError(f"{len(self.pilot_positions)} pilot positions but the bank has {bank.n_pilot} pilot items.")

    @classmethod
    def from_dict(cls, data: Mapping) -> CATRules:
        """Build rules from plain data (a blueprint's CAT settings).

        Example::

            {"selection": "mfi", "exposure": {"rule": "randomesque", "n": 5},
             "content": {"rule": "blueprint", "targets": {"TWK": 30, "TIU": 35, "TKP": 45}},
             "stopping": [{"rule": "se", "threshold": 0.3}, {"rule": "max-length", "n": 40}],
             "min_length": 10, "pilot_positions": [5, 20]}

        Unknown settings or rule names raise :class:`CATError`.
        """
        from .shadow import ShadowTest  # noqa: F401  (registers the shadow-test content rule)

        known = {"selection", "exposure", "content", "stopping", "min_length", "pilot_positions"}
        unknown = set(data) - known
        if unknown:
            raise CATError(f"Unknown CAT setting {sorted(unknown)[0]!r}; use {', '.join(sorted(known))}.")
        kwargs = {}
        if "selection" in data:
            kwargs["selection"] = _from_registry(SELECTION_RULES, data["selection"], "selection")
        if "exposure" in data:
            kwargs["exposure"] = _from_registry(EXPOSURE_RULES, data["exposure"], "exposure")
        if data.get("content") is not None:
            kwargs["content"] = _from_registry(CONTENT_RULES, data["content"], "content")
        if "stopping" in data:
            kwargs["stopping"] = tuple(_from_registry(STOPPING_RULES, s, "stopping") for s in data["stopping"])
        if "min_length" in data:
            kwargs["min_length"] = int(data["min_length"])
        if "pilot_positions" in data:
            kwargs["pilot_positions"] = tuple(int(p) for p in data["pilot_positions"])
        return cls(**kwargs)

    def to_dict(self) -> dict:
        """Plain-data form (the inverse of :meth:`from_dict`)."""
        return {
            "selection": self.selection.to_dict(),
            "exposure": self.exposure.to_dict(),
            "content": None if self.content is None else self.content.to_dict(),
            "stopping": [r.to_dict() for r in self.stopping],
            "min_length": self.min_length,
            "pilot_positions": list(self.pilot_positions),
        }


# ---------------------------------------------------------------------------- the step


@dataclass
class _Persons:
    """Per-person arrays of a batch of candidates (one row per person)."""

    loglik: np.ndarray  # (n, Q) log-likelihood of the scored responses
    blocked: np.ndarray  # (n, J) administered (scored or pilot), set aside or otherwise excluded
    counts: np.ndarray  # (n, C) scored items per category
    n_scored: np.ndarray  # (n,)
    n_delivered: np.ndarray  # (n,) scored + pilot
    n_blocked: np.ndarray  # (n,)
    elapsed: np.ndarray  # (n,)
    given: np.ndarray  # (n, J) scored items administered
    node: np.ndarray = None  # (n,) grid node of θ̂, set by the step

    def take(self, rows: np.ndarray) -> _Persons:
        fields = ("loglik", "blocked", "counts", "n_scored", "n_delivered", "n_blocked", "elapsed", "given")
        return _Persons(*(getattr(self, f)[rows] for f in fields))


@dataclass(frozen=True)
class _Decision:
    theta: np.ndarray
    se: np.ndarray
    stop: np.ndarray
    reason: np.ndarray  # object array, "" when not stopping
    item: np.ndarray  # -1 when stopping
    pilot: np.ndarray
    set_aside: list  # (person row, item) pairs


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
    set_aside: list = []
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


def _choose_operational(bank, rules, sub: _Persons, rng):
    """Next operational item for persons who continue; (chosen (n,), [(row, set-aside item)])."""
    n = sub.node.shape[0]
    chosen = np.full(n, -1, dtype=np.intp)
    aside: list = []
    content = rules.content
    if content is not None and hasattr(content, "choose"):  # shadow test: one MILP per person
        return content.choose(bank, rules, sub, rng)
    if content is None:
        plan = [(None, np.arange(n))]
    else:
        order = content.category_order(bank, sub.counts)
        plan = None
    if plan is not None:
        for pool, rows in plan:
            _pick(bank, rules, pool, sub, rows, rng, chosen, aside)
        return chosen, aside
    for rank in range(order.shape[1]):  # first choice of category; later ranks only if exhausted
        waiting = np.flatnonzero((chosen < 0) & (order[:, rank] >= 0))
        if not waiting.size:
            break
        for c in np.unique(order[waiting, rank]):
            rows = waiting[order[waiting, rank] == c]
            _pick(bank, rules, int(c), sub, rows, rng, chosen, aside)
    return chosen, aside


def _pick(bank, rules, pool, sub: _Persons, rows, rng, chosen, aside) -> None:
    part = sub if rows.shape[0] == sub.node.shape[0] else _subset(sub, rows)
    cands = rules.selection.candidates(bank, pool, part, rules.exposure.need, rng)
    pick, set_aside = rules.exposure.choose(bank, cands, rng)
    chosen[rows] = pick
    if set_aside.any():
        r, k = np.nonzero(set_aside)
        aside.extend(zip(rows[r].tolist(), cands[r, k].tolist(), strict=True))


def _subset(sub: _Persons, rows: np.ndarray) -> _Persons:
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


def _persons_from_history(bank: Bank, administered, responses, set_aside, elapsed) -> _Persons:
    items = bank.index(administered)
    resp = np.asarray(responses, dtype=float).reshape(-1)
    if resp.shape[0] != items.shape[0]:
        raise CATError(f"{items.shape[0]} administered items but {resp.shape[0]} responses.")
    if np.unique(items).shape[0] != items.shape[0]:
        seen = set()
        dup = next(i for i in administered if (i in seen) or seen.add(i))
        raise CATError(f"Item {dup!r} appears twice among the administered items.")
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
    decision = _decide(bank, rules, persons, _rng(rng))
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
