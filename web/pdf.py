"""Printing a report's standalone HTML to PDF with Chromium (page.pdf); every network request is refused."""
from __future__ import annotations

from pathlib import Path

FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          'Sida <span class="pageNumber"></span> av <span class="totalPages"></span></div>')


class PdfError(Exception):
    """Chromium could not print the PDF."""


def print_pdf(html: str, output: Path, launch_options: dict) -> None:
    """Print `html` to an A4 PDF at `output`; `launch_options` say which Chromium to start and how."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options)
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=str(output), format="A4", print_background=True, prefer_css_page_size=True,
                         display_header_footer=True, header_template="<span></span>", footer_template=FOOTER)
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdfError(f"could not print the PDF with {launch_options.get('executable_path')}: {first}") from None
