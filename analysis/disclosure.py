"""Disclosure control: the only way from exact counts to publishable tables.

Every output (CLI tables, exports, dashboard, reports, API) takes a PublishedTable,
which only this module makes. Version 1: primary suppression of counts from 1 to
threshold-1, shown as "<threshold>".
"""
from __future__ import annotations

from dataclasses import dataclass

from analysis.counts import CountTable

METHOD = "primary-suppression-v1"


@dataclass(frozen=True)
class PublishedCell:
    """A value safe to show: `value` is None when suppressed, `display` is what users see."""

    value: int | None
    display: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class PublishedRow:
    period: str
    region_code: str
    region_name: str
    cells: dict[str, PublishedCell]


@dataclass(frozen=True)
class PublishedTable:
    level: str
    period: str
    measures: tuple[str, ...]
    rows: tuple[PublishedRow, ...]
    rule: str

    def cell(self, period: str, region_code: str, measure: str) -> PublishedCell:
        for row in self.rows:
            if row.period == period and row.region_code == region_code:
                return row.cells[measure]
        raise KeyError((period, region_code))


def protect_cell(count: int, threshold: int) -> PublishedCell:
    if 0 < count < threshold:
        return PublishedCell(None, f"<{threshold}")
    return PublishedCell(count, str(count))


def protect(table: CountTable, threshold: int) -> PublishedTable:
    """Suppress every count from 1 to threshold-1; zeros and larger counts are published."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    rows = tuple(
        PublishedRow(
            period=row.period,
            region_code=row.region_code,
            region_name=row.region_name,
            cells={m: protect_cell(row.values[m], threshold) for m in table.measures},
        )
        for row in table.rows
    )
    rule = f"{METHOD}: värden 1–{threshold - 1} visas som <{threshold}"
    return PublishedTable(table.level, table.period, table.measures, rows, rule)
