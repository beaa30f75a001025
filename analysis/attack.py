"""The automated attacker: bounds every suppressed cell of published tables by solving their sums.

What the attacker knows and assumes:

* Published cells are constants; every suppressed cell is an unknown of at least 1, because lagesbild
  always publishes zeros. It does *not* assume a suppressed cell is below the threshold: secondary cells
  can be large. The sums linking cells are analysis.relations'.
* Exact sums, where the numbers allow. The measures are distinct counts and not always additive (a profile
  seen in two kommuner counts in both; an ad active in two months counts once in the quarter). Relations
  come in kinds ("lan=kommun", "quarter=month", …). The attacker takes every relation of a kind as an exact
  sum unless a fully published relation of that kind fails to add up; kinds shown not to add up are left
  out. Where the exact sums contradict the published numbers for a group of linked suppressed cells, it
  falls back there to what always holds for distinct counts: each part ≤ total ≤ Σ parts.
* Bounds come from linear programming (HiGHS, shipped with scipy): the min and max of each unknown. A cell
  whose bounds, rounded inwards to integers, are at most 4 apart (pinned to within ±2) is recoverable.
  An integer-programming attacker could sometimes do slightly better; that limit is accepted.

analysis.disclosure protects against this attacker and also against an informed one that knows every
nearly additive relation's exact sum (see cell_intervals). analysis.audit runs it on published files.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping

from analysis.relations import Relation

RECOVERABLE_WIDTH = 4  # max − min ≤ 4: the value is known to within ±2
_EPS = 1e-6
_PROBES = 4  # feasible points from random objectives
_SMALL_ROW = 12  # cells in relations with at most this many unknowns are probed in different groups
_PROPAGATION_ROUNDS = 20
_BATCH_ROUNDS = 3


@dataclass(frozen=True)
class Interval:
    """The values an attacker cannot rule out for a suppressed cell (high may be infinite)."""

    low: float
    high: float

    @property
    def recoverable(self) -> bool:
        return self.high - self.low <= RECOVERABLE_WIDTH


@dataclass(frozen=True)
class _Row:
    """Σ coefficient·cell = rhs (or ≤ rhs) over the unknown cells of one relation."""

    coefficients: tuple[tuple[Hashable, float], ...]
    equality: bool
    rhs: float


def _signed(relation: Relation) -> list[tuple[Hashable, float]]:
    return [(relation.total, 1.0)] + [(part, -1.0) for part in relation.parts]


def _row(terms, unknown: set, known: Mapping, equality: bool) -> _Row | None:
    """total − Σ parts (= or ≤) 0, with the published cells moved to the right-hand side."""
    coefficients: dict[Hashable, float] = defaultdict(float)
    rhs = 0.0
    for cell, sign in terms:
        if cell in unknown:
            coefficients[cell] += sign
        else:
            rhs -= sign * known[cell]
    coefficients = {cell: c for cell, c in coefficients.items() if c}
    return _Row(tuple(coefficients.items()), equality, rhs) if coefficients else None


def _exact_rows(relations, unknown: set, known: Mapping) -> list[_Row]:
    """Every relation as an exact sum of the published numbers."""
    rows = [_row(_signed(relation), unknown, known, True) for relation in relations]
    return [row for row in rows if row is not None]


def _distinct_rows(relations, unknown: set, known: Mapping) -> list[_Row]:
    """What always holds for distinct counts: each part ≤ total ≤ Σ parts."""
    rows = []
    for relation in relations:
        candidates = [_row(_signed(relation), unknown, known, False)]
        candidates += [_row([(part, 1.0), (relation.total, -1.0)], unknown, known, False) for part in relation.parts]
        rows += [row for row in candidates if row is not None]
    return rows


def _deviation(relation: Relation, values: Mapping) -> int:
    return values[relation.total] - sum(values[part] for part in relation.parts)


def _informed_rows(relations, unknown: set, known: Mapping, truth: Mapping) -> list[_Row]:
    """The informed attacker: knows each nearly additive relation's exact sum (deviation at most ±4), as if
    it knew the data; relations further from additive hold only as distinct-count inequalities."""
    rows = []
    for relation in relations:
        values = {**{c: known[c] for c in relation.cells if c not in unknown},
                  **{c: truth[c] for c in relation.cells if c in unknown}}
        if abs(_deviation(relation, values)) <= RECOVERABLE_WIDTH:
            row = _row(_signed(relation), unknown, known, True)
            if row is not None:
                rows.append(_Row(row.coefficients, True, sum(c * truth[cell] for cell, c in row.coefficients)))
        else:
            rows += _distinct_rows([relation], unknown, known)
    return rows


def additive_kinds(relations: Iterable[Relation], known: Mapping) -> set[str]:
    """The kinds of relation that add up exactly wherever all their cells are published (or that the
    published numbers cannot refute)."""
    refuted: set[str] = set()
    kinds: set[str] = set()
    for relation in relations:
        kinds.add(relation.kind)
        if relation.kind not in refuted and all(c in known for c in relation.cells):
            if _deviation(relation, known) != 0:
                refuted.add(relation.kind)
    return kinds - refuted


def _components(unknown: set, rows: list[_Row]) -> list[tuple[list, list[_Row]]]:
    """Groups of unknown cells linked by rows, each with its rows."""
    parent = {cell: cell for cell in unknown}

    def find(cell):
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for row in rows:
        first = row.coefficients[0][0]
        for cell, _ in row.coefficients[1:]:
            parent[find(cell)] = find(first)
    cells_of: dict = defaultdict(list)
    for cell in sorted(unknown, key=repr):
        cells_of[find(cell)].append(cell)
    rows_of: dict = defaultdict(list)
    for row in rows:
        rows_of[find(row.coefficients[0][0])].append(row)
    return [(cells, rows_of[root]) for root, cells in cells_of.items()]


class _Solver:
    """One LP (fixed rows and column bounds) solved for many objectives.

    It uses the HiGHS model that scipy ships, re-solved from the last basis (several times faster than
    a fresh linprog call); with a scipy that lacks it, every solve is a plain scipy.optimize.linprog.
    """

    def __init__(self, rows: list[_Row], index: Mapping, low, high) -> None:
        import numpy as np
        from scipy.sparse import csc_matrix

        self.np, self.n, self.low, self.high = np, len(index), low, high
        data, row_ids, column_ids, lower, upper = [], [], [], [], []
        for r, row in enumerate(rows):
            for cell, c in row.coefficients:
                data.append(c), row_ids.append(r), column_ids.append(index[cell])
            lower.append(row.rhs if row.equality else -np.inf)
            upper.append(row.rhs)
        self.matrix = csc_matrix((data, (row_ids, column_ids)), shape=(len(rows), self.n))
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.highs = self._highs()

    def _highs(self):
        try:
            return self._build_highs()
        except (ImportError, AttributeError, TypeError):  # a scipy without that model: plain linprog
            return None

    def _build_highs(self):
        from scipy.optimize._highspy import _core

        np = self.np
        inf = _core.kHighsInf
        lp = _core.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, self.matrix.shape[0]
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = self.low
        lp.col_upper_ = np.where(np.isinf(self.high), inf, self.high)
        lp.row_lower_ = np.where(np.isinf(self.lower), -inf, self.lower)
        lp.row_upper_ = self.upper
        lp.a_matrix_.format_ = _core.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, self.matrix.shape[0]
        lp.a_matrix_.start_ = self.matrix.indptr
        lp.a_matrix_.index_ = self.matrix.indices
        lp.a_matrix_.value_ = self.matrix.data
        highs = _core._Highs()
        highs.setOptionValue("output_flag", False)
        highs.passModel(lp)
        self.core, self.columns = _core, np.arange(self.n, dtype=np.int32)
        self.inf_high = lp.col_upper_
        return highs

    def solve(self, objective, cap: float | None = None):
        """(status, x, objective value): status 0 optimal, 2 infeasible, 3 unbounded."""
        objective = self.np.asarray(objective, dtype=float)
        if self.highs is None:
            return self._linprog(objective, cap)
        highs, status_of = self.highs, self.core.HighsModelStatus
        if cap is not None:
            highs.changeColsBounds(self.n, self.columns, self.low, self.np.minimum(self.inf_high, cap))
        highs.changeColsCost(self.n, self.columns, objective)
        highs.run()
        status = highs.getModelStatus()
        if cap is not None:
            highs.changeColsBounds(self.n, self.columns, self.low, self.inf_high)
        if status == status_of.kOptimal:
            x = self.np.array(highs.getSolution().col_value)
            return 0, x, float(objective @ x)
        if status == status_of.kInfeasible:
            return 2, None, None
        if status in (status_of.kUnbounded, status_of.kUnboundedOrInfeasible):
            return 3, None, None
        return self._linprog(objective, cap)  # anything else: ask linprog from scratch

    def _linprog(self, objective, cap):
        from scipy.optimize import linprog

        equality = ~self.np.isinf(self.lower)
        extra = {}
        if equality.any():
            extra.update(A_eq=self.matrix[equality], b_eq=self.upper[equality])
        if (~equality).any():
            extra.update(A_ub=self.matrix[~equality], b_ub=self.upper[~equality])
        high = self.high if cap is None else self.np.minimum(self.high, cap)
        bounds = [(lo, None if math.isinf(hi) else hi) for lo, hi in zip(self.low, high)]
        result = linprog(objective, bounds=bounds, method="highs", **extra)
        return (result.status, result.x, result.fun) if result.status in (0, 2, 3) else (2, None, None)


class _Polytope:
    """The values an attacker cannot rule out for one group of unknown cells (every cell ≥ floor)."""

    def __init__(self, cells: list, rows: list[_Row], floor: float, point=None) -> None:
        import numpy as np

        self.np = np
        self.cells, self.floor = cells, floor
        self.index = {cell: i for i, cell in enumerate(cells)}
        self.n = len(cells)
        # Rows on one cell are bounds of that cell; the others stay rows.
        self.low = np.full(self.n, float(floor))
        self.high = np.full(self.n, math.inf)
        self.rows = []
        for row in rows:
            if len(row.coefficients) > 1:
                self.rows.append(row)
                continue
            cell, c = row.coefficients[0]
            j, limit = self.index[cell], row.rhs / c
            if row.equality or c > 0:
                self.high[j] = min(self.high[j], limit)
            if row.equality or c < 0:
                self.low[j] = max(self.low[j], limit)
        self.rows_of: dict[int, list[_Row]] = defaultdict(list)
        for row in self.rows:
            for cell, _ in row.coefficients:
                self.rows_of[self.index[cell]].append(row)
        self.seen_low = np.full(self.n, math.inf)
        self.seen_high = np.full(self.n, -math.inf)
        self.outer = None  # propagated bounds, computed when first needed
        self.batched = False
        if (self.low > self.high + _EPS).any():
            self.feasible = False
            return
        self.solver = _Solver(self.rows, self.index, self.low, self.high)
        self.feasible = self._probe(point)

    def _see(self, values) -> None:
        self.seen_low = self.np.minimum(self.seen_low, values)
        self.seen_high = self.np.maximum(self.seen_high, values)

    def _probe(self, point) -> bool:
        """Feasible points: `point` if given, a first solution and a few random vertices. False if none."""
        status, x, _ = self.solver.solve(self.np.zeros(self.n))
        if status == 2:
            return False
        for values in ([point] if point is not None else []) + ([x] if status == 0 else []):
            self._see(self.np.asarray(values, dtype=float))
        # Bounded, so a probe always has a point (a probe the cap makes infeasible is just skipped).
        cap = float(self.low.max()) + sum(abs(row.rhs) for row in self.rows) + 10.0
        rng = random.Random(self.n)
        for _ in range(_PROBES):
            status, x, _ = self.solver.solve([rng.choice((-1.0, 1.0)) for _ in range(self.n)], cap)
            if status == 0:
                self._see(x)
        return True

    def _batch_probe(self) -> None:
        """Push groups of cells up, then down, together: cells that share no small relation rarely compete,
        so two LPs per group show many cells to be wide at once. Repeated on the cells still undecided."""
        for _ in range(_BATCH_ROUNDS):
            open_cells = [i for i in range(self.n) if not self._wide(i)]
            if not open_cells:
                return
            colour: dict[int, int] = {}
            for i in open_cells:
                taken = {colour.get(self.index[cell]) for row in self.rows_of[i]
                         if len(row.coefficients) <= _SMALL_ROW for cell, _ in row.coefficients}
                colour[i] = next(c for c in range(len(open_cells) + 1) if c not in taken)
            groups: dict[int, list[int]] = defaultdict(list)
            for i, c in colour.items():
                groups[c].append(i)
            for members in groups.values():
                for sign in (-1.0, 1.0):
                    objective = self.np.zeros(self.n)
                    objective[members] = sign
                    status, x, _ = self.solver.solve(objective)
                    if status == 0:
                        self._see(x)
            if sum(not self._wide(i) for i in open_cells) > 0.8 * len(open_cells):
                return  # little progress: leave the rest to one LP each

    def _wide(self, i: int) -> bool:
        return math.floor(self.seen_high[i] + _EPS) - math.ceil(self.seen_low[i] - _EPS) > RECOVERABLE_WIDTH

    def _propagated(self) -> tuple[list[float], list[float]]:
        """Outer bounds of every cell by bound propagation over the rows (cheap; never narrower than the LP's)."""
        low = [float(v) for v in self.low]
        high = [float(v) for v in self.high]
        rows = [([(self.index[cell], c) for cell, c in row.coefficients], row.equality, row.rhs) for row in self.rows]
        for _ in range(_PROPAGATION_ROUNDS):
            changed = False
            for terms, equality, rhs in rows:
                # Σ c·x ≤ rhs (and ≥ rhs for an equality): bound each x by the others' extremes.
                least = [c * low[j] if c > 0 else c * high[j] for j, c in terms]
                most = [c * high[j] if c > 0 else c * low[j] for j, c in terms]
                least_sum, most_sum = sum(least), sum(most)
                for k, (j, c) in enumerate(terms):
                    others_least = least_sum - least[k] if least[k] != -math.inf else _sum_without(least, k)
                    if others_least != -math.inf:  # c·x ≤ rhs − others_least
                        limit = (rhs - others_least) / c
                        if c > 0 and limit < high[j] - _EPS:
                            high[j], changed = limit, True
                        elif c < 0 and limit > low[j] + _EPS:
                            low[j], changed = limit, True
                    if equality:
                        others_most = most_sum - most[k] if most[k] != math.inf else _sum_without(most, k)
                        if others_most != math.inf:  # c·x ≥ rhs − others_most
                            limit = (rhs - others_most) / c
                            if c > 0 and limit > low[j] + _EPS:
                                low[j], changed = limit, True
                            elif c < 0 and limit < high[j] - _EPS:
                                high[j], changed = limit, True
            if not changed:
                break
        return low, high

    def interval(self, i: int, *, exact: bool, rough: bool = False) -> Interval | None:
        """The cell's interval; when not exact, None for a cell shown to be wider than ±2.

        With rough, a recoverable cell may get a looser interval than the attacker's best (still
        recoverable): enough to decide, not to report.
        """
        if not exact:
            if self._wide(i):
                return None
            if not self.batched:
                self.batched = True
                self._batch_probe()
                if self._wide(i):
                    return None
            if rough:
                if self.outer is None:
                    self.outer = self._propagated()
                low, high = self.outer[0][i], self.outer[1][i]
                if high < math.inf and math.floor(high + _EPS) - math.ceil(low - _EPS) <= RECOVERABLE_WIDTH:
                    return Interval(math.ceil(low - _EPS), math.floor(high + _EPS))
        objective = self.np.zeros(self.n)
        objective[i] = -1.0
        status, x, value = self.solver.solve(objective)
        high = math.inf if status == 3 else math.floor(-value + _EPS) if status == 0 else self.low[i]
        if status == 0:
            self._see(x)
        if not exact and (high == math.inf or self._wide(i)):
            return None
        if rough and high - math.ceil(self.low[i] - _EPS) <= RECOVERABLE_WIDTH:
            return Interval(math.ceil(self.low[i] - _EPS), high)
        objective[i] = 1.0
        status, x, value = self.solver.solve(objective)
        low = math.ceil(value - _EPS) if status == 0 else math.ceil(self.low[i] - _EPS)
        if status == 0:
            self._see(x)
        return Interval(low, high)


def _sum_without(values: list[float], k: int) -> float:
    return sum(v for i, v in enumerate(values) if i != k)


def cell_intervals(
    known: Mapping[Hashable, int],
    unknown: Iterable[Hashable],
    relations: Iterable[Relation],
    *,
    only_recoverable: bool = False,
    truth: Mapping[Hashable, int] | None = None,
    floor: float = 1,
    cache: dict | None = None,
    rough: bool = False,
    skip_if_weaker: Mapping[Hashable, int] | None = None,
) -> dict[Hashable, Interval]:
    """Attacker bounds for the unknown cells; with only_recoverable, just the cells pinned within ±2.

    Without `truth` this is the attacker of the module docstring. With `truth` (the true values) it is
    the informed attacker: for every relation whose true deviation from an exact sum is at most ±4 it
    knows the exact sum of the suppressed cells (as if the counts were additive and it knew how far off
    they are); other relations hold as distinct-count inequalities.
    Relations may only name cells in `known` or `unknown`. `cache`, a dict kept by the caller while the
    values stay the same, skips unchanged groups and cells already shown to be safe (more unknowns only
    ever widen an attacker's bounds). With rough, a recoverable cell's interval may be looser than the
    attacker's best: enough to decide which cells are recoverable, faster. `skip_if_weaker` (the true
    values) skips groups where this attacker can only know less than the informed one, which needs no
    second look once the informed attacker has found nothing.
    """
    unknown_set = set(unknown)
    relations = list(relations)
    exact_kinds = additive_kinds(relations, known) if truth is None else set()
    relations = [r for r in relations if any(c in unknown_set for c in r.cells)]
    state = cache if cache is not None else {}
    if state.get("kinds") != exact_kinds:  # what the attacker takes as exact changed: start over
        state.clear()
        state["kinds"] = exact_kinds
    answers = state.setdefault("answers", {})
    safe: dict[Hashable, str] = state.setdefault("safe", {})
    # Linked cells: through any relation, whatever form it takes below.
    linking = [r for r in (_row(_signed(relation), unknown_set, known, True) for relation in relations) if r]
    found: dict[Hashable, Interval] = {}
    for cells, _ in _components(unknown_set, linking):
        key = (frozenset(cells), only_recoverable)
        if key in answers:
            found.update(answers[key])
            continue
        in_group = set(cells)
        group = [r for r in relations if any(c in in_group for c in r.cells)]
        if truth is not None:
            model = "informed"
            rows = _informed_rows(group, in_group, known, truth)
            polytope = _Polytope(cells, rows, floor, [truth[cell] for cell in cells])
            if not polytope.feasible:
                raise ValueError("the true values break a distinct-count relation: inconsistent tables")
        elif skip_if_weaker is not None and all(
            r.kind not in exact_kinds or _deviation(r, skip_if_weaker) == 0 for r in group
        ):
            answers[key] = {}
            continue  # every exact sum here is a true sum: the informed attacker's polytope is inside this one
        else:
            model = "exact"
            rows = _exact_rows([r for r in group if r.kind in exact_kinds], in_group, known)
            polytope = _Polytope(cells, rows, floor)
            if not polytope.feasible:  # the sums contradict each other: only what always holds
                model = "distinct"
                polytope = _Polytope(cells, _distinct_rows(group, in_group, known), floor)
        here: dict[Hashable, Interval] = {}
        if polytope.feasible:
            for i, cell in enumerate(cells):
                if only_recoverable and safe.get(cell) in (model, "exact", "informed"):
                    continue  # shown safe before under this model or a stronger one
                interval = polytope.interval(i, exact=not only_recoverable, rough=rough)
                if interval is None:
                    safe[cell] = model
                elif interval.recoverable or not only_recoverable:
                    here[cell] = interval
        answers[key] = here
        found.update(here)
    return found


def recoverable_cells(
    known: Mapping[Hashable, int], unknown: Iterable[Hashable], relations: Iterable[Relation]
) -> dict[Hashable, Interval]:
    """The unknown cells the audit's attacker can pin to within ±2, with their intervals."""
    return cell_intervals(known, unknown, relations, only_recoverable=True)
