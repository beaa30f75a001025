"""`lagesbild report`: a printable lägesbild for one region and period, as HTML or as PDF (Chromium's page.pdf)."""
from __future__ import annotations

from pathlib import Path

import click

from analysis.counts import LEVELS
from config.settings import load_settings, load_settings_geography
from crawler.browser import find_chromium, launch_options
from lagesbild.options import output_option
from store import open_store
from web.auth import log_event, operator
from web.navigation import NotFound
from web.pdf import PdfError, print_pdf
from web.report import render_report, report_data
from web.source import PublishedSource


@click.command("report")
@click.option("--level", type=click.Choice(LEVELS), default="riket", show_default=True, help="Regional level.")
@click.option("--region", help="The region: a police region's name (Väst), a län or kommun code or name "
                               "(not needed for riket).")
@click.option("--period", required=True, help="The period: 2026-Q3, 2026-11, 2026-W47 or 2026.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True,
              help="Output format.")
@output_option
def report_command(level: str, region: str | None, period: str, fmt: str, output: Path) -> None:
    """Write a lägesbild: headline numbers and change, charts, tables down to kommun, quality notes, methods.

    Example: lagesbild report --level polisregion --region Väst --period 2026-Q3 --format pdf -o vast.pdf
    """
    if level != "riket" and not region:
        raise click.UsageError(f"--level {level} needs --region")
    settings = load_settings()
    with open_store(settings.resolved_database_url) as store:
        source = PublishedSource(store, load_settings_geography(settings), settings)
        try:
            data = report_data(source, level, region, period)
        except NotFound as exc:
            raise click.UsageError(str(exc)) from None
        html = render_report(data, settings)
        if fmt == "html":
            output.write_text(html, encoding="utf-8")
        else:
            try:
                print_pdf(html, output, launch_options(find_chromium()))
            except PdfError as exc:
                raise click.ClickException(str(exc)) from None
        log_event(store, operator(), "cli", "report",
                  f"{fmt} {data.view.region.level} {data.view.region.code} {data.period}")
    click.echo(f"Wrote the lägesbild for {data.view.region.title}, {data.period} to {output}")
