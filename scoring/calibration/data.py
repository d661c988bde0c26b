"""The response data as the EM algorithm reads it: category counts, the indicator layout, start values.

Orientation: ``responses`` has shape (n_persons, n_items), persons are rows; 0/1 for dichotomous
items, 0..K-1 for polytomous ones, NaN = not administered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from ..arrays import FloatArray, IntArray
from ..models import MODELS

__all__ = ["ResponseDesign", "response_categories", "start_values"]


def response_categories(
    responses: FloatArray, models: Sequence[str], n_categories: int | Sequence[int] | IntArray | None = None
) -> IntArray:
    """Number of categories per item, checking that responses are valid category codes.

    Parameters
    ----------
    responses : ndarray of shape (n_persons, n_items)
        0/1 for dichotomous items, 0..K-1 for polytomous ones, NaN = not administered.
    models : sequence of str, length n_items
    n_categories : int or sequence of int, optional
        Category counts of polytomous items; default ``max observed + 1``.

    Returns
    -------
    ndarray of int, shape (n_items,)

    Raises
    ------
    ValueError
        Naming the first offending row and column (0-based) when a value is not a category.
    """
    n_items = responses.shape[1]
    given = None if n_categories is None else np.broadcast_to(np.asarray(n_categories, int), (n_items,))
    poly = np.array([MODELS[m].polytomous for m in models], dtype=bool)
    k = np.full(n_items, 2, dtype=int)
    missing = np.isnan(responses)
    if (~poly).any():
        sub = responses if (~poly).all() else responses[:, ~poly]
        ok = sub == 0
        ok |= sub == 1
        ok |= missing if (~poly).all() else missing[:, ~poly]
        if not ok.all():
            rows, cols = np.nonzero(~ok)
            first = np.argmin(rows * n_items + np.flatnonzero(~poly)[cols])
            row, col = int(rows[first]), int(np.flatnonzero(~poly)[cols[first]])
            raise ValueError(
                f"row {row}, column {col}: value {responses[row, col]:g} is not a category of a "
                f"{models[col]} item (expected 0 or 1)."
            )
    for j in np.flatnonzero(poly):
        values = responses[:, j]
        seen = values[~missing[:, j]]
        top = float(seen.max()) if seen.size else 0.0
        k[j] = int(given[j]) if given is not None else max(int(top) + 1 if np.isfinite(top) else 2, 2)
        bad = ~missing[:, j] & ((values != np.round(values)) | (values < 0) | (values > k[j] - 1))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"row {row}, column {j}: value {values[row]:g} is not a category of a {models[j]} item "
                f"(expected an integer 0..{k[j] - 1})."
            )
    return k


class ResponseDesign:
    """Response indicators in the layout the E-step multiplies with.

    One indicator column per (item, category 1..K-1), persons sorted by group; identical
    response patterns collapsed into ``weights`` when ``collapse`` is set.
    """

    def __init__(
        self,
        responses: FloatArray,
        k: IntArray,
        groups: Sequence[object] | npt.NDArray[np.generic] | None,
        dtype: np.dtype[np.floating[Any]],
        collapse: bool,
    ) -> None:
        n, j = responses.shape
        missing = np.isnan(responses)
        complete = not missing.any()
        self.group_labels: tuple[str, ...]
        if groups is None:
            codes = np.zeros(n, dtype=np.int64)
            self.group_labels = ("all",)
        else:
            labels, codes = np.unique(np.asarray(groups), return_inverse=True)
            self.group_labels = tuple(str(x) for x in labels)
        n_groups = len(self.group_labels)
        order = np.argsort(codes, kind="stable") if n_groups > 1 else None
        weights = None
        if collapse:
            coded = np.where(missing, -1, responses).astype(np.int16)
            key = np.concatenate([codes[:, None].astype(np.int16), coded], axis=1)
            uniq, counts = np.unique(key, axis=0, return_counts=True)
            codes = uniq[:, 0].astype(np.int64)
            responses = np.where(uniq[:, 1:] < 0, np.nan, uniq[:, 1:]).astype(float)
            missing = np.isnan(responses)
            weights = counts.astype(np.float64)
            order = np.argsort(codes, kind="stable") if n_groups > 1 else None
        if order is not None:
            responses, codes, missing = responses[order], codes[order], missing[order]
            weights = None if weights is None else weights[order]
        self.n_rows = responses.shape[0]
        self.weights = weights
        self.codes = codes
        cols_item, cols_cat = [], []
        for jj in range(j):
            for cat in range(1, int(k[jj])):
                cols_item.append(jj)
                cols_cat.append(cat)
        self.col_item = np.array(cols_item, dtype=int)
        self.col_cat = np.array(cols_cat, dtype=int)
        if (k == 2).all() and complete and responses.dtype == dtype:
            self.y = responses  # already the 0/1 indicator matrix: no copy
        else:
            y = np.empty((self.n_rows, self.col_item.size), dtype=dtype)
            step = 65536
            for s in range(0, self.n_rows, step):
                block = responses[s : s + step]
                y[s : s + step] = block[:, self.col_item] == self.col_cat
            self.y = y
        #: Administered indicator (n_rows, n_items), None when every response is present.
        self.mask: npt.NDArray[np.floating[Any]] | None = None if complete else (~missing).astype(dtype)
        self.n_items = j
        bounds = np.flatnonzero(np.diff(codes)) + 1 if n_groups > 1 else np.zeros(0, int)
        edges = np.concatenate([[0], bounds, [self.n_rows]])
        self.group_ranges = [(int(edges[g]), int(edges[g + 1])) for g in range(len(edges) - 1)]
        self.group_of_range = [int(codes[s]) if s < self.n_rows else 0 for s, _ in self.group_ranges]
        self.n_groups = n_groups


def start_values(responses: FloatArray, k: IntArray, models: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Classical start values: slopes from biserial correlations, thresholds from proportions."""
    if responses.shape[0] > 20000:  # start values need no more than a systematic subsample
        responses = responses[:: -(-responses.shape[0] // 20000)]
    responses = responses.astype(np.float64)
    j = responses.shape[1]
    admin = ~np.isnan(responses)
    scaled = np.where(admin, responses, 0.0) / (k - 1)
    count = admin.sum(axis=1)
    person = scaled.sum(axis=1) / np.maximum(count, 1)
    m = admin.astype(float)
    nj = np.maximum(m.sum(axis=0), 1)
    mean_x = scaled.sum(axis=0) / nj
    mean_s = (m * person[:, None]).sum(axis=0) / nj
    cov = (scaled * person[:, None]).sum(axis=0) / nj - mean_x * mean_s
    var_x = (scaled * scaled).sum(axis=0) / nj - mean_x**2
    var_s = (m * person[:, None] ** 2).sum(axis=0) / nj - mean_s**2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var_x * var_s)
    r = np.clip(np.nan_to_num(r, nan=0.3), 0.1, 0.85)
    p = np.clip(mean_x, 0.02, 0.98)
    z = ndtri(p)  # the standard normal's quantile (scipy.stats.norm.ppf, without importing scipy.stats)
    rb = np.clip(r * np.sqrt(p * (1 - p)) / (np.exp(-(z**2) / 2.0) / np.sqrt(2 * np.pi)), 0.15, 0.9)
    slopes = np.clip(1.702 * rb / np.sqrt(1 - rb**2), 0.3, 3.0)
    thresholds = np.full((j, int(k.max()) - 1), np.nan)
    for jj in range(j):
        col = responses[admin[:, jj], jj]
        for cat in range(1, int(k[jj])):
            share = np.clip((col >= cat).mean() if col.size else 0.5, 0.01, 0.99)
            thresholds[jj, cat - 1] = np.clip(ndtri(1 - share) / rb[jj], -4, 4)
        if MODELS[models[jj]].polytomous:
            thresholds[jj, : k[jj] - 1] = np.sort(thresholds[jj, : k[jj] - 1]) + 1e-3 * np.arange(k[jj] - 1)
    return slopes, thresholds
