"""Exposure-control rules: choose the administered item among a person's ranked candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from scoring.arrays import BoolArray, IntArray

from .errors import CATError

if TYPE_CHECKING:
    from .bank import Bank

__all__ = ["EXPOSURE_RULES", "ExposureRule", "NoExposureControl", "Randomesque", "SympsonHetter"]


class ExposureRule:
    """Chooses the administered item among a person's ranked candidates."""

    name = ""

    @property
    def need(self) -> int:
        """How many ranked candidates the rule looks at."""
        return 1

    def choose(self, bank: Bank, candidates: IntArray, rng: np.random.Generator) -> tuple[IntArray, BoolArray]:
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

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {"rule": self.name}


@dataclass(frozen=True)
class NoExposureControl(ExposureRule):
    """Always the best candidate."""

    name = "none"

    def choose(self, bank: Bank, candidates: IntArray, rng: np.random.Generator) -> tuple[IntArray, BoolArray]:
        return candidates[:, 0], np.zeros(candidates.shape, bool)


@dataclass(frozen=True)
class Randomesque(ExposureRule):
    """One of the ``n`` best candidates at random (Kingsbury & Zara 1989)."""

    n: int = 5
    name = "randomesque"

    def __post_init__(self) -> None:
        if self.n < 1:
            raise CATError("randomesque needs n >= 1.")

    @property
    def need(self) -> int:
        return self.n

    def choose(self, bank: Bank, candidates: IntArray, rng: np.random.Generator) -> tuple[IntArray, BoolArray]:
        valid = candidates >= 0
        count = valid.sum(axis=1)
        pick = np.minimum((rng.random(candidates.shape[0]) * np.maximum(count, 1)).astype(np.intp), count - 1)
        chosen = np.where(count > 0, candidates[np.arange(candidates.shape[0]), np.maximum(pick, 0)], -1)
        return chosen, np.zeros(candidates.shape, bool)

    def to_dict(self) -> dict[str, object]:
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
    def need(self) -> int:
        return self.max_candidates

    def choose(self, bank: Bank, candidates: IntArray, rng: np.random.Generator) -> tuple[IntArray, BoolArray]:
        valid = candidates >= 0
        k = np.where(valid, bank.exposure[np.maximum(candidates, 0)], 0.0)
        accept = valid & (rng.random(candidates.shape) < k)
        last = np.maximum(valid.sum(axis=1) - 1, 0)
        first = np.where(accept.any(axis=1), np.argmax(accept, axis=1), last)
        rows = np.arange(candidates.shape[0])
        chosen = np.where(valid.any(axis=1), candidates[rows, first], -1)
        set_aside = valid & (np.arange(candidates.shape[1]) < first[:, None])
        return chosen, set_aside

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "max_candidates": self.max_candidates}


#: Exposure-control rules by name.
EXPOSURE_RULES: dict[str, type[ExposureRule]] = {
    "none": NoExposureControl,
    "randomesque": Randomesque,
    "sympson-hetter": SympsonHetter,
}
