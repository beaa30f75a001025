"""`lagesbild trends`: one region's series with change, slope, trend test, change points and data-quality flags.

The table comes from analysis.trend_table.load_trend_table, built only from disclosure-protected counts:
a suppressed count reads "..", and nothing is computed from it. This module only finds the region and
prints.
"""
from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from analysis.counts import LEVELS
from analysis.engine import CATEGORY_MEASURES
from analysis.trend_family import CENSORED_NOTE, EXTRA_LABELS
from analysis.periods import PERIODS
from analysis.quality import BREAK_LABELS, EVENT_LABELS
from analysis.trend_table import BEFORE_CRAWLS_NOTE, TREND_MEASURES, TrendRow, TrendTable, load_trend_table
from analysis.trends import RateRatio
from config.geo import Geography
from config.settings import load_settings, load_settings_geography
from rich.text import Text


console = Console()

MEASURE_LABELS = {"active_ads": "Aktiva annonser", "unique_profiles": "Unika profiler",
                  "unique_phones": "Unika telefonnummer", **EXTRA_LABELS,
                  "demand_ads": "Efterfrågeannonser", "reviews": "Recensioner", "unique_reviewers": "Unika recensenter"}
PERIOD_NAMES = {"week": "vecka", "month": "månad", "quarter": "kvartal", "year": "år"}
LEVEL_NAMES = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}
PARENT_NAMES = {"riket": "övriga riket", "lan": "övriga länet"}


def resolve_region(geography: Geography, level: str, text: str | None) -> str:
    """The code of the region a user named (by name or code); a usage error when there is none."""
    if level != "riket" and not (text or "").strip():
        raise click.UsageError(f"give --region at --level {level} (a name or a code)")
    code = geography.find_region(level, text)
    if code is None:
        hint = f"{text!r} is not riket; leave --region out at --level riket" if level == "riket" else f"no {level} called {text!r}"
        raise click.BadParameter(hint, param_hint="--region")
    return code


def _number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return ".."
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace("-", "−")


def _share(share: float | None) -> str:
    return ".." if share is None else f"{share:.0%}".replace("%", " %")


def _change(ratio: RateRatio | None, available: bool = True) -> str:
    """A ratio as a change in per cent with its interval: '+12 % (−5; +31)'; '–' with nothing to compare."""
    if not available:
        return "–"
    if ratio is None:
        return ".."

    def pct(r: float) -> str:
        if r == float("inf"):
            return "∞"
        change = round((r - 1) * 100)
        return "0" if change == 0 else f"{change:+d}".replace("-", "−")

    return f"{pct(ratio.estimate)} % ({pct(ratio.low)}; {pct(ratio.high)})"


def _flags(row: TrendRow) -> str:
    flags = []
    if row.censored:
        flags.append(f"censurerad: {CENSORED_NOTE}")
    if row.before_crawls:
        flags.append(BEFORE_CRAWLS_NOTE)
    if row.open:
        flags.append("ofullständig period")
    if row.thin:
        flags.append(f"färre insamlingar ({row.thin[0]} mot vanligen {row.thin[1]})")
    counts: dict[tuple[str, str], int] = {}
    for item in row.breaks:
        key = (item.site, BREAK_LABELS.get(item.kind, item.kind))
        counts[key] = counts.get(key, 0) + 1
    flags += [f"{site}: {text}" + (f" ×{n}" if n > 1 else "") for (site, text), n in counts.items()]
    flags += [event.swedish for event in row.events]
    return "; ".join(flags)


