"""The attack's linear programs: bounds on suppressed cells from the sums that link them."""
from __future__ import annotations

from analysis.attack import cell_intervals
from analysis.relations import Relation


def test_one_suppressed_part_is_pinned_exactly():
    relation = Relation("total", ("a", "b", "c"))
    found = cell_intervals({"total": 10, "b": 7, "c": 0}, ["a"], [relation])
    assert (found["a"].low, found["a"].high) == (3, 3) and found["a"].recoverable


def test_two_suppressed_parts_share_what_is_left():
    relation = Relation("total", ("a", "b", "c"))
    found = cell_intervals({"total": 12, "c": 2}, ["a", "b"], [relation])
    assert (found["a"].low, found["a"].high) == (1, 9) and not found["a"].recoverable
    tight = cell_intervals({"total": 6, "c": 0}, ["a", "b"], [relation], only_recoverable=True)
    assert set(tight) == {"a", "b"} and tight["a"].high == 5  # 1..5: within ±2 of 3


def test_chained_relations_are_combined():
    # a + b = 9 (a län), a + c = 4 (a quarter): a is at most 3, c at most 3.
    relations = [Relation("lan", ("a", "b")), Relation("quarter", ("a", "c"))]
    found = cell_intervals({"lan": 9, "quarter": 4}, ["a", "b", "c"], relations)
    assert (found["a"].low, found["a"].high) == (1, 3)
    assert (found["b"].low, found["b"].high) == (6, 8)


def test_a_suppressed_total_with_no_published_anchor_is_unbounded():
    relation = Relation("total", ("a", "b"))
    found = cell_intervals({}, ["total", "a", "b"], [relation])
    assert found["total"].high == float("inf") and not found["total"].recoverable
