"""The estimator: :class:`MMLCalibrator` (scikit-learn style) and the :func:`calibrate` shortcut.

``fit`` runs named steps, as scikit-learn's ``mixture`` estimators do: check the input, match
anchors, leave out items that cannot be estimated, ``_initialize`` (design, priors, start values,
latent distributions), ``_run_em`` (E-step and M-step until convergence, :mod:`.em`), standard
errors (:mod:`.standard_errors`), then the results. Dichotomous items follow (logistic metric,
D = 1)::

    P(θ) = c + (1 - c) / (1 + exp(-a (θ - b)))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..arrays import FloatArray, IntArray
from ..models import MODELS, ItemParameters, LatentDistribution
from ..quadrature import Quadrature, rectangular
from .data import ResponseDesign, response_categories, start_values
from .mstep import ItemBlock
from .priors import Priors
from .results import CalibrationResult, ConvergenceWarning, EstimationWarning
from .standard_errors import StandardErrors

__all__ = ["MMLCalibrator", "calibrate"]

#: Models that share the slope-intercept form and may stand for one another as anchors.
_INTERCHANGEABLE = frozenset(("1pl", "2pl", "rasch"))


class MMLCalibrator(StandardErrors):
    """Marginal maximum likelihood calibration by EM (Bock & Aitkin 1981), scikit-learn style.

    Parameters
    ----------
    model : str or sequence of str
        ``"rasch"``, ``"1pl"``, ``"2pl"``, ``"3pl"``, ``"grm"``, ``"gpcm"``, or one per item.
    n_categories : int or sequence of int, optional
        Category counts of polytomous items (default: largest observed + 1).
    quadrature : Quadrature, optional
        Default: 41 equally spaced nodes on [-6, 6].
    max_iter : int
        Maximum number of EM steps (E-steps).
    tol : float
        Convergence when no internal parameter changes by more than ``tol`` in one EM step.
    acceleration : {"squarem", None}
        SQUAREM (Varadhan & Roland 2008) or plain EM.
    slope_prior : "auto", (meanlog, sdlog) or None
        Log-normal prior on slopes (MAP). ``"auto"``: log-normal(0, 0.5) for 3PL items only; a
        tuple applies to every item with a free slope.
    guessing_prior : "auto", (alpha, beta) or None
        Beta prior on the 3PL lower asymptote; ``"auto"`` is Beta(5, 17) (mode 0.2).
    se_method : {"xpd", "oakes", None}
        Item standard errors by the cross-product of score vectors (Mislevy 1986) or by
        Oakes' (1999) identity (exact observed information; 2 E-steps per parameter).
    min_responses : int
        Items with fewer responses are left out with an :class:`EstimationWarning`.
    collapse_patterns : bool or "auto"
        Collapse identical response patterns into weights (``"auto"``: when at most 30 items).
    dtype : numpy dtype or "auto"
        Floating type of the big E-step matrices (``"auto"``: float32 for large data).
    chunk_size : int
        Persons per E-step block.

    Attributes
    ----------
    params_ : ItemParameters
    groups_ : tuple of LatentDistribution
    loglik_, log_posterior_, aic_, bic_ : float
    n_params_, n_iter_ : int
    converged_ : bool
    information_condition_ : float
        Condition number of the information matrix behind the SEs (inf when singular; NaN when
        ``se_method`` is None).
    information_rank_ : int
        Its numerical rank, out of ``n_params_`` free parameters.
    history_ : ndarray of shape (n_iter_,)
        Log posterior (log-likelihood plus log priors) at each E-step.
    excluded_ : tuple of str
        Ids of items left out of estimation.
    result_ : CalibrationResult
    """

    def __init__(
        self,
        model: str | Sequence[str] = "2pl",
        *,
        n_categories: int | Sequence[int] | IntArray | None = None,
        quadrature: Quadrature | None = None,
        max_iter: int = 2000,
        tol: float = 1e-4,
        acceleration: str | None = "squarem",
        slope_prior: str | tuple[float, float] | None = "auto",
        guessing_prior: str | tuple[float, float] | None = "auto",
        se_method: str | None = "xpd",
        min_responses: int = 10,
        collapse_patterns: bool | str = "auto",
        dtype: str | type = "auto",
        chunk_size: int = 8192,
    ) -> None:
        self.model = model
        self.n_categories = n_categories
        self.quadrature = quadrature
        self.max_iter = max_iter
        self.tol = tol
        self.acceleration = acceleration
        self.slope_prior = slope_prior
        self.guessing_prior = guessing_prior
        self.se_method = se_method
        self.min_responses = min_responses
        self.collapse_patterns = collapse_patterns
        self.dtype = dtype
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ public

    def fit(
        self,
        responses: npt.ArrayLike,
        *,
        item_ids: Sequence[str] | None = None,
        groups: Sequence[object] | npt.NDArray[np.generic] | None = None,
        anchors: ItemParameters | None = None,
    ) -> MMLCalibrator:
        """Estimate item parameters (and group latent distributions) from responses.

        Parameters
        ----------
        responses : array_like of shape (n_persons, n_items)
            1.0/0.0 (dichotomous) or 0..K-1 (polytomous); NaN = not administered.
        item_ids : sequence of str, optional
            Default ``item1``, ``item2``, ...; used to match ``anchors``.
        groups : array_like of shape (n_persons,), optional
            Group label of each person; groups are sorted and the first is the reference.
        anchors : ItemParameters, optional
            Bank parameters of items held fixed (matched by id); the other items are estimated
            on the bank's scale and every group's latent mean and SD are estimated.

        Returns
        -------
        self
        """
        data, ids, models = self._check_input(responses, item_ids, groups)
        k = response_categories(data, models, self.n_categories)
        models, anchor_pos = _match_anchors(ids, models, k, anchors)
        excluded = self._excluded_items(data, ids, k, anchor_pos)
        keep = np.array([jj for jj in range(data.shape[1]) if jj not in excluded], dtype=int)
        if keep.size == 0:
            raise ValueError("No item can be estimated.")
        sub, groups = _estimation_data(data, keep, groups)
        sub_anchor = {i: anchor_pos[keep[i]] for i in range(keep.size) if keep[i] in anchor_pos}
        self._initialize(sub, k[keep], tuple(models[jj] for jj in keep), groups, anchors, sub_anchor)
        x, history, converged = self._run_em(self._pack())
        self._unpack(x)
        ll, _ = self._e_step(x, want_counts=False)
        log_posterior = ll + self._log_prior()
        cov = None
        self.information_condition_, self.information_rank_ = float("nan"), 0
        if self.se_method is not None:
            cov = self._covariance(x, self.se_method)
        params = self._item_parameters(ids, models, k, keep, cov)
        self._record(params, models, cov, ll, log_posterior, sub.shape[0], history, converged)
        self.excluded_ = tuple(ids[jj] for jj in excluded)
        if not converged:
            warnings.warn(
                f"EM stopped after {self.n_iter_} steps without reaching tol={self.tol:g}.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._warn_implausible(params)
        return self

    def to_dict(self) -> dict[str, object]:
        """The params.json mapping of the fitted calibration (see :class:`CalibrationResult`)."""
        return self.result_.to_dict()

    # ------------------------------------------------------------------ steps of fit

    def _check_input(
        self,
        responses: npt.ArrayLike,
        item_ids: Sequence[str] | None,
        groups: Sequence[object] | npt.NDArray[np.generic] | None,
    ) -> tuple[FloatArray, tuple[str, ...], tuple[str, ...]]:
        """The responses as a float array, the item ids and one lower-case model name per item."""
        data = np.asarray(responses)
        if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError("responses must be a non-empty 2-D array (n_persons, n_items).")
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        n_persons, n_items = data.shape
        ids = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(n_items))
        if len(ids) != n_items:
            raise ValueError(f"{len(ids)} item ids for {n_items} columns.")
        models = (self.model,) * n_items if isinstance(self.model, str) else tuple(self.model)
        models = tuple(m.lower() for m in models)
        if len(models) != n_items:
            raise ValueError(f"{len(models)} models for {n_items} items.")
        for m in models:
            if m not in MODELS:
                raise ValueError(f"Unknown model {m!r}; use one of {', '.join(MODELS)}.")
        if groups is not None and len(groups) != n_persons:
            raise ValueError(f"groups has {len(groups)} entries for {n_persons} persons.")
        return data, ids, models

    def _excluded_items(
        self, data: FloatArray, ids: tuple[str, ...], k: IntArray, anchor_pos: dict[int, int]
    ) -> list[int]:
        """Columns that cannot be estimated (too few responses, no variance, an empty category).

        Each is reported with an :class:`EstimationWarning`; anchors are never left out.
        """
        counts = data.shape[0] - np.isnan(data).sum(axis=0)
        seen_all = np.stack([(data == v).sum(axis=0) for v in range(int(k.max()))], axis=1)
        excluded = []
        for jj in range(data.shape[1]):
            if jj in anchor_pos:
                continue
            reason = None
            if counts[jj] < self.min_responses:
                reason = f"only {counts[jj]} responses (minimum {self.min_responses})"
            else:
                seen = seen_all[jj, : k[jj]]
                if (seen > 0).sum() < 2:
                    reason = "no variance (every response in the same category)"
                elif (seen[: k[jj]] == 0).any():
                    empty = ", ".join(str(x) for x in np.flatnonzero(seen[: k[jj]] == 0))
                    reason = f"no responses in category {empty}"
            if reason:
                warnings.warn(
                    f"Item {ids[jj]} cannot be estimated: {reason}; it is left out.",
                    EstimationWarning,
                    stacklevel=3,
                )
                excluded.append(jj)
        return excluded

    def _initialize(
        self,
        sub: FloatArray,
        sub_k: IntArray,
        sub_models: tuple[str, ...],
        groups: Sequence[object] | npt.NDArray[np.generic] | None,
        anchors: ItemParameters | None,
        sub_anchor: dict[int, int],
    ) -> None:
        """Set the EM state: response design, priors, item blocks with start values, latent groups."""
        collapse = self.collapse_patterns
        if collapse == "auto":
            collapse = sub.shape[1] <= 30
        dtype = self.dtype
        if dtype == "auto":
            dtype = np.float32 if sub.shape[0] * sub.shape[1] > 2_000_000 else np.float64
        self._design = ResponseDesign(sub, sub_k, groups, np.dtype(dtype), bool(collapse))
        self._quad = self.quadrature or rectangular(41, 6.0)
        self._priors = self._prior_settings()
        self._blocks = _initial_blocks(sub, sub_k, sub_models, self._priors, anchors, sub_anchor)
        n_groups = self._design.n_groups
        self._means, self._sds = np.zeros(n_groups), np.ones(n_groups)
        self._free_mean = np.ones(n_groups, dtype=bool)
        self._free_sd = np.ones(n_groups, dtype=bool)
        if not sub_anchor:
            self._free_mean[0] = False
            self._free_sd[0] = all(b.model.slope == "fixed" or b.fixed.all() for b in self._blocks)
        self._layout()

    def _prior_settings(self) -> Priors:
        """The priors of ``slope_prior`` and ``guessing_prior``, ``"auto"`` resolved."""
        auto_slope = self.slope_prior == "auto"
        return Priors(
            slope=_prior_setting(self.slope_prior, (0.0, 0.5)),
            guessing=_prior_setting(self.guessing_prior, (5.0, 17.0)),
            slope_models=frozenset(("3pl",)) if auto_slope else frozenset(("2pl", "3pl", "grm", "gpcm")),
        )

    def _item_parameters(
        self, ids: tuple[str, ...], models: tuple[str, ...], k: IntArray, keep: IntArray, cov: FloatArray | None
    ) -> ItemParameters:
        """Estimates and SEs of every item in the column order given; left-out items NaN."""
        n_items, jmax = len(ids), int(k.max())
        a_all, b_all, c_all = (np.full(n_items, np.nan) for _ in range(3))
        thr_all = np.full((n_items, jmax - 1), np.nan)
        se_a, se_c, se_b = (np.full(n_items, np.nan) for _ in range(3))
        se_thr = np.full((n_items, jmax - 1), np.nan)
        for blk in self._blocks:
            a, t, c = blk.model.from_internal(blk.psi)
            cols = keep[blk.items]
            a_all[cols], c_all[cols] = a, c
            thr_all[cols, : blk.k - 1] = t
            b_all[cols] = t.mean(axis=1)
            if cov is not None:
                sa, sb, sc, st = self._delta_se(blk, cov)
                se_a[cols], se_b[cols], se_c[cols] = sa, sb, sc
                se_thr[cols, : blk.k - 1] = st
        # excluded polytomous items still need their category count: keep NaN thresholds padded
        return ItemParameters(ids, models, a_all, b_all, c_all, thr_all, se_a, se_b, se_c, se_thr, k)

    def _record(
        self,
        params: ItemParameters,
        models: tuple[str, ...],
        cov: FloatArray | None,
        ll: float,
        log_posterior: float,
        n_obs: int,
        history: list[float],
        converged: bool,
    ) -> None:
        """Set the fitted attributes and ``result_``."""
        group_se = self._group_se(cov)
        labels = self._design.group_labels
        self.groups_ = tuple(
            LatentDistribution(float(self._means[g]), float(self._sds[g]), labels[g], *map(float, group_se[g]))
            for g in range(self._design.n_groups)
        )
        n_params = int(self._n_free)
        self.params_ = params
        self.loglik_ = float(ll)
        self.log_posterior_ = float(log_posterior)
        self.n_params_ = n_params
        self.aic_ = float(-2 * ll + 2 * n_params)
        self.bic_ = float(-2 * ll + n_params * math.log(max(n_obs, 1)))
        self.n_iter_ = len(history)
        self.converged_ = bool(converged)
        self.history_ = np.array(history)
        self.n_persons_ = n_obs
        label = self.model if isinstance(self.model, str) else (models[0] if len(set(models)) == 1 else "mixed")
        self.result_ = CalibrationResult(
            params,
            self.groups_,
            str(label).lower(),
            self.loglik_,
            self.aic_,
            self.bic_,
            n_params,
            n_obs,
            self.n_iter_,
            self.converged_,
        )

    def _warn_implausible(self, params: ItemParameters) -> None:
        """Warn about negative slopes and extreme estimates (Heywood cases)."""
        bad = []
        for j in range(params.n_items):
            if not np.isfinite(params.a[j]):
                continue
            if params.a[j] < 0:
                bad.append(f"{params.ids[j]} (negative slope {params.a[j]:.2f})")
            elif params.a[j] > 8 or np.nanmax(np.abs(params.thresholds[j])) > 10:
                bad.append(f"{params.ids[j]} (extreme estimate; a Heywood case, consider priors)")
        if bad:
            warnings.warn("Implausible item estimates: " + "; ".join(bad) + ".", EstimationWarning, stacklevel=3)


def _prior_setting(setting: str | tuple[float, float] | None, auto: tuple[float, float]) -> tuple[float, float] | None:
    """A prior's parameters: ``auto`` for ``"auto"``, the pair given, or None (no prior)."""
    if isinstance(setting, str):
        if setting != "auto":
            raise ValueError(f"Unknown prior {setting!r}; use 'auto', a pair of numbers or None.")
        return auto
    return setting


