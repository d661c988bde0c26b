"""What a calibration returns: the params.json result and the warnings it may raise."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ItemParameters, LatentDistribution

__all__ = ["CalibrationResult", "ConvergenceWarning", "EstimationWarning"]


class EstimationWarning(UserWarning):
    """An item cannot be estimated (it is left out) or its estimate is implausible."""


class ConvergenceWarning(UserWarning):
    """The EM algorithm stopped at ``max_iter`` before reaching the tolerance."""


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of a calibration in the params.json layout.

    Attributes
    ----------
    params : ItemParameters
    groups : tuple of LatentDistribution
    model : str
        The model name given (``"mixed"`` for a per-item list).
    loglik, aic, bic : float
        Marginal log-likelihood at the estimate and the information criteria.
    n_params : int
        Number of free parameters.
    n_persons : int
    iterations : int
        Number of EM steps (E-steps) performed.
    converged : bool
    """

    params: ItemParameters
    groups: tuple[LatentDistribution, ...]
    model: str
    loglik: float
    aic: float
    bic: float
    n_params: int
    n_persons: int
    iterations: int
    converged: bool

    def to_dict(self) -> dict[str, object]:
        """The params.json mapping: ``model, loglik, aic, bic, iterations, converged, items, groups``."""
        head: dict[str, object] = {
            "model": self.model,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "iterations": self.iterations,
            "converged": self.converged,
            "n_persons": self.n_persons,
            "n_params": self.n_params,
        }
        return {**head, **self.params.to_dict(), "groups": [g.to_dict() for g in self.groups]}
