"""Quadrature over the latent trait θ for marginal likelihoods (Bock & Aitkin 1981).

A :class:`Quadrature` is a fixed set of nodes with base weights. The latent distribution of a
group, N(μ, σ²), is represented by *log prior weights at the same nodes*, so that groups with
different means and variances share one table of item response probabilities (the fixed-grid
approach of Bock & Zimowski 1997, also used by mirt). Parameterisation used with these nodes
(logistic metric, D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.arrays import FloatArray

__all__ = ["Quadrature", "gauss_hermite", "rectangular"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


@dataclass(frozen=True)
class Quadrature:
    """Nodes and base weights for integrals over θ.

    Attributes
    ----------
    nodes : ndarray of shape (n_nodes,)
        Quadrature points on the θ scale, increasing.
    log_base_weights : ndarray of shape (n_nodes,)
        Log weights of the rule for the base density (0 for a rectangular rule).
    log_base_density : ndarray of shape (n_nodes,)
        Log density the base weights integrate against (0 for a rectangular rule, the
        standard normal log density for Gauss-Hermite).
    """

    nodes: FloatArray
    log_base_weights: FloatArray
    log_base_density: FloatArray

    @property
    def n_nodes(self) -> int:
        """Number of quadrature points."""
        return int(self.nodes.shape[0])

    def log_weights(self, mean: float = 0.0, sd: float = 1.0) -> FloatArray:
        """Normalised log prior weights of N(mean, sd²) at the nodes.

        Parameters
        ----------
        mean, sd : float
            Latent mean and standard deviation of the group.

        Returns
        -------
        ndarray of shape (n_nodes,)
            ``log w_q`` with ``sum(exp(log w_q)) == 1``.
        """
        z = (self.nodes - mean) / sd
        logw: FloatArray = self.log_base_weights - 0.5 * z * z - np.log(sd) - _LOG_SQRT_2PI - self.log_base_density
        logw -= np.logaddexp.reduce(logw)
        return logw

    def weights(self, mean: float = 0.0, sd: float = 1.0) -> FloatArray:
        """Normalised prior weights of N(mean, sd²) at the nodes, shape (n_nodes,)."""
        weights: FloatArray = np.exp(self.log_weights(mean, sd))
        return weights


def rectangular(n_nodes: int = 41, bound: float = 6.0) -> Quadrature:
    """Equally spaced nodes on [-bound, bound] (the rule of Bock & Aitkin 1981 and mirt).

    Parameters
    ----------
    n_nodes : int
        Number of points (>= 5).
    bound : float
        Half-width of the grid on the θ scale.

    Returns
    -------
    Quadrature
    """
    if n_nodes < 5 or not bound > 0:
        raise ValueError("A quadrature needs at least 5 nodes and a positive bound.")
    nodes = np.linspace(-bound, bound, int(n_nodes))
    zeros = np.zeros_like(nodes)
    nodes.setflags(write=False)
    return Quadrature(nodes, zeros.copy(), zeros)


def gauss_hermite(n_nodes: int = 21) -> Quadrature:
    """Gauss-Hermite nodes for a standard normal latent distribution.

    The rule is exact for N(0, 1) integrands of polynomial degree < 2 n_nodes; groups with another
    mean or variance are handled by re-weighting (importance weights), which is accurate only
    near N(0, 1). Prefer :func:`rectangular` for multiple-group calibration.

    Parameters
    ----------
    n_nodes : int
        Number of points (>= 5).

    Returns
    -------
    Quadrature
    """
    if n_nodes < 5:
        raise ValueError("A quadrature needs at least 5 nodes.")
    x, w = np.polynomial.hermite_e.hermegauss(int(n_nodes))
    logw = np.log(w) - np.log(w.sum())
    return Quadrature(x, logw, -0.5 * x * x - _LOG_SQRT_2PI)
