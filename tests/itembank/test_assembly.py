"""Parallel form assembly by MILP (van der Linden 2005)."""

from __future__ import annotations

import numpy as np
import pytest

from itembank.assembly import assemble_parallel_forms
from itembank.refusal import Refusal

THETA = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])


def pool(n_per_section=(40, 40, 40), seed=3):
    rng = np.random.default_rng(seed)
    n = sum(n_per_section)
    a = rng.uniform(0.6, 2.0, n)[:, None]
    b = rng.normal(0.0, 1.0, n)[:, None]
    c = 0.2
    p = c + (1 - c) / (1 + np.exp(-a * (THETA[None, :] - b)))
    information = a**2 * (p - c) ** 2 * (1 - p) / ((1 - c) ** 2 * p)
    sections = np.repeat(np.arange(len(n_per_section)), n_per_section)
    return information, sections


@pytest.fixture(scope="module")
def three_forms():
    """Three forms of 6 + 5 + 4 items from the 120-item pool (the solver runs to its time limit,
    so both tests below read one assembly)."""
    information, sections = pool()
    return information, sections, assemble_parallel_forms(information, sections, [6, 5, 4], 3, time_limit=3)


def test_forms_meet_the_blueprint_and_share_no_items(three_forms):
    information, sections, result = three_forms
    assert len(result.forms) == 3
    used = np.concatenate(result.forms)
    assert len(set(used.tolist())) == used.size  # no item on two forms
    for form in result.forms:
        assert np.bincount(sections[form], minlength=3).tolist() == [6, 5, 4]
        assert sections[form].tolist() == sorted(sections[form].tolist())  # grouped by section


def test_forms_are_parallel_and_much_closer_than_random_forms(three_forms):
    information, sections, result = three_forms
    np.testing.assert_allclose(result.information, [information[f].sum(axis=0) for f in result.forms])
    spread = result.information.max(axis=0) - result.information.min(axis=0)
    rng = np.random.default_rng(0)
    random_spreads = []
    for _ in range(200):
        forms = []
        remaining = {s: rng.permutation(np.flatnonzero(sections == s)).tolist() for s in range(3)}
        for _f in range(3):
            forms.append([remaining[s].pop() for s, k in enumerate([6, 5, 4]) for _ in range(k)])
        tif = np.array([information[f].sum(axis=0) for f in forms])
        random_spreads.append((tif.max(axis=0) - tif.min(axis=0)).max())
    assert spread.max() <= 2 * result.max_deviation + 1e-9
    assert result.max_deviation < 0.1 * np.median(random_spreads)


def test_a_node_limit_gives_the_same_forms_whatever_the_clock_allows(three_forms):
    """Stopped by node count, the search ends at the same place on a loaded machine as on an idle
    one: the forms do not depend on how much of the time limit the machine let the solver use."""
    information, sections, searched = three_forms
    runs = [
        assemble_parallel_forms(information, sections, [6, 5, 4], 3, time_limit=limit, node_limit=20)
        for limit in (30.0, 60.0)
    ]
    assert [form.tolist() for form in runs[0].forms] == [form.tolist() for form in runs[1].forms]
    # The nodes, not the clock, ended it: 3 s of search went further than 20 nodes.
    assert runs[0].max_deviation == runs[1].max_deviation > searched.max_deviation


def test_ineligible_items_are_never_used():
    information, sections = pool((20, 20))
    sections = sections.copy()
    sections[:5] = -1
    result = assemble_parallel_forms(information, sections, [3, 3], 2, time_limit=2)
    assert not set(np.concatenate(result.forms).tolist()) & set(range(5))


def test_a_pool_too_small_is_refused_with_the_section_named():
    information, sections = pool((10, 4))
    with pytest.raises(Refusal) as raised:
        assemble_parallel_forms(information, sections, [3, 3], 2)
    assert raised.value.code == "item.pool_too_small"
    assert raised.value.params == {"section": 1, "needed": 6, "available": 4}


@pytest.mark.parametrize(("counts", "n_forms"), [([], 1), ([3, 0], 1), ([3], 0)])
def test_bad_requests_are_refused(counts, n_forms):
    information, sections = pool((10,))
    with pytest.raises(Refusal, match="bad_request"):
        assemble_parallel_forms(information, sections, counts, n_forms)
