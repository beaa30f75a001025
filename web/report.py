"""The printable lägesbild: one region and period, as standalone HTML (printed to PDF by `lagesbild report`).

Headline numbers and their change, charts, tables down to kommun, the demand side, signals, data-quality notes and a
methods appendix, all from web.region_page, web.signal_pages and web.source (published tables only). The HTML needs
nothing from any host: charts are inline SVG and the style sheet is embedded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from analysis.counts import UNRESOLVED
from analysis.periods import STOCKHOLM
from web.quality import BADGES, Badge
from web.render import make_environment, static_text
from web.source import PublishedSource
from web.navigation import LEVEL_LABELS, LEVEL_PLURAL, NotFound, find_region, parse_period, region_ref
from web.region_page import ChildRow, RegionPage, rates, region_page
from web.signal_pages import flows_page


@dataclass
class ReportTable:
    level: str
    title: str
    rows: list[ChildRow]
    note: str = ""


@dataclass
class ReportData:
    view: RegionPage
    period: str
    tables: list[ReportTable]
    generated_at: datetime
    badges: list[Badge] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)  # extra sections (signals, flows) as title/rows

    @property
    def title(self) -> str:
        return f"Lägesbild {self.view.region.title}, {self.period}"


def _table_rows(source: PublishedSource, level: str, period_kind: str, label: str, codes: set[str] | None,
                hide_zero: bool) -> list[ChildRow]:
    geography = source.geography
    rows = []
    for row in source.table(level, period_kind).rows:
        if row.period != label or (codes is not None and row.region_code not in codes):
            continue
        if hide_zero and all(cell.value == 0 for cell in row.cells.values()):
            continue
        ref = None if row.region_code == UNRESOLVED else region_ref(geography, level, row.region_code)
        rows.append(ChildRow(ref, row.region_name, row.cells, rates(geography, level, row.region_code, row.cells)))
    return rows


def report_data(source: PublishedSource, level: str, region: str | None, period: str) -> ReportData:
    """What the report shows for a region (code or name; ignored for riket) and a period label."""
    geography = source.geography
    kind, label = parse_period(period)
    ref = find_region(geography, level, region or "SE") if level != "riket" else region_ref(geography, "riket", "SE")
    view = region_page(source, ref.level, ref.code, kind, None, chart_id="report")
    if label not in view.periods:
        available = ", ".join(view.periods[-6:]) or "inga"
        raise NotFound(f"{ref.title} har inga uppgifter för {label} (senaste perioder: {available})")
    view = region_page(source, ref.level, ref.code, kind, label, chart_id="report", upto=label)
    tables: list[ReportTable] = []
    if ref.level == "riket":
        tables.append(ReportTable("polisregion", "Polisregioner",
                                  _table_rows(source, "polisregion", kind, label, None, False)))
        tables.append(ReportTable("lan", "Län", _table_rows(source, "lan", kind, label, None, False)))
        tables.append(ReportTable("kommun", "Kommuner", _table_rows(source, "kommun", kind, label, None, True),
                                  "Kommuner där alla värden är 0 visas inte."))
    elif ref.level in ("polisregion", "lan"):
        kommuner = set(geography.kommun_codes_in(ref.level, ref.code))
        if ref.level == "polisregion":
            lans = {lan.code for lan in geography.lan_in_polisregion(ref.code)}
            tables.append(ReportTable("lan", f"Län i {ref.name}", _table_rows(source, "lan", kind, label, lans, False)))
        tables.append(ReportTable("kommun", f"Kommuner i {ref.name}",
                                  _table_rows(source, "kommun", kind, label, kommuner, False)))
    sections = []
    signal_intro = ("Mönster i annonserna (andel av unika annonser inom parentes), med den strängare tröskeln "
                    "för signaler. Signaler är inte bevis för människohandel eller koppleri och pekar inte ut någon.")
    if view.signals:
        sections.append({"title": f"Signaler, {label}", "intro": signal_intro, "columns": ["Signal", "Antal"],
                         "rows": view.signals})
    if view.flows:
        sections.append({"title": f"Flöden, {label}",
                         "intro": "Profiler som setts i en region och vid nästa observation i en annan.",
                         "columns": ["Region", f"Därifrån till {ref.name}", f"Från {ref.name} dit"],
                         "rows": view.flows})
    if ref.level == "riket":
        flows = flows_page(source, "polisregion", kind, label) if label in {
            row.period for row in source.flows("polisregion", kind).rows} else None
        if flows is not None and flows.codes:
            sections.append({
                "title": f"Flöden mellan polisregioner, {label}",
                "intro": "Från regionen i raden till regionen i kolumnen. En signal om rörlighet, inte om brott.",
                "columns": ["Från \\ till", *(flows.names[c] for c in flows.codes)],
                "rows": [[flows.names[o], *("–" if o == d else (flows.cell(o, d).display if flows.cell(o, d) else "–")
                                            for d in flows.codes)] for o in flows.codes]})
    badges = []
    for point in view.points:
        for badge in point.badges:
            if badge not in badges:
                badges.append(badge)
    return ReportData(view, label, tables, datetime.now(timezone.utc), badges, sections)


def render_report(data: ReportData, settings=None) -> str:
    """The report as one standalone HTML document."""
    env = make_environment()
    table = data.view
    return env.get_template("report.html").render(
        data=data, view=table, css=static_text("report.css"), BADGES=BADGES, LEVEL_LABELS=LEVEL_LABELS,
        LEVEL_PLURAL=LEVEL_PLURAL, generated=data.generated_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        rule=table.rule, method=table.method,
        threshold=getattr(settings, "small_cell_threshold", 5),
        signal_threshold=getattr(settings, "signal_threshold", 10))
