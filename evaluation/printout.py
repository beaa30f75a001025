"""The scorecard in the terminal: counts against truth, places, incidents, signals and planted trends."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _fmt(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(value)


def print_scorecard(card: dict[str, Any], console: Console) -> None:
    series = card["series"]
    console.print(f"Series: {series['weeks']} weeks {series['first_week']} … {series['last_week']}, "
                  f"seed {series['seed']}, scale {series['scale']:g}; runs {series['runs']}")
    table = Table(title="Counts against truth (complete crawls; compared: " + card["compared"] + ")")
    for column in ("measure", "riket", "polisregion (max)", "län (max)", "kommun ≥20 (max)", "kommun cells exact"):
        table.add_column(column)
    for measure in ("active_ads", "unique_profiles", "unique_phones"):
        m = card[measure]
        table.add_row(measure, _fmt(m["riket_rel_error"]), _fmt(m["polisregion_max_rel_error"]),
                      _fmt(m["lan_max_rel_error"]), _fmt(m["kommun_ge20_max_rel_error"]),
                      _fmt(m["kommun_exact_share"]))
    table.add_row("new_ads", *["not measured"] * 5)
    console.print(table)
    console.print(f"Double counted: {card['double_counted']}   missed: {card['missed']}")
    console.print(f"Places: right {_fmt(card['place_accuracy'])}, unresolved {_fmt(card['place_unresolved'])}, "
                  f"wrong {_fmt(card['place_wrong'])}")
    incidents = card["site_incidents"]
    console.print(f"Site incidents: planted {incidents['planted']}, flagged as data-quality problems "
                  f"{incidents['flagged']}, reported as market change {_fmt(incidents['reported_as_market_change'])}; "
                  f"runs flagged without an incident: {incidents['false_alarms']}")
    for detail in incidents["details"]:
        mark = "[green]flagged[/]" if detail["flagged"] else "[red]NOT flagged[/]"
        console.print(f"  {detail['kind']} on {detail['site']} from sim week {detail['week']}: {mark}")
    if "active_adverts" in card:
        adverts = card["active_adverts"]
        console.print(f"Adverts after merging reposts and cross-posts: riket {_fmt(adverts['riket_rel_error'])}, "
                      f"polisregion (max) {_fmt(adverts['polisregion_max_rel_error'])}")
    console.print(f"Networks F1: {_fmt(card['networks_f1'])}; templates precision: "
                  f"{_fmt(card['templates_precision'])}; touring recall: {_fmt(card['touring_recall'])}; "
                  f"flows between police regions (worst month): {_fmt(card.get('flows_max_rel_error'))}")
    long_series = card.get("planted_trends_series")
    for key, where in (("planted_trends", f"{long_series['weeks']} weeks at scale {long_series['scale']:g}"
                        if long_series else ""), ("planted_trends_crawled", "the crawled series")):
        for trend in card.get(key) or []:
            estimate = "not estimated" if trend["estimated_change"] is None else (
                f"{trend['estimated_change']:+.0%} ({trend['ci_low']:+.0%} … {trend['ci_high']:+.0%})")
            verdict = "detected" if trend["detected"] else (
                "right sign, not significant" if trend["right_sign"] else "not detected")
            console.print(f"Planted trend {trend['level']} {trend['region']} {trend['true_change']:+.0%}/year on "
                          f"{where}: estimated {estimate}, {verdict}, interval "
                          f"{'covers' if trend['covered'] else 'misses'} the truth")
    if card["passed"]:
        console.print("[green]Acceptance limits met.[/]")
    else:
        for failure in card["failures"]:
            console.print(f"[red]FAIL[/] {failure}", markup=True)
