"""A real browser against `lagesbild serve` on a demo database: log in, drill down, charts, '..', downloads.

Screenshots of every page go to test-artifacts/web/ (ignored by git).
"""
from __future__ import annotations

import csv
import io
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest

from support import cli_env, run_cli

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
PASSWORD = "webbläsar-test-1"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    from crawler.browser import BrowserNotFound, find_chromium, launch_options

    try:
        return launch_options(find_chromium())
    except BrowserNotFound as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory):
    """`lagesbild serve --port 0` on a small demo database with one coordinator; yields its base URL."""
    home = tmp_path_factory.mktemp("demo-home")
    demo = run_cli("demo", "--weeks", "3", "--scale", "0.4", home=home, timeout=600)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    added = subprocess.run([sys.executable, "-m", "lagesbild.cli", "users", "add", "samordnare", "--role",
                            "coordinator", "--password-stdin"], input=PASSWORD + "\n", env=cli_env(home),
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "serve", "--port", "0"],
                               env={**cli_env(home), "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=120)
        assert first.startswith("Dashboard at http://127.0.0.1:"), first
        yield first.split()[2].rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
    assert process.returncode in (0, -15), process.stderr.read()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**chromium)
        yield launched
        launched.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_chart(page, api) -> None:
    """The page's first chart draws one point per published value of its series and '..' for the rest."""
    chart = page.locator("svg.chart").first
    assert chart.is_visible()
    series = api.get()
    published = sum(1 for point in series["serie"] for m in ("aktiva_annonser", "unika_profiler",
                                                             "unika_telefonnummer")
                    if point["varden"][m] is not None)
    assert chart.locator("circle").count() == published
    assert chart.locator("text.suppressed").count() == 3 * len(series["serie"]) - published
    assert chart.locator("g.series").count() == 3
    if published:
        assert int(chart.get_attribute("data-points")) == published


def check_table(page, table_id: str) -> list[list[str]]:
    rows = page.locator(f"#{table_id} tbody tr")
    assert rows.count() > 0
    return [[cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def drill_down(page, seen: list[list[str]]) -> None:
    """Follow the link of a row below that shows a '..' marker (else the first row with a link)."""
    rows = page.locator("#tabell-underregioner tbody tr")
    chosen = None
    for i in range(rows.count()):
        row = rows.nth(i)
        if row.locator("a").count() == 0:
            continue
        chosen = chosen or row
        if ".." in row.inner_text():
            chosen = row
            break
    seen.extend(check_table(page, "tabell-underregioner"))
    chosen.locator("a").first.click()


class Api:
    def __init__(self, context, url: str) -> None:
        self.context, self.url = context, url

    def get(self):
        response = self.context.request.get(self.url)
        assert response.ok, response.status
        return response.json()


def test_log_in_drill_down_charts_markers_and_downloads(server, browser, tmp_path):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(server) else None)

    page.goto(server + "/")
    assert "/logga-in" in page.url
    shot(page, "0-logga-in")
    page.get_by_label("Användarnamn").fill("samordnare")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(server + "/")

    # The national page, by week: a chart of the published series and the police-region table.
    page.get_by_label("Periodtyp").select_option("week")
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**/?period=week**")
    assert page.locator("h1").inner_text() == "Riket"
    check_chart(page, Api(context, server + "/api/v1/series/riket/SE/week"))
    national = check_table(page, "tabell-underregioner")
    counts = Api(context, server + "/api/v1/counts/polisregion/week").get()["varden"]
    shown = {row[0]: row[1:4] for row in national}
    selected = page.locator("#forandring").inner_text().split(":")[0]
    for record in counts:
        if record["period"] == selected and record["matt"] == "aktiva_annonser":
            expected = ".." if record["varde"] is None else str(record["varde"])
            assert shown[record["polisregion"]][0].replace("\u00a0", "") == expected
    shot(page, "1-riket")

    # Drill down: a police region, one of its län, one of its kommuner.
    seen: list[list[str]] = []
    drill_down(page, seen)
    page.wait_for_url("**/polisregion/**")
    region = page.locator("h1").inner_text()
    assert region.startswith("Polisregion ")
    check_chart(page, Api(context, server + "/api/v1/series/polisregion/"
                          + page.url.split("/polisregion/")[1].split("?")[0] + "/week"))
    shot(page, "2-polisregion")
    drill_down(page, seen)
    page.wait_for_url("**/lan/**")
    shot(page, "3-lan")
    drill_down(page, seen)
    page.wait_for_url("**/kommun/**")
    crumbs = page.locator("nav.crumbs li").all_inner_texts()
    assert len(crumbs) == 4 and crumbs[1] == region.removeprefix("Polisregion ")
    series_rows = check_table(page, "tabell-tidsserie")
    code = page.url.split("/kommun/")[1].split("?")[0]
    series = Api(context, server + f"/api/v1/series/kommun/{code}/week").get()
    expected = {p["period"]: [".." if p["varden"][m] is None else str(p["varden"][m])
                              for m in ("aktiva_annonser", "unika_profiler", "unika_telefonnummer")]
                for p in series["serie"]}
    assert {row[0]: [c.replace("\u00a0", "") for c in row[1:4]] for row in series_rows} == expected
    seen.extend(series_rows)
    assert any(".." in row for row in seen)  # small counts were shown as markers on the way down
    shot(page, "4-kommun")

    # Downloads: CSV and XLSX of the time-series table, read back.
    with page.expect_download() as csv_download:
        page.locator("p.downloads a", has_text="CSV").first.click()
    csv_path = tmp_path / "serie.csv"
    csv_download.value.save_as(csv_path)
    records = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert {r["kommunkod"] for r in records} == {code}
    assert {r["period"]: r["varde"] for r in records if r["matt"] == "aktiva_annonser"} == \
        {period: values[0] for period, values in expected.items()}
    with page.expect_download() as xlsx_download:
        page.locator("p.downloads a", has_text="XLSX").first.click()
    xlsx_path = tmp_path / "serie.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    rows = list(openpyxl.load_workbook(xlsx_path, read_only=True)["Data"].iter_rows(values_only=True))
    xlsx_records = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert {(r["period"], r["matt"], str(r["varde"])) for r in xlsx_records} == \
        {(r["period"], r["matt"], r["varde"]) for r in records}

    # Keyboard: on a fresh page the first Tab reaches the skip link, which moves focus to the content.
    page.reload()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"

    # A coordinator has no run details.
    assert page.goto(server + "/korningar").status == 403
    shot(page, "5-ingen-behorighet")
    assert not outside, outside  # nothing was loaded from another host
    context.close()
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) >= ["0-logga-in.png", "1-riket.png"]
    assert os.path.getsize(ARTIFACTS / "4-kommun.png") > 10_000
