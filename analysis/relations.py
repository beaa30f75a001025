"""The cells of published tables and the sums that link them, as the attacker (analysis.attack) and the
protection (analysis.disclosure) both read them.

* Cells. A cell is (level, region, period) for one measure; a published table shows its count or
  SUPPRESSED.
* Relations. Each län = Σ its kommuner, each polisregion = Σ its län, riket = Σ the regions of any complete
  level + that level's "okand" row, and the "okand" row is the same at every level. Along time, a quarter
  = Σ its months and a year = Σ its quarters (or Σ its months when no quarters are published). A month or
  quarter that appears in no file is taken as empty (lagesbild leaves out periods without observations).
  ISO weeks nest neither in months nor in calendar years, so weeks only take part in geographic relations.
  A geographic relation is used only when all its parts are published or suppressed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable, NamedTuple

from analysis.periods import period_kind
from config.geo import Geography

SUPPRESSED = ".."
UNRESOLVED = "okand"
RIKET_CODE = "SE"


class CellRef(NamedTuple):
    """One cell of one measure: a region at a level, in a period ('2026-11', '2026-Q4', '2026', '2026-W47')."""

    level: str
    region: str
    period: str


@dataclass(frozen=True)
class Relation:
    """total = Σ parts, as an attacker would assume it (cells missing from the relation are zero).

    `kind` groups relations of the same sort ("lan=kommun", "quarter=month", …): the attacker judges
    from the fully published ones whether that sort adds up exactly.
    """

    total: Hashable
    parts: tuple[Hashable, ...]
    kind: str = ""

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def _period_kind(label: str) -> str:
    return period_kind(label) or "year"


def _months_of_quarter(label: str) -> list[str]:
    year, quarter = label.split("-Q")
    first = (int(quarter) - 1) * 3 + 1
    return [f"{year}-{month:02d}" for month in range(first, first + 3)]


def _level_regions(geography: Geography, level: str) -> list[str]:
    if level == "polisregion":
        return list(geography.polisregioner)
    if level == "lan":
        return sorted(geography.lan)
    return sorted(geography.kommuner)


def hierarchy_relations(cells: Iterable[CellRef], geography: Geography) -> list[Relation]:
    """Every sum relation among the given cells: kommun → län → polisregion → riket, months → quarters → years."""
    present = set(cells)
    regions_at: dict[tuple[str, str], set[str]] = defaultdict(set)
    for cell in present:
        regions_at[(cell.level, cell.period)].add(cell.region)
    relations: list[Relation] = []

    for period in sorted({cell.period for cell in present}):
        def has(level: str) -> bool:
            return (level, period) in regions_at

        def ref(level: str, region: str) -> CellRef:
            return CellRef(level, region, period)

        def group(total: CellRef, parts: list[CellRef]) -> None:
            if total in present and all(part in present for part in parts):
                kind = f"{total.level}={parts[0].level}" + ("/okand" if total.region == UNRESOLVED else "")
                relations.append(Relation(total, tuple(parts), kind))

        if has("lan") and has("kommun"):
            for lan_code in sorted(geography.lan):
                group(ref("lan", lan_code), [ref("kommun", k.code) for k in geography.kommuner_in_lan(lan_code)])
        if has("polisregion") and has("lan"):
            for name in geography.polisregioner:
                group(ref("polisregion", name), [ref("lan", lan.code) for lan in geography.lan_in_polisregion(name)])
        for level in ("polisregion", "lan", "kommun"):
            if has("riket") and has(level):
                parts = [ref(level, code) for code in _level_regions(geography, level)]
                if ref(level, UNRESOLVED) in present:
                    parts.append(ref(level, UNRESOLVED))
                group(ref("riket", RIKET_CODE), parts)
        # The unresolved row is the same set of ads at every level (missing means zero).
        unresolved = [ref(level, UNRESOLVED) for level in ("polisregion", "lan", "kommun") if has(level)]
        for upper, lower in zip(unresolved, unresolved[1:]):
            group(upper, [lower])

    periods_at: dict[tuple[str, str], set[str]] = defaultdict(set)
    periods_of_level: dict[str, set[str]] = defaultdict(set)
    for cell in present:
        periods_at[(cell.level, cell.region)].add(cell.period)
        periods_of_level[cell.level].add(cell.period)
    for (level, region), periods in sorted(periods_at.items()):
        level_periods = periods_of_level[level]
        for label in sorted(periods):
            kind = _period_kind(label)
            if kind == "quarter":
                subs = [m for m in _months_of_quarter(label) if m in level_periods]
            elif kind == "year":
                quarters = [f"{label}-Q{q}" for q in range(1, 5) if f"{label}-Q{q}" in level_periods]
                subs = quarters or [f"{label}-{m:02d}" for m in range(1, 13) if f"{label}-{m:02d}" in level_periods]
            else:
                continue
            parts = [CellRef(level, region, sub) for sub in subs]
            if parts and all(part in present for part in parts):
                relations.append(Relation(CellRef(level, region, label), tuple(parts),
                                          f"{kind}={_period_kind(subs[0])}"))
    return relations
