"""How ``scoring/`` hands out arrays and draws random numbers, in one place.

Results are read-only numpy arrays, so a caller cannot change a score table another caller
shares; random draws come from a ``numpy.random.Generator`` given by the caller or made from a
seed (like scikit-learn's ``check_random_state``), so every simulation is reproducible.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

#: The array types the package's signatures use: floats (scores, parameters, probabilities, with
#: NaN for missing), integer positions and counts, and boolean masks.
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


def readonly(values: npt.ArrayLike, *, copy: bool = False, dtype: npt.DTypeLike = None) -> npt.NDArray[Any]:
    """``values`` as a read-only array. By default an array freshly computed by the caller is
    frozen where it is (no copy of a 4-million-row column); ``copy=True`` freezes a copy, for
    values the caller got from someone else and must not change under them."""
    array = np.array(values, dtype=dtype, copy=True) if copy else np.asarray(values, dtype=dtype)
    array.setflags(write=False)
    return array


def random_state(rng: np.random.Generator | int | None) -> np.random.Generator:
    """The generator itself, or a new one seeded with ``rng`` (None: fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
