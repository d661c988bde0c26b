"""The one error of adaptive testing."""

from __future__ import annotations

__all__ = ["CATError"]


class CATError(ValueError):
    """Bad CAT input or configuration: unknown items, a bank too small, constraints that cannot be met."""
