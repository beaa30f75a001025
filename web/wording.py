"""Swedish wording shared by every output: names of levels, periods and measures, numbers, changes with
their intervals, shares, a trend row's flags, and the notes that explain signals and flows.

One place for these words keeps the terminal, the dashboard and the report saying the same thing.
"""
from __future__ import annotations

from analysis.disclosure import PublishedCell
from analysis.quality import BREAK_LABELS, EVENT_LABELS
from analysis.signals import CLUSTER_SIZE_MEASURES, FEATURE_MEASURES
from analysis.trend_family import CENSORED_NOTE, EXTRA_LABELS
from analysis.trend_table import BEFORE_CRAWLS_NOTE, TrendRow, TrendTable
from analysis.trends import RateRatio

MEASURE_LABELS = {"active_ads": "Aktiva annonser", "unique_profiles": "Unika profiler",
                  "unique_phones": "Unika telefonnummer", **EXTRA_LABELS,
                  "demand_ads": "Efterfrågeannonser", "reviews": "Recensioner", "unique_reviewers": "Unika recensenter"}
PERIOD_NAMES = {"week": "vecka", "month": "månad", "quarter": "kvartal", "year": "år"}
LEVEL_NAMES = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}
PARENT_NAMES = {"riket": "övriga riket", "lan": "övriga länet"}
ORGANISATION_COLUMNS = (
    ("network_adverts", "I nätverk"),
    ("template_adverts", "I textmallar"),
    ("touring_adverts", "Anger turné"),
)
FEATURE_COLUMNS = (
    (FEATURE_MEASURES["obscured_phone"], "Dolt nummer"),
    (FEATURE_MEASURES["stated_ethnicity"], "Etnicitet angiven"),
    (FEATURE_MEASURES["youth_language"], "Ungdomligt språk"),
    (FEATURE_MEASURES["trust_language"], "Pålitlighetsspråk"),
)
COUNT_COLUMNS = (("mobile_profiles", "Rörliga profiler"), ("mobile_phones", "Rörliga nummer"))
SIZE_LABELS = dict(zip(CLUSTER_SIZE_MEASURES, ("2 profiler", "3–5 profiler", "6–10 profiler", "11+ profiler")))
SIGNAL_NOTE = ("Signaler om organisering och rörlighet på marknaden – inte bedömningar av enskilda annonser. "
               "Annonser är unika annonser (omannonseringar och korspubliceringar räknas en gång). "
               "Nätverk: profiler som delar telefonnummer, minst tre personer. Rörliga: sedda i minst två "
               "kommuner under perioden. Annonsegenskaperna följer Lugo-Graulich m.fl. (2024).")
FLOW_NOTE = ("Flöden: profiler som setts i en region och vid nästa observation (högst 35 dagar senare) i en "
             "annan, räknade i perioden för ankomsten. En signal om rörlighet, inte om brott.")


def number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return ".."
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace("-", "−")


def percent(share: float | None, missing: str = "..") -> str:
    """0.42 → '42 %'; `missing` for None."""
    return missing if share is None else f"{share:.0%}".replace("%", " %")


def change(ratio: RateRatio | None, available: bool = True) -> str:
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


def flags(row: TrendRow) -> str:
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


def share_text(count: PublishedCell, total: PublishedCell) -> str:
    if count.value is None:
        return count.display
    if total.value is None or total.value == 0:
        return count.display
    return f"{count.display} ({round(100 * count.value / total.value)} %)"


TREND_NOTE = ("Ändringar: exakta intervall (Clopper–Pearson på k1/(k1+k2)); '..' = skyddat värde, ingen statistik "
              "räknas på det; '–' = inget att jämföra med. En brytpunkt eller avvikelse i en period med avbrott eller "
              "ofullständig insamling är en dataartefakt, inte en marknadsförändring. Ofullständiga perioder och "
              "perioder med färre insamlingar ingår inte i förändringar och trend.")
PRICE_NOTE = ("Timpriset är det pris per timme annonsen anger; annonser utan timpris (bara pris för 30 minuter, "
              "eller inget pris) ingår inte. Ett 30-minuterspris räknas aldrig om till timpris.")


def trend_sentences(table: TrendTable) -> list[str]:
    """The Theil–Sen slope, the trend test and the change points of a trend table, one sentence each."""
    slope, test = table.slope, table.trend_test
    if slope is None:
        lines = ["Theil–Sen-lutning: för få jämförbara publicerade värden."]
    else:
        relative = slope.relative_per_year
        per_year = "" if relative is None else (
            f", {number(relative[0] * 100)} % per år ({number(relative[1] * 100)}; {number(relative[2] * 100)})")
        lines = [f"Theil–Sen-lutning: {number(slope.slope, 1)} per {PERIOD_NAMES[table.period]} "
                 f"(95 % KI {number(slope.low, 1)}; {number(slope.high, 1)}){per_year}, {slope.points} värden."]
    lines.append("Mann–Kendall: för få jämförbara publicerade värden." if test is None else
                 f"{test.method}: {test.swedish} (p = {number(test.p_value, 3)}, τ = {number(test.tau, 2)}).")
    points = [e for e in table.events if e.kind == "change_point"]
    lines.append("Brytpunkter: " + ("; ".join(f"{e.period} {'upp' if e.direction == 'up' else 'ned'} "
                                             f"({EVENT_LABELS[e.label]})" for e in points) or "inga."))
    return lines


def region_title(level: str, region_name: str) -> str:
    """"Riket", or the level and the region's name: "Polisregion Syd"."""
    return LEVEL_NAMES[level] + ("" if level == "riket" else f" {region_name}")
