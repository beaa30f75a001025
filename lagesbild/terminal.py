"""Rich rendering of protected tables and crawl progress for the terminal."""
from __future__ import annotations

from typing import Collection, Sequence

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from analysis.disclosure import PublishedTable
from analysis.queries import Coverage
from web.exports import MEASURE_LABELS
from web.wording import share_text

LEVEL_LABELS = {"riket": "Riket", "polisregion": "Polisregion", "lan": "Län", "kommun": "Kommun"}


STATUS_COLOURS = {"complete": "green", "partial": "yellow", "suspect": "magenta", "failed": "red", "running": "cyan"}


def status_markup(status: str) -> str:
    """A run status in its colour, as Rich markup."""
    colour = STATUS_COLOURS.get(status, "white")
    return f"[{colour}]{status}[/{colour}]"


def published_table(table: PublishedTable, *, hide_empty: bool = True, title: str | None = None,
                    columns: Sequence[tuple[str, str]] | None = None, share_of: str | None = None,
                    plain: Collection[str] = (), regions: bool = True) -> Table:
    """A terminal table of a protected table; rows with only zeros are hidden unless asked.

    `columns` (measure, label) default to every measure; with `share_of`, the other columns also show their
    share of that measure's cell, except the `plain` ones. Suppressed cells show as ".." and the caption states the protection rule.
    """
    if not isinstance(table, PublishedTable):
        raise TypeError("the terminal shows only disclosure-protected tables")
    columns = columns or [(m, MEASURE_LABELS[m]) for m in table.measures]
    heads = ["Period"] + ([LEVEL_LABELS[table.level]] if regions else [])
    rich_table = Table(*heads, *(Column(label, justify="right") for _, label in columns),
                       title=title or f"{LEVEL_LABELS[table.level]} per {table.period}", caption=table.rule)
    for row in table.rows:
        if hide_empty and all(cell.value == 0 for cell in row.cells.values()):
            continue
        total = row.cells.get(share_of)
        cells = [row.cells[m].display if total is None or m == share_of or m in plain else share_text(row.cells[m], total)
                 for m, _ in columns]
        rich_table.add_row(row.period, *([row.region_name] if regions else []), *cells)
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
