"""The rules of one adaptive test, built from plain data through the rule registries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .bank import Bank
from .content import CONTENT_RULES, ContentRule
from .errors import CATError
from .exposure import EXPOSURE_RULES, ExposureRule, NoExposureControl
from .selection import SELECTION_RULES, MaximumInformation, SelectionRule
from .stopping import STOPPING_RULES, MaxLength, StoppingRule

__all__ = ["CATRules"]


_Rule = TypeVar("_Rule")


def _from_registry(registry: Mapping[str, type[_Rule]], spec: object, kind: str) -> _Rule:
    """The rule ``spec`` names (a name, or a mapping of ``rule`` and the rule's settings)."""
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

    def __post_init__(self) -> None:
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
    def from_dict(cls, data: Mapping[str, Any]) -> CATRules:
        """Build rules from plain data (a blueprint's CAT settings).

        Example::

            {"selection": "mfi", "exposure": {"rule": "randomesque", "n": 5},
             "content": {"rule": "blueprint", "targets": {"TWK": 30, "TIU": 35, "TKP": 45}},
             "stopping": [{"rule": "se", "threshold": 0.3}, {"rule": "max-length", "n": 40}],
             "min_length": 10, "pilot_positions": [5, 20]}

        Unknown settings or rule names raise :class:`CATError`.
        """
        known = {"selection", "exposure", "content", "stopping", "min_length", "pilot_positions"}
        unknown = set(data) - known
        if unknown:
            raise CATError(f"Unknown CAT setting {sorted(unknown)[0]!r}; use {', '.join(sorted(known))}.")
        kwargs: dict[str, Any] = {}
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

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (the inverse of :meth:`from_dict`)."""
        return {
            "selection": self.selection.to_dict(),
            "exposure": self.exposure.to_dict(),
            "content": None if self.content is None else self.content.to_dict(),
            "stopping": [r.to_dict() for r in self.stopping],
            "min_length": self.min_length,
            "pilot_positions": list(self.pilot_positions),
        }