def _match_anchors(
    ids: tuple[str, ...], models: tuple[str, ...], k: IntArray, anchors: ItemParameters | None
) -> tuple[tuple[str, ...], dict[int, int]]:
    """Items found among ``anchors``: their position there, and the anchor's model and categories.

    ``k`` is updated in place to the anchor's category count; returns (models, {column: anchor row}).
    """
    anchor_pos: dict[int, int] = {}
    if anchors is None:
        return models, anchor_pos
    for jj, item in enumerate(ids):
        if item not in anchors.ids:
            continue
        pos = anchors.ids.index(item)
        if anchors.models[pos] != models[jj] and not {anchors.models[pos], models[jj]} <= _INTERCHANGEABLE:
            models = models[:jj] + (anchors.models[pos],) + models[jj + 1 :]
        if anchors.n_categories[pos] < k[jj]:
            raise ValueError(f"Item {item}: responses above the anchor's categories.")
        k[jj] = anchors.n_categories[pos]
        anchor_pos[jj] = pos
    return models, anchor_pos


def _estimation_data(
    data: FloatArray, keep: IntArray, groups: Sequence[object] | npt.NDArray[np.generic] | None
) -> tuple[FloatArray, Sequence[object] | npt.NDArray[np.generic] | None]:
    """The columns kept, without persons who answered none of them (and their group labels)."""
    sub = data[:, keep] if keep.size < data.shape[1] else data
    if not np.isnan(data).any():
        return sub, groups
    rows_ok = (~np.isnan(sub)).any(axis=1)
    if not rows_ok.all():
        sub = sub[rows_ok]
        groups = None if groups is None else np.asarray(groups)[rows_ok]
    return sub, groups


