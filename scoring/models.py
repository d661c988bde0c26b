"""Item response models and the item-parameter representation shared by the whole package.

Dichotomous items (logistic metric, D = 1; Birnbaum 1968)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))

* ``"rasch"``: a = 1, c = 0 (Rasch 1960); the latent variance is estimated instead of a slope.
* ``"1pl"``: one slope common to all 1PL items, c = 0.
* ``"2pl"``: free slope, c = 0.
* ``"3pl"``: free slope and lower asymptote c.

Polytomous items with categories 0..K-1 and ordered thresholds ``b_1 .. b_{K-1}``:

* ``"grm"``, graded response model (Samejima 1969)::

      P(X >= k | θ) = 1 / (1 + exp(-a (θ - b_k))),   P(X = k) = P(X >= k) - P(X >= k+1)

* ``"gpcm"``, generalized partial credit model (Muraki 1992), step difficulties b_v::

      P(X = k | θ) ∝ exp(sum_{v <= k} a (θ - b_v))

Internally every item is computed in slope-intercept form ``a θ + d`` with ``d = -a b`` and, for
the 3PL, ``γ = logit(c)``: the form whose log-likelihood is best behaved for Newton steps.
Items of the same model and number of categories are computed together (vectorised), see
:func:`item_groups`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit, logit

from scoring.arrays import BoolArray, FloatArray, IntArray, readonly

__all__ = [
    "DICHOTOMOUS_MODELS",
    "MODELS",
    "POLYTOMOUS_MODELS",
    "ItemGroup",
    "ItemModel",
    "ItemParameters",
    "LatentDistribution",
    "item_groups",
    "probabilities",
    "theta_derivatives",
]

#: Smallest probability used inside logarithms (keeps log P finite for extreme θ).
PROBABILITY_FLOOR = 1e-300

DICHOTOMOUS_MODELS = ("rasch", "1pl", "2pl", "3pl")
POLYTOMOUS_MODELS = ("grm", "gpcm")


class ItemModel:
    """Base class of the model registry: probabilities and derivatives for a block of items.

    A block holds ``n`` items of one model with the same number of categories ``K``. Internal
    parameters ``psi`` have shape (n, n_params): ``(a, d, γ)`` for dichotomous models (γ is used
    only by the 3PL) and ``(a, d_1, ..., d_{K-1})`` for polytomous ones, with ``d = -a b``.
    """

    name: str = ""
    polytomous: bool = False
    #: "fixed" (a = 1), "common" (one slope shared by all items of the model) or "free".
    slope: str = "free"
    guessing: bool = False

    def n_params(self, n_categories: int) -> int:
        """Length of the internal parameter vector of one item."""
        raise NotImplementedError

    def free(self, n_categories: int) -> BoolArray:
        """Boolean mask of the internal parameters estimated item by item, shape (n_params,)."""
        raise NotImplementedError

    def probabilities(self, psi: FloatArray, theta: FloatArray) -> FloatArray:
        """Category probabilities, shape (n, n_theta, K)."""
        raise NotImplementedError

    def jacobian(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Probabilities (n, n_theta, K) and their derivatives by psi (n, n_theta, K, n_params)."""
        raise NotImplementedError

    def theta_derivatives(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Probabilities and their first and second derivatives by θ, each (n, n_theta, K)."""
        raise NotImplementedError

    def to_internal(self, a: FloatArray, thresholds: FloatArray, c: FloatArray) -> FloatArray:
        """Internal psi (n, n_params) from slopes (n,), thresholds (n, K-1) and guessing (n,)."""
        raise NotImplementedError

    def from_internal(self, psi: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Slopes (n,), thresholds (n, K-1) and guessing (n,) from internal psi."""
        raise NotImplementedError


class Dichotomous(ItemModel):
    """Rasch, 1PL, 2PL and 3PL: ``P(θ) = c + (1 - c) / (1 + exp(-(a θ + d)))``, d = -a b."""

    def __init__(self, name: str, slope: str, guessing: bool) -> None:
        self.name, self.slope, self.guessing = name, slope, guessing

    def n_params(self, n_categories: int) -> int:
        return 3

    def free(self, n_categories: int) -> BoolArray:
        return np.array([self.slope == "free", True, self.guessing])

    def _parts(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a, d = psi[:, 0, None], psi[:, 1, None]
        s: FloatArray = expit(a * theta[None, :] + d)
        c: FloatArray = expit(psi[:, 2, None]) if self.guessing else np.zeros_like(a)
        return a, s, c

    def probabilities(self, psi: FloatArray, theta: FloatArray) -> FloatArray:
        _, s, c = self._parts(psi, theta)
        p1 = c + (1.0 - c) * s
        return np.stack([1.0 - p1, p1], axis=-1)

    def jacobian(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        _, s, c = self._parts(psi, theta)
        p1 = c + (1.0 - c) * s
        ds = (1.0 - c) * s * (1.0 - s)
        dp1 = np.stack(
            [ds * theta[None, :], ds, (1.0 - s) * c * (1.0 - c) if self.guessing else np.zeros_like(s)],
            axis=-1,
        )
        return np.stack([1.0 - p1, p1], axis=-1), np.stack([-dp1, dp1], axis=2)

    def theta_derivatives(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a, s, c = self._parts(psi, theta)
        p1 = c + (1.0 - c) * s
        d1 = (1.0 - c) * a * s * (1.0 - s)
        d2 = d1 * a * (1.0 - 2.0 * s)
        return (np.stack([1.0 - p1, p1], -1), np.stack([-d1, d1], -1), np.stack([-d2, d2], -1))

    def to_internal(self, a: FloatArray, thresholds: FloatArray, c: FloatArray) -> FloatArray:
        a = np.asarray(a, float)
        gamma: FloatArray = logit(np.clip(c, 1e-12, 1 - 1e-12)) if self.guessing else np.zeros_like(a)
        return np.stack([a, -a * thresholds[:, 0], gamma], axis=1)

    def from_internal(self, psi: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = psi[:, 0]
        c: FloatArray = expit(psi[:, 2]) if self.guessing else np.zeros_like(a)
        return a, (-psi[:, 1] / a)[:, None], c


class Graded(ItemModel):
    """Graded response model (Samejima 1969): ``P(X >= k) = 1 / (1 + exp(-(a θ + d_k)))``."""

    name, polytomous = "grm", True

    def n_params(self, n_categories: int) -> int:
        return n_categories

    def free(self, n_categories: int) -> BoolArray:
        return np.ones(n_categories, dtype=bool)

    def _cumulative(self, psi: FloatArray, theta: FloatArray) -> FloatArray:
        star: FloatArray = expit(psi[:, 0, None, None] * theta[None, :, None] + psi[:, None, 1:])
        n, t = star.shape[:2]
        ones, zeros = np.ones((n, t, 1)), np.zeros((n, t, 1))
        return np.concatenate([ones, star, zeros], axis=2)

    def probabilities(self, psi: FloatArray, theta: FloatArray) -> FloatArray:
        star = self._cumulative(psi, theta)
        return np.maximum(star[:, :, :-1] - star[:, :, 1:], 0.0)

    def jacobian(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        star = self._cumulative(psi, theta)
        n, t, k1 = star.shape
        k = k1 - 1
        w = star * (1.0 - star)  # zero at both padded ends
        dstar = np.zeros((n, t, k1, k))
        dstar[..., 0] = w * theta[None, :, None]
        idx = np.arange(1, k)
        dstar[:, :, idx, idx] = w[:, :, idx]
        return np.maximum(star[:, :, :-1] - star[:, :, 1:], 0.0), dstar[:, :, :-1] - dstar[:, :, 1:]

    def theta_derivatives(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        star = self._cumulative(psi, theta)
        a = psi[:, 0, None, None]
        w = star * (1.0 - star)
        d1, d2 = a * w, a * a * w * (1.0 - 2.0 * star)

        def diff(x: FloatArray) -> FloatArray:
            return x[:, :, :-1] - x[:, :, 1:]

        return np.maximum(diff(star), 0.0), diff(d1), diff(d2)

    def to_internal(self, a: FloatArray, thresholds: FloatArray, c: FloatArray) -> FloatArray:
        a = np.asarray(a, float)
        return np.concatenate([a[:, None], -a[:, None] * thresholds], axis=1)

    def from_internal(self, psi: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = psi[:, 0]
        return a, -psi[:, 1:] / a[:, None], np.zeros_like(a)


class PartialCredit(ItemModel):
    """Generalized partial credit model (Muraki 1992): ``z_k = k a θ + sum_{v<=k} d_v``."""

    name, polytomous = "gpcm", True

    def n_params(self, n_categories: int) -> int:
        return n_categories

    def free(self, n_categories: int) -> BoolArray:
        return np.ones(n_categories, dtype=bool)

    def _probs(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        n, p = psi.shape
        k = np.arange(p, dtype=float)
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(psi[:, 1:], axis=1)], axis=1)
        z = psi[:, 0, None, None] * theta[None, :, None] * k + cum[:, None, :]
        z -= z.max(axis=2, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=2, keepdims=True), k

    def probabilities(self, psi: FloatArray, theta: FloatArray) -> FloatArray:
        return self._probs(psi, theta)[0]

    def jacobian(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        prob, k = self._probs(psi, theta)
        n, t, kk = prob.shape
        dz = np.zeros((n, t, kk, kk))
        dz[..., 0] = k[None, None, :] * theta[None, :, None]
        lower = np.tril(np.ones((kk, kk)))[:, 1:]  # dz_k/dd_v = 1 when v <= k
        dz[..., 1:] = lower
        mean = np.einsum("ntk,ntkp->ntp", prob, dz)
        return prob, prob[..., None] * (dz - mean[:, :, None, :])

    def theta_derivatives(self, psi: FloatArray, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        prob, k = self._probs(psi, theta)
        a = psi[:, 0, None, None]
        e = (prob * k).sum(axis=2, keepdims=True)
        v = (prob * (k - e) ** 2).sum(axis=2, keepdims=True)
        return prob, a * prob * (k - e), a * a * prob * ((k - e) ** 2 - v)

    def to_internal(self, a: FloatArray, thresholds: FloatArray, c: FloatArray) -> FloatArray:
        a = np.asarray(a, float)
        return np.concatenate([a[:, None], -a[:, None] * thresholds], axis=1)

    def from_internal(self, psi: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = psi[:, 0]
        return a, -psi[:, 1:] / a[:, None], np.zeros_like(a)


#: Registry of item models by name.
MODELS: dict[str, ItemModel] = {
    "rasch": Dichotomous("rasch", "fixed", False),
    "1pl": Dichotomous("1pl", "common", False),
    "2pl": Dichotomous("2pl", "free", False),
    "3pl": Dichotomous("3pl", "free", True),
    "grm": Graded(),
    "gpcm": PartialCredit(),
}


def _number(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class LatentDistribution:
    """Normal latent distribution of one group of persons, θ ~ N(mean, sd²)."""

    mean: float = 0.0
    sd: float = 1.0
    name: str = "all"
    se_mean: float = float("nan")
    se_sd: float = float("nan")

    def to_dict(self) -> dict[str, str | float | None]:
        """JSON-ready mapping (``name``, ``mean``, ``sd``, ``se_mean``, ``se_sd``)."""
        return {
            "name": self.name,
            "mean": self.mean,
            "sd": self.sd,
            "se_mean": _number(self.se_mean),
            "se_sd": _number(self.se_sd),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatentDistribution:
        """Inverse of :meth:`to_dict`."""
        nan = float("nan")
        return cls(
            mean=float(data.get("mean", 0.0)),
            sd=float(data.get("sd", 1.0)),
            name=str(data.get("name", "all")),
            se_mean=nan if data.get("se_mean") is None else float(data["se_mean"]),
            se_sd=nan if data.get("se_sd") is None else float(data["se_sd"]),
        )


@dataclass(frozen=True)
class ItemParameters:
    """Parameters of a set of items, one entry per item (the bank representation).

    ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items (logistic metric, D = 1);
    thresholds of polytomous items as in the module docstring.

    Attributes
    ----------
    ids : tuple of str, length n_items
    models : tuple of str, length n_items
        Model name of each item, one of :data:`MODELS`.
    a : ndarray of shape (n_items,)
        Slopes (discriminations).
    b : ndarray of shape (n_items,)
        Difficulty; for polytomous items the mean of the thresholds.
    c : ndarray of shape (n_items,)
        Lower asymptote (0 except for the 3PL).
    thresholds : ndarray of shape (n_items, max_categories - 1)
        ``b_1 .. b_{K-1}`` per item, NaN-padded; for dichotomous items column 0 equals ``b``.
    se_a, se_b, se_c : ndarray of shape (n_items,)
        Standard errors (NaN when not estimated or not a free parameter).
    se_thresholds : ndarray of shape (n_items, max_categories - 1)
    """

    ids: tuple[str, ...]
    models: tuple[str, ...]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    thresholds: FloatArray
    # None = not given: __post_init__ puts a NaN array (standard errors) or the count implied by
    # the thresholds in its place, so after construction these are always arrays.
    se_a: FloatArray = field(default=None)  # type: ignore[arg-type]
    se_b: FloatArray = field(default=None)  # type: ignore[arg-type]
    se_c: FloatArray = field(default=None)  # type: ignore[arg-type]
    se_thresholds: FloatArray = field(default=None)  # type: ignore[arg-type]
    n_categories: IntArray = field(default=None)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        n = len(self.ids)
        object.__setattr__(self, "ids", tuple(str(i) for i in self.ids))
        object.__setattr__(self, "models", tuple(str(m).lower() for m in self.models))
        if len(set(self.ids)) != n:
            raise ValueError("Item ids must be unique.")
        if len(self.models) != n:
            raise ValueError(f"{len(self.models)} models given for {n} items.")
        for j, m in enumerate(self.models):
            if m not in MODELS:
                raise ValueError(f"Item {self.ids[j]}: unknown model {m!r}; use one of {', '.join(MODELS)}.")
        thr = np.array(self.thresholds, dtype=float)
        if thr.ndim == 1:
            thr = thr[:, None]
        if thr.shape[0] != n:
            raise ValueError(f"thresholds has {thr.shape[0]} rows for {n} items.")
        if self.n_categories is None:
            k = np.isfinite(thr).sum(axis=1) + 1
            k = np.where([MODELS[m].polytomous for m in self.models], k, 2) if n else k
        else:
            k = np.broadcast_to(np.asarray(self.n_categories, dtype=int), (n,)).copy()
        if n and thr.shape[1] < k.max() - 1:
            thr = np.concatenate([thr, np.full((n, k.max() - 1 - thr.shape[1]), np.nan)], axis=1)
        k.setflags(write=False)
        object.__setattr__(self, "n_categories", k)
        for name in ("a", "b", "c"):
            value = np.broadcast_to(np.asarray(getattr(self, name), dtype=float), (n,))
            object.__setattr__(self, name, readonly(value, copy=True, dtype=float))
        for name, shape in (("se_a", (n,)), ("se_b", (n,)), ("se_c", (n,)), ("se_thresholds", thr.shape)):
            value = getattr(self, name)
            value = np.full(shape, np.nan) if value is None else np.broadcast_to(np.asarray(value, float), shape)
            object.__setattr__(self, name, readonly(value, copy=True, dtype=float))
        object.__setattr__(self, "thresholds", readonly(thr, copy=True, dtype=float))
        for j, m in enumerate(self.models):
            if MODELS[m].polytomous and k[j] < 2:
                raise ValueError(f"Item {self.ids[j]}: a {m} item needs at least one threshold.")
            if not MODELS[m].polytomous and k[j] != 2:
                raise ValueError(f"Item {self.ids[j]}: a {m} item has exactly one threshold (b).")

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_arrays(
        cls,
        a: Sequence[float] | FloatArray | float,
        b: Sequence[float] | FloatArray | None = None,
        c: Sequence[float] | FloatArray | float = 0.0,
        *,
        thresholds: Sequence[Sequence[float]] | FloatArray | None = None,
        models: str | Sequence[str] = "2pl",
        ids: Sequence[str] | None = None,
    ) -> ItemParameters:
        """Build parameters from plain arrays.

        Parameters
        ----------
        a : array_like of shape (n_items,) or float
            Slopes.
        b : array_like of shape (n_items,), optional
            Difficulties of dichotomous items (ignored for polytomous items, whose ``b`` is the
            mean of their thresholds).
        c : array_like of shape (n_items,) or float
            Lower asymptotes (3PL); forced to 0 for other models.
        thresholds : array_like of shape (n_items, max_categories - 1), optional
            NaN-padded thresholds; required when any item is polytomous.
        models : str or sequence of str
            One model for all items or one per item.
        ids : sequence of str, optional
            Item ids; default ``item1``, ``item2``, ...

        Returns
        -------
        ItemParameters
        """
        if thresholds is None:
            if b is None:
                raise ValueError("Give b (dichotomous items) or thresholds.")
            thr = np.array(b, dtype=float).reshape(-1, 1)
        else:
            thr = np.array(thresholds, dtype=float)
            if thr.ndim == 1:
                thr = thr[:, None]
        n = thr.shape[0]
        model_list = (models,) * n if isinstance(models, str) else tuple(models)
        if len(model_list) != n:
            raise ValueError(f"{len(model_list)} models given for {n} items.")
        a_arr = np.broadcast_to(np.asarray(a, dtype=float), (n,)).copy()
        c_arr = np.broadcast_to(np.asarray(c, dtype=float), (n,)).copy()
        for j, m in enumerate(model_list):
            if m.lower() != "3pl":
                c_arr[j] = 0.0
            if MODELS[m.lower()].polytomous is False:
                thr[j, 1:] = np.nan
                if m.lower() == "rasch":
                    a_arr[j] = 1.0
        # The mean of each row's thresholds, as np.nanmean per row, in one pass over the items.
        present = ~np.isnan(thr)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(present, thr, 0.0).sum(axis=1) / present.sum(axis=1)
        b_arr = np.where(np.isfinite(thr).any(axis=1), means, np.nan)
        ids = tuple(ids) if ids is not None else tuple(f"item{j + 1}" for j in range(n))
        return cls(ids, model_list, a_arr, b_arr, c_arr, _trim(thr))

    # ----------------------------------------------------------------- views

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.ids)

    @property
    def max_categories(self) -> int:
        """Largest number of categories of any item."""
        return int(self.n_categories.max()) if self.n_items else 2

    def index(self, ids: Iterable[str]) -> IntArray:
        """Positions of the given item ids, int array; raises KeyError on an unknown id."""
        where = {i: j for j, i in enumerate(self.ids)}
        return np.array([where[str(i)] for i in ids], dtype=int)

    def subset(self, items: Sequence[int] | Sequence[str] | npt.NDArray[Any]) -> ItemParameters:
        """Parameters of the selected items (by position, boolean mask or id), in that order."""
        if len(items) and isinstance(items[0], str):
            idx = self.index(map(str, items))
        else:
            idx = np.arange(self.n_items)[np.asarray(items)] if len(items) else np.zeros(0, int)
        k = self.n_categories[idx]
        width = max(int(k.max()) - 1, 1) if idx.size else 1
        return ItemParameters(
            tuple(self.ids[j] for j in idx),
            tuple(self.models[j] for j in idx),
            self.a[idx],
            self.b[idx],
            self.c[idx],
            self.thresholds[idx, :width],
            self.se_a[idx],
            self.se_b[idx],
            self.se_c[idx],
            self.se_thresholds[idx, :width],
            k,
        )

    def replace(self, **changes: Any) -> ItemParameters:
        """A copy with some fields replaced (``dataclasses.replace`` with validation)."""
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values.update(changes)
        return ItemParameters(**values)

    # ----------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, list[dict[str, str | float | list[float | None] | None]]]:
        """The ``items`` list of the CLI's params.json format, as a mapping ``{"items": [...]}``.

        Each item: ``id, model, a, b, c, se_a, se_b, se_c`` and, for polytomous items,
        ``thresholds`` and ``se_thresholds``. Missing values are ``null``.
        """
        items = []
        for j in range(self.n_items):
            entry: dict[str, str | float | list[float | None] | None] = {
                "id": self.ids[j],
                "model": self.models[j],
                "a": _number(self.a[j]),
                "b": _number(self.b[j]),
                "c": _number(self.c[j]),
                "se_a": _number(self.se_a[j]),
                "se_b": _number(self.se_b[j]),
                "se_c": _number(self.se_c[j]),
            }
            if MODELS[self.models[j]].polytomous:
                k = self.n_categories[j] - 1
                entry["thresholds"] = [_number(x) for x in self.thresholds[j, :k]]
                entry["se_thresholds"] = [_number(x) for x in self.se_thresholds[j, :k]]
            items.append(entry)
        return {"items": items}

    def to_json(self, **extra: object) -> str:
        """JSON text of :meth:`to_dict`, with ``extra`` top-level keys (e.g. loglik) first."""
        return json.dumps({**extra, **self.to_dict()}, indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemParameters:
        """Inverse of :meth:`to_dict`; a top-level ``model`` is used for items without one."""
        default = str(data.get("model", "2pl")).lower()
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise ValueError("The parameters have no 'items' list.")

        def num(x: Any) -> float:  # a JSON value: number, numeric string or null
            return np.nan if x is None else float(x)

        ids: list[str] = []
        models: list[str] = []
        rows: list[list[float]] = []
        sthr: list[list[float]] = []
        a: list[float] = []
        b: list[float] = []
        c: list[float] = []
        sa: list[float] = []
        sb: list[float] = []
        sc: list[float] = []
        ks: list[int] = []
        for n, item in enumerate(items):
            try:
                model = str(item.get("model", default)).lower()
                if model not in MODELS:
                    raise ValueError(f"unknown model {model!r}")
                ids.append(str(item["id"]))
                models.append(model)
                a.append(1.0 if model == "rasch" and item.get("a") is None else num(item.get("a")))
                c.append(num(item.get("c", 0.0)) if model == "3pl" else 0.0)
                sa.append(num(item.get("se_a")))
                sc.append(num(item.get("se_c")))
                if MODELS[model].polytomous:
                    thr = [num(x) for x in item["thresholds"]]
                    rows.append(thr)
                    sthr.append([num(x) for x in item.get("se_thresholds") or [None] * len(thr)])
                    b.append(num(item.get("b")) if not all(np.isfinite(thr)) else float(np.mean(thr)))
                    sb.append(num(item.get("se_b")))
                    ks.append(len(thr) + 1)
                else:
                    rows.append([num(item["b"])])
                    sthr.append([num(item.get("se_b"))])
                    b.append(num(item["b"]))
                    sb.append(num(item.get("se_b")))
                    ks.append(2)
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"Item {n + 1} of the parameters is invalid: {error}") from None
        width = max(len(r) for r in rows)

        def pad(rs: list[list[float]]) -> FloatArray:
            return np.array([r + [np.nan] * (width - len(r)) for r in rs], dtype=float)

        def array(values: list[float]) -> FloatArray:
            return np.array(values, dtype=float)

        return cls(
            tuple(ids),
            tuple(models),
            array(a),
            array(b),
            array(c),
            pad(rows),
            array(sa),
            array(sb),
            array(sc),
            pad(sthr),
            np.array(ks),
        )

    @classmethod
    def from_json(cls, text: str) -> ItemParameters:
        """Parse the params.json text written by the CLI (see :meth:`to_dict`)."""
        return cls.from_dict(json.loads(text))


def _trim(thr: FloatArray) -> FloatArray:
    """Drop trailing all-NaN columns (keeping at least one)."""
    width = int(np.isfinite(thr).sum(axis=1).max()) if thr.size else 1
    return np.asarray(thr)[:, : max(width, 1)]


@dataclass(frozen=True)
class ItemGroup:
    """Items of one model with the same number of categories, computed as one block.

    Attributes
    ----------
    model : ItemModel
    n_categories : int
    items : ndarray of int, shape (n,)
        Positions of the block's items in the full item set.
    psi : ndarray of shape (n, n_params)
        Internal (slope-intercept) parameters.
    """

    model: ItemModel
    n_categories: int
    items: IntArray
    psi: FloatArray


def item_groups(params: ItemParameters) -> list[ItemGroup]:
    """Split items into blocks of one model and category count, with internal parameters.

    Parameters
    ----------
    params : ItemParameters

    Returns
    -------
    list of ItemGroup
    """
    cached: list[ItemGroup] | None = params.__dict__.get("_groups")
    if cached is not None:
        return cached
    keys = sorted({(m, int(k)) for m, k in zip(params.models, params.n_categories, strict=True)})
    groups = []
    models = np.array(params.models)
    for name, k in keys:
        idx = np.flatnonzero((models == name) & (params.n_categories == k))
        model = MODELS[name]
        psi = model.to_internal(params.a[idx], params.thresholds[idx, : k - 1], params.c[idx])
        groups.append(ItemGroup(model, k, idx, psi))
    object.__setattr__(params, "_groups", groups)
    return groups


def probabilities(params: ItemParameters, theta: npt.ArrayLike) -> FloatArray:
    """Category probabilities of every item at each θ.

    ``P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))`` for dichotomous items (category 1 = correct);
    GRM (Samejima 1969) and GPCM (Muraki 1992) for polytomous items.

    Parameters
    ----------
    params : ItemParameters
    theta : array_like of shape (n_theta,)

    Returns
    -------
    ndarray of shape (n_theta, n_items, max_categories)
        Zero for categories an item does not have.
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    out = np.zeros((theta.shape[0], params.n_items, params.max_categories))
    for g in item_groups(params):
        out[:, g.items, : g.n_categories] = g.model.probabilities(g.psi, theta).transpose(1, 0, 2)
    return out


def theta_derivatives(params: ItemParameters, theta: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Category probabilities and their first and second derivatives by θ.

    Parameters
    ----------
    params : ItemParameters
    theta : array_like of shape (n_theta,)

    Returns
    -------
    p, dp, d2p : ndarray of shape (n_theta, n_items, max_categories)
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    shape = (theta.shape[0], params.n_items, params.max_categories)
    p, dp, d2p = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for g in item_groups(params):
        parts = g.model.theta_derivatives(g.psi, theta)
        for out, part in zip((p, dp, d2p), parts, strict=True):
            out[:, g.items, : g.n_categories] = part.transpose(1, 0, 2)
    return p, dp, d2p
