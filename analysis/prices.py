"""Price per hour (issue 6): median and quartiles per region and period, where the sites give prices.

Over distinct ads: each ad counts once per region and period, with the last price it showed in the
period (an ad seen in two kommuner counts once in each, and once in every larger region holding
either, as for the counts). Ads whose place could not be resolved count only in riket.

Disclosure (analysis.disclosure.protect_quantiles): a cell is published only when it holds at least
as many priced ads as the stricter signal threshold (LAGESBILD_SIGNAL_THRESHOLD, default 10, or the
small-cell threshold if that is higher), and its quartiles and median are rounded to the nearest 50 kr,
so no single ad's price shows through. Other cells, and cells with no priced ad, read "..". The number
of priced ads is not published: it would be a count outside the protected count tables.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Protocol

from analysis.counts import LEVELS, UNRESOLVED, all_region_codes, region_display_name, region_key
from analysis.disclosure import (
    DEFAULT_SIGNAL_THRESHOLD,
    NOT_FOR_PUBLICATION,
    DEFAULT_THRESHOLD,
    QUANTILE_ROUNDING,
    SUPPRESSED,
    PublishedCell,
    protect_quantiles,
)
from analysis.periods import day_bounds, local_date, period_label
from config.geo import Geography
from store.prices import iter_price_rows

PRICE_MEASURE = "price_per_hour"
PRICE_METHOD = "price-quantiles-v1"


class PriceRowLike(Protocol):
    ad_token: str
    kommun_code: str | None
    observed_at: object
    price_per_hour: int


@dataclass(frozen=True)
class PriceCell:
    """A published price cell: first quartile, median and third quartile (each '..' when suppressed)."""

    q1: PublishedCell
    median: PublishedCell
    q3: PublishedCell

    @property
    def suppressed(self) -> bool:
        return self.median.value is None

    @property
    def display(self) -> str:
        """'1 500 [1 200–1 800]', or '..'."""
        if self.suppressed:
            return SUPPRESSED
        return f"{self.median.display} [{self.q1.display}–{self.q3.display}]"


@dataclass(frozen=True)
class PriceTableRow:
    period: str
    region_code: str
    region_name: str
    cell: PriceCell


@dataclass(frozen=True)
class PriceTable:
    """Protected price quantiles at one level and period kind; `rule` says in Swedish how they were protected."""

    level: str
    period: str
    rows: tuple[PriceTableRow, ...]
    rule: str
    method: str = PRICE_METHOD

    def cell(self, period: str, region_code: str) -> PriceCell:
        for row in self.rows:
            if row.period == period and row.region_code == region_code:
                return row.cell
        raise KeyError((period, region_code))


def price_threshold(settings=None) -> int:
    """The number of priced ads a cell needs: the stricter of the signal and small-cell thresholds."""
    if settings is None:
        return max(DEFAULT_THRESHOLD, DEFAULT_SIGNAL_THRESHOLD)
    return max(settings.small_cell_threshold, settings.signal_threshold)


def price_rule(threshold: int, step: int = QUANTILE_ROUNDING) -> str:
    flag = f"{NOT_FOR_PUBLICATION}. " if threshold < DEFAULT_SIGNAL_THRESHOLD else ""
    return (f"{flag}{PRICE_METHOD}: median och kvartiler av timpriset över annonser med angivet pris (en annons "
            f"räknas en gång per period), avrundade till närmaste {step} kr; visas bara när minst {threshold} "
            f"annonser med pris finns, annars {SUPPRESSED}")


def prices_per_cell(rows: Iterable[PriceRowLike], geography: Geography, level: str,
                    period: str) -> dict[tuple[str, str], dict[str, int]]:
    """Exact (unprotected) prices per (period, region): one price per ad, its last in the period.

    Never publish these: pass them through protect_quantiles (price_table does).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    last_seen: dict[tuple[str, str, str], object] = {}
    for row in rows:
        label = period_label(local_date(row.observed_at), period)
        region = region_key(geography, level, row.kommun_code)
        if region == UNRESOLVED:
            continue
        key = (label, region, row.ad_token)
        if key in last_seen and last_seen[key] > row.observed_at:
            continue
        last_seen[key] = row.observed_at
        cells[(label, region)][row.ad_token] = row.price_per_hour
    return cells


def price_table(rows: Iterable[PriceRowLike], geography: Geography, level: str, period: str, *,
                threshold: int | None = None, regions: Iterable[str] | None = None) -> PriceTable:
    """Protected price quantiles of every region at a level (or of `regions`), for every period with a price."""
    threshold = price_threshold() if threshold is None else threshold
    cells = prices_per_cell(rows, geography, level, period)
    codes = list(regions) if regions is not None else all_region_codes(geography, level)
    rows_out = []
    for label in sorted({label for label, _ in cells}):
        for code in codes:
            q1, median, q3 = protect_quantiles(cells.get((label, code), {}).values(), threshold)
            rows_out.append(PriceTableRow(label, code, region_display_name(geography, level, code),
                                          PriceCell(q1, median, q3)))
    return PriceTable(level, period, tuple(rows_out), price_rule(threshold))


def load_price_rows(store, since: date | None = None, until: date | None = None) -> list:
    """Priced observations of complete, partial and suspect runs in [since, until] (Swedish days)."""
    start, end = day_bounds(since, until)
    return list(iter_price_rows(store, since=start, until=end))


def load_price_table(store, geography: Geography, level: str, period: str, since: date | None = None,
                     until: date | None = None, settings=None, regions: Iterable[str] | None = None) -> PriceTable:
    """The protected price table of one level and period kind, read from the store."""
    return price_table(load_price_rows(store, since, until), geography, level, period,
                       threshold=price_threshold(settings), regions=regions)


@dataclass(frozen=True)
class PriceSeries:
    """One region's protected price cells by period (periods with at least one priced ad), and the rule."""

    cells: dict[str, PriceCell]
    rule: str

    def display(self, period: str) -> str:
        """What to show for a period: the cell, or '..' (no priced ad, or too few)."""
        cell = self.cells.get(period)
        return cell.display if cell is not None else SUPPRESSED


def region_price_series(store, geography: Geography, level: str, region: str, period: str,
                        since: date | None = None, until: date | None = None,
                        settings=None) -> PriceSeries | None:
    """One region's protected price cell per period; None when no site gave the region a price."""
    cells = prices_per_cell(load_price_rows(store, since, until), geography, level, period)
    threshold = price_threshold(settings)
    series = {label: PriceCell(*protect_quantiles(prices.values(), threshold))
              for (label, code), prices in sorted(cells.items()) if code == region}
    return PriceSeries(series, price_rule(threshold)) if series else None
