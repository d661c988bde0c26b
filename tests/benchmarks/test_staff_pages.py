"""The staff-page benchmark's check (``benchmarks/staff_pages.py --check``): a page over the budget
is reported, the others are not."""

from __future__ import annotations

import numpy as np

from benchmarks.staff_pages import BUDGET_MS, Timing, report


def timing(endpoint: str, milliseconds: list[float]) -> Timing:
    wall = np.asarray(milliseconds)
    return Timing("proctor", endpoint, f"/{endpoint}", 1, float(wall[0]), wall, wall / 2, 10, 200)


def test_a_page_whose_median_is_over_the_budget_is_reported(capsys):
    fast = timing("proctor.queue", [20.0, 25.0, 900.0])  # one slow request: its median is 25 ms
    slow = timing("proctor.timeline", [BUDGET_MS - 10, BUDGET_MS + 1, BUDGET_MS + 5])
    assert report([fast, slow]) == [slow]
    table = capsys.readouterr().out
    assert "| proctor | `proctor.timeline` | `/proctor.timeline` | 1 | 290 | 301.0 **over** |" in table
    assert "1 page(s) over 300 ms" in table
    assert report([fast]) == []
