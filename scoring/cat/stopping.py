"""Stopping rules: decide, per person, whether the adaptive test ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from scoring.arrays import BoolArray, FloatArray, IntArray

from .bank import Bank

__all__ = ["SPRT", "STOPPING_RULES", "MaxLength", "StandardErrorStop", "StoppingRule", "TimeLimit"]

#: Why a rule stops: one reason for every person, or one per person (an array of str).
Reason: TypeAlias = str | npt.NDArray[np.str_]


@dataclass(frozen=True)
class _StopInput:
    theta: FloatArray
    se: FloatArray
    n_scored: IntArray
    elapsed: FloatArray
    loglik: FloatArray
    bank: Bank


class StoppingRule:
    """Decides, per person, whether the test ends; ``hard`` rules apply before the minimum length."""

    name = ""
    hard = False

    def check(self, data: _StopInput) -> tuple[BoolArray, Reason]:
        """Stop flags (n_persons,) and the reason (a string or an array of strings)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        raise NotImplementedError


@dataclass(frozen=True)
class MaxLength(StoppingRule):
    """Stop after ``n`` scored items."""

    n: int
    name = "max-length"
    hard = True

    def check(self, data: _StopInput) -> tuple[BoolArray, Reason]:
        return data.n_scored >= self.n, self.name

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "n": self.n}


@dataclass(frozen=True)
class StandardErrorStop(StoppingRule):
    """Stop when the posterior SD of θ is at most ``threshold``."""

    threshold: float
    name = "se"

    def check(self, data: _StopInput) -> tuple[BoolArray, Reason]:
        return data.se <= self.threshold, self.name

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "threshold": self.threshold}


@dataclass(frozen=True)
class TimeLimit(StoppingRule):
    """Stop when the candidate's elapsed time reaches ``seconds``."""

    seconds: float
    name = "time-limit"
    hard = True

    def check(self, data: _StopInput) -> tuple[BoolArray, Reason]:
        return data.elapsed >= self.seconds, self.name

    def to_dict(self) -> dict[str, object]:
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

    def check(self, data: _StopInput) -> tuple[BoolArray, Reason]:
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

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "cut": self.cut, "delta": self.delta, "alpha": self.alpha, "beta": self.beta}


#: Stopping rules by name.
STOPPING_RULES: dict[str, type[StoppingRule]] = {
    "max-length": MaxLength,
    "se": StandardErrorStop,
    "time-limit": TimeLimit,
    "sprt": SPRT,
}