def _initial_blocks(
    sub: FloatArray,
    sub_k: IntArray,
    sub_models: tuple[str, ...],
    priors: Priors,
    anchors: ItemParameters | None,
    sub_anchor: dict[int, int],
) -> list[ItemBlock]:
    """One block per (model, category count) with classical start values; anchors fixed at the bank's."""
    slopes, thr = start_values(sub, sub_k, sub_models)
    guess = 0.2 if priors.guessing is None else (priors.guessing[0] - 1) / (priors.guessing[0] + priors.guessing[1] - 2)
    blocks: list[ItemBlock] = []
    for name, kk in sorted({(m, int(x)) for m, x in zip(sub_models, sub_k, strict=True)}):
        idx = np.flatnonzero((np.array(sub_models) == name) & (sub_k == kk))
        model = MODELS[name]
        a = slopes[idx].copy()
        c = np.full(idx.size, guess)
        if model.slope == "fixed":
            a[:] = 1.0
        elif model.slope == "common":
            a[:] = np.median(a)
        t = thr[idx, : kk - 1] * (a[:, None] if model.slope == "fixed" else 1.0)
        fixed = np.zeros(idx.size, dtype=bool)
        for r, i in enumerate(idx):
            if anchors is not None and i in sub_anchor:  # anchors are given whenever sub_anchor is filled
                pos = sub_anchor[i]
                a[r] = anchors.a[pos]
                c[r] = anchors.c[pos]
                t[r] = anchors.thresholds[pos, : kk - 1]
                fixed[r] = True
        blocks.append(ItemBlock(model, kk, idx, model.to_internal(a, t, c), fixed))
    return blocks


def calibrate(responses: npt.ArrayLike, model: str | Sequence[str] = "2pl", **options: Any) -> CalibrationResult:
    """Calibrate items by MML-EM (Bock & Aitkin 1981); a functional shortcut.

    Parameters
    ----------
    responses : array_like of shape (n_persons, n_items)
        1.0/0.0 or 0..K-1; NaN = not administered.
    model : str or sequence of str
        Model name for all items or one per item.
    **options
        Constructor options of :class:`MMLCalibrator`, plus ``item_ids``, ``groups`` and
        ``anchors`` for :meth:`MMLCalibrator.fit`.

    Returns
    -------
    CalibrationResult
    """
    fit_keys = {"item_ids", "groups", "anchors"}
    fit_args = {k: options.pop(k) for k in list(options) if k in fit_keys}
    return MMLCalibrator(model, **options).fit(responses, **fit_args).result_