def print_trend_table(table: TrendTable) -> None:
    title = LEVEL_NAMES[table.level] + ("" if table.level == "riket" else f" {table.region_name}")
    out = Table(title=f"{title}: {MEASURE_LABELS[table.measure].lower()} per {PERIOD_NAMES[table.period]}",
                caption=table.rule, caption_justify="left")
    for column in ("Period", MEASURE_LABELS[table.measure], "Per 100 000 inv.", "Mot föregående", "Mot året innan"):
        out.add_column(column, justify="left" if column == "Period" else "right")
    if table.parent is not None:
        out.add_column(f"Mot {PARENT_NAMES[table.parent[0]]} (per inv.)", justify="right")
    out.add_column("Täckning (Chao/Chapman)")
    out.add_column("Flaggor")
    for row in table.rows:
        cells = [row.period, row.cell.display, _number(row.per_100k, 1), _change(row.previous, row.has_previous),
                 _change(row.year_before, row.has_year_before)]
        if table.parent is not None:
            cells.append(_change(row.standing, row.has_standing))
        coverage = [f"{c.site} {_share(c.share_chao)}/{_share(c.share_chapman)}"
                    for c in row.completeness if c.occasions >= 2]
        cells += ["\n".join(coverage) or "–", _flags(row)]
        out.add_row(*cells)
    console.print(out)
    slope, test = table.slope, table.trend_test
    if slope is None:
        console.print("Theil–Sen-lutning: för få jämförbara publicerade värden.")
    else:
        relative = slope.relative_per_year
        per_year = "" if relative is None else (
            f", {_number(relative[0] * 100)} % per år ({_number(relative[1] * 100)}; {_number(relative[2] * 100)})")
        console.print(f"Theil–Sen-lutning: {_number(slope.slope, 1)} per {PERIOD_NAMES[table.period]} "
                      f"(95 % KI {_number(slope.low, 1)}; {_number(slope.high, 1)}){per_year}, {slope.points} värden.",
                      markup=False)
    if test is None:
        console.print("Mann–Kendall: för få jämförbara publicerade värden.")
    else:
        console.print(f"{test.method}: {test.swedish} (p = {_number(test.p_value, 3)}, τ = {_number(test.tau, 2)}).",
                      markup=False)
    points = [e for e in table.events if e.kind == "change_point"]
    console.print("Brytpunkter: " + ("; ".join(f"{e.period} {'upp' if e.direction == 'up' else 'ned'} "
                                              f"({EVENT_LABELS[e.label]})" for e in points) or "inga."),
                  markup=False)
    shares = [row for row in table.rows if row.category_shares is not None]
    if shares:
        out = Table(title="Andel annonser per kategori")
        out.add_column("Period")
        for category in CATEGORY_MEASURES.values():
            out.add_column(category, justify="right")
        for row in shares:
            out.add_row(row.period, *(_share(row.category_shares[m]) for m in CATEGORY_MEASURES))
        console.print(out)
    console.print("Ändringar: exakta intervall (Clopper–Pearson på k1/(k1+k2)); '..' = skyddat värde, ingen "
                  "statistik räknas på det; '–' = inget att jämföra med. En brytpunkt eller avvikelse i en period "
                  "med avbrott eller ofullständig insamling är en dataartefakt, inte en marknadsförändring. "
                  "Ofullständiga perioder och perioder med färre insamlingar ingår inte i förändringar och trend.",
                  markup=False)
    if any(row.completeness for row in table.rows):
        console.print(table.caveat, markup=False)
    print_price_series(table, console)  # price per hour, where the region's sites give prices


@click.command("trends")
@click.option("--level", type=click.Choice(LEVELS), default="polisregion", show_default=True, help="Regional level.")
@click.option("--region", help="Region name or code, e.g. Syd, 12, 'Skåne län', 1280 or Malmö (not at riket).")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Time period.")
@click.option("--measure", type=click.Choice(TREND_MEASURES), default="active_ads", show_default=True,
              help="What to follow; demand_ads, reviews and unique_reviewers are the demand side.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
def trends_command(level: str, region: str | None, period: str, measure: str, since, until) -> None:
    """One region's series with change, slope, trend test, change points and data-quality flags.

    Example: lagesbild trends --level polisregion --region Syd --period month
    """
    from store import open_store

    settings = load_settings()
    geography = load_settings_geography(settings)
    code = resolve_region(geography, level, region)
    first = since.date() if since else None
    last = until.date() if until else None
    if first and last and first > last:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    store = open_store(settings.resolved_database_url)
    table = load_trend_table(store, geography, level, code, period, measure, first, last, settings)
    if not table.rows:
        name = LEVEL_NAMES[level] + ("" if level == "riket" else f" {table.region_name}")
        console.print(f"{name}: inga observationer i perioden.")
        return
    print_trend_table(table)


def print_price_series(table: TrendTable, console: Console) -> None:
    """A small table of the region's price per hour by period; nothing when no site gives prices."""
    if table.prices is None:
        return
    out = Table(title="Pris per timme (kr)")
    out.add_column("Period")
    out.add_column(Text("Median [kvartil 1–kvartil 3]"), justify="right")
    for row in table.rows:
        out.add_row(row.period, Text(table.prices.display(row.period)))
    console.print(out)
    console.print(table.prices.rule, markup=False, soft_wrap=True)
    console.print("Timpriset är det pris per timme annonsen anger; annonser utan timpris (bara pris för 30 minuter, "
                  "eller inget pris) ingår inte. Ett 30-minuterspris räknas aldrig om till timpris.", markup=False)
