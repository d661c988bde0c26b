"""Content rules: a blueprint of item counts per category, met by balancing or by shadow tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from scoring.arrays import IntArray

from .bank import Bank
from .errors import CATError
from .shadow import assemble_shadow_test
from .step import SetAside, _Persons, _pick

if TYPE_CHECKING:
    from .rules import CATRules

__all__ = ["CONTENT_RULES", "ContentBalancing", "ContentRule", "ShadowTest"]


class ContentRule:
    """Content constraints: a blueprint of item counts per category.

    The base class meets the blueprint by balancing (:meth:`category_order`, :meth:`choose`);
    a subclass may replace the choice altogether, as :class:`ShadowTest` does.
    """

    name = ""
    targets: Mapping[str, int]

    def target_vector(self, bank: Bank) -> IntArray:
        """Counts per bank category (0 for categories outside the blueprint), shape (n_categories,)."""
        out = np.zeros(len(bank.category_names), dtype=np.intp)
        for label, count in self.targets.items():
            if label not in bank.category_names:
                raise CATError(f"The blueprint names category {label!r}, which no bank item has.")
            out[bank.category_names.index(label)] = int(count)
        return out

    @property
    def length(self) -> int:
        """Test length the blueprint implies."""
        return int(sum(self.targets.values()))

    def check(self, bank: Bank) -> None:
        """Raise :class:`CATError` when the bank cannot meet the blueprint."""
        target = self.target_vector(bank)
        for c, count in enumerate(target):
            have = int(bank.pool(c)[0].shape[0])
            if have < count:
                raise CATError(
                    f"The blueprint needs {count} items of category {bank.category_names[c]!r}; "
                    f"the bank has {have} operational items there."
                )

    def category_order(self, bank: Bank, counts: IntArray) -> IntArray:
        """Categories to try per person, most behind first; -1 for categories already complete.

        A category's lag is its share ``given_c / target_c`` among those still short of their
        target (Kingsbury & Zara 1989); ties go to the earlier category of the bank.

        Parameters
        ----------
        counts : ndarray of int, shape (n_persons, n_categories)
            Scored items given per category.

        Returns
        -------
        ndarray of int, shape (n_persons, n_categories)
        """
        target = self.target_vector(bank)
        short = counts < target
        share = np.where(short, counts / np.maximum(target, 1), np.inf)
        order = np.argsort(share + 1e-9 * np.arange(target.shape[0]), axis=1, kind="stable")
        return np.where(np.take_along_axis(short, order, axis=1), order, -1)

    def choose(self, bank: Bank, rules: CATRules, sub: _Persons, rng: np.random.Generator) -> tuple[IntArray, SetAside]:
        """Next operational item per person, from the first category of :meth:`category_order`.

        Within a category the rules' selection and exposure rules choose; a person moves to
        their next category only when every item of the first one is administered or excluded.

        Parameters
        ----------
        bank : Bank
        rules : CATRules
        sub : _Persons
            The persons who continue, with their θ node set.
        rng : numpy.random.Generator

        Returns
        -------
        chosen : ndarray of int, shape (n_persons,)
            Bank position of the next item; -1 when no category has an eligible item left.
        set_aside : list of (int, int)
            (person row, bank position) of items the exposure rule passed over.
        """
        order = self.category_order(bank, sub.counts)
        chosen = np.full(sub.node.shape[0], -1, dtype=np.intp)
        aside: SetAside = []
        for rank in range(order.shape[1]):
            waiting = np.flatnonzero((chosen < 0) & (order[:, rank] >= 0))
            if not waiting.size:
                break
            for c in np.unique(order[waiting, rank]):
                rows = waiting[order[waiting, rank] == c]
                _pick(bank, rules, int(c), sub, rows, rng, chosen, aside)
        return chosen, aside

    def to_dict(self) -> dict[str, object]:
        """Plain-data form."""
        return {"rule": self.name, "targets": dict(self.targets)}


@dataclass(frozen=True)
class ContentBalancing(ContentRule):
    """Blueprint counts met exactly by choosing, at each step, the category furthest behind.

    The next item comes from the category with the smallest share ``given_c / target_c`` among
    those still short of their target (Kingsbury & Zara 1989), so a fixed-length test of
    ``sum(targets)`` items meets the counts exactly and every prefix stays balanced.
    """

    targets: Mapping[str, int] = field(default_factory=dict)
    name = "blueprint"

    def __post_init__(self) -> None:
        if not self.targets or any(int(v) < 0 for v in self.targets.values()):
            raise CATError("A blueprint needs non-negative counts for at least one category.")
        object.__setattr__(self, "targets", {str(k): int(v) for k, v in self.targets.items()})


@dataclass(frozen=True)
class ShadowTest(ContentRule):
    """Blueprint counts (exact) and enemy sets as hard constraints of a shadow test.

    Attributes
    ----------
    targets : mapping of category to int
        Items per category; their sum is the test length.
    enemies : sequence of sequences of item ids
        At most one item of each set is given (e.g. items that cue each other).
    """

    targets: Mapping[str, int] = field(default_factory=dict)
    enemies: tuple[tuple[str, ...], ...] = ()
    name = "shadow"

    def __post_init__(self) -> None:
        if not self.targets or any(int(v) < 0 for v in self.targets.values()):
            raise CATError("A shadow test needs non-negative counts for at least one category.")
        object.__setattr__(self, "targets", {str(k): int(v) for k, v in self.targets.items()})
        object.__setattr__(self, "enemies", tuple(tuple(str(i) for i in g) for g in self.enemies))

    def check(self, bank: Bank) -> None:
        super().check(bank)
        for group in self.enemies:
            bank.index(group)

    def choose(self, bank: Bank, rules: CATRules, sub: _Persons, rng: np.random.Generator) -> tuple[IntArray, SetAside]:
        """Next item per person from that person's shadow test; one MILP per person.

        Replaces the balancing of :meth:`ContentRule.choose`: the shadow test (of
        :func:`scoring.cat.shadow.assemble_shadow_test`) holds every item still needed, and the
        exposure rule chooses among its most informative free items.
        """
        target = self.target_vector(bank)
        groups = [bank.index(g) for g in self.enemies]
        n = sub.node.shape[0]
        chosen = np.full(n, -1, dtype=np.intp)
        aside: SetAside = []
        need_k = rules.exposure.need
        for r in range(n):
            eligible = ~sub.blocked[r] & ~bank.pilot
            for g in groups:
                if sub.given[r, g].any():
                    eligible[g] = False
            need = np.maximum(target - sub.counts[r], 0)
            shadow = assemble_shadow_test(bank.info[sub.node[r]], bank.category, need, eligible, enemies=groups)
            cands = np.full((1, need_k), -1, dtype=np.intp)
            cands[0, : min(need_k, shadow.shape[0])] = shadow[:need_k]
            pick, set_aside = rules.exposure.choose(bank, cands, rng)
            chosen[r] = pick[0]
            aside.extend((r, int(j)) for j in cands[0, set_aside[0]])
        return chosen, aside

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.name, "targets": dict(self.targets), "enemies": [list(g) for g in self.enemies]}


#: Content rules by name.
CONTENT_RULES: dict[str, type[ContentRule]] = {"blueprint": ContentBalancing, "shadow": ShadowTest}
