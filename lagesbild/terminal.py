"""Rich rendering of protected tables and crawl progress for the terminal."""
from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis.disclosure import PublishedTable
from analysis.queries import Coverage
from web.exports import MEASURE_LABELS

LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}


def published_table(table: PublishedTable, *, hide_empty: bool = True) -> Table:
    """A terminal table of a protected table; rows with only zeros are hidden unless asked.

    Suppressed cells show as ".." and the caption states the protection rule.
    """
    if not isinstance(table, PublishedTable):
        raise TypeError("the terminal shows only disclosure-protected tables")
    rich_table = Table(title=f"{LEVEL_LABELS[table.level]} per {table.period}", caption=table.rule)
    rich_table.add_column("Period")
    rich_table.add_column(LEVEL_LABELS[table.level])
    for measure in table.measures:
        rich_table.add_column(MEASURE_LABELS[measure], justify="right")
    for row in table.rows:
        if hide_empty and all(cell.value == 0 for cell in row.cells.values()):
            continue
        rich_table.add_row(row.period, row.region_name, *(row.cells[m].display for m in table.measures))
    return rich_table


def print_coverage(console: Console, coverage: list[Coverage]) -> None:
    if not coverage:
        console.print("Inga körningar i perioden.")
        return
    console.print("Körningar bakom siffrorna: " + "; ".join(c.honest_note for c in coverage))


class CrawlProgress:
    """A live line per site with pages fetched and ads found."""

    def __init__(self, console: Console, site_names: list[str]) -> None:
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"),
            TextColumn("pages {task.fields[pages]}"), TextColumn("ads {task.fields[items]}"),
            TextColumn("errors {task.fields[errors]}"), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.tasks = {name: self.progress.add_task(name, total=None, pages=0, items=0, errors=0) for name in site_names}
        self.counts = {name: {"page": 0, "item": 0, "error": 0} for name in site_names}

    def __enter__(self) -> "CrawlProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, site: str, event: str) -> None:
        task = self.tasks[site]
        if event == "done":
            self.progress.update(task, total=1, completed=1)
            return
        self.counts[site][event] += 1
        c = self.counts[site]
        self.progress.update(task, pages=c["page"], items=c["item"], errors=c["error"])
