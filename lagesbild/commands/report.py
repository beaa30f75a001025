"""`lagesbild report`: a printable lägesbild for one region and period, as HTML or as PDF (Chromium's page.pdf)."""
from __future__ import annotations

from pathlib import Path

import click

from analysis.counts import LEVELS
from config.settings import load_settings, load_settings_geography


def print_pdf(html: str, output: Path) -> None:
    """Print standalone HTML to PDF with the Chromium the crawler uses (no network: every request is refused)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from crawler.browser import find_chromium, launch_options

    executable = find_chromium()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options(executable))
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=str(output), format="A4", print_background=True, prefer_css_page_size=True,
                         display_header_footer=True, header_template="<span></span>",
                         footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                         'Sida <span class="pageNumber"></span> av <span class="totalPages"></span>'
                                         '</div>')
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"could not print the PDF with {executable}: {first}") from None


@click.command("report")
@click.option("--level", type=click.Choice(LEVELS), default="riket", show_default=True, help="Regional level.")
@click.option("--region", help="The region: a police region's name (Väst), a län or kommun code or name "
                               "(not needed for riket).")
@click.option("--period", required=True, help="The period: 2026-Q3, 2026-11, 2026-W47 or 2026.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
def report_command(level: str, region: str | None, period: str, fmt: str, output: Path) -> None:
    """Write a lägesbild: headline numbers and change, charts, tables down to kommun, quality notes, methods.

    Example: lagesbild report --level polisregion --region Väst --period 2026-Q3 --format pdf -o vast.pdf
    """
    from store import open_store
    from web.auth import log_event, operator
    from web.report import render_report, report_data
    from web.source import PublishedSource
    from web.navigation import NotFound

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
        output.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "html":
            output.write_text(html, encoding="utf-8")
        else:
            print_pdf(html, output)
        log_event(store, operator(), "cli", "report",
                  f"{fmt} {data.view.region.level} {data.view.region.code} {data.period}")
    click.echo(f"Wrote the lägesbild for {data.view.region.title}, {data.period} to {output}")
