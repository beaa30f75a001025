"""Site configs: the bundled ones load; a broken one gives one line naming file and field, exit 2."""
from __future__ import annotations

import pytest

from config.errors import ConfigError
from config.settings import BUNDLED_SITES_DIR
from config.sites import ScrollUntilAction, load_site, load_sites
from support import run_cli

GOOD = (BUNDLED_SITES_DIR / "nattsida.yaml").read_text(encoding="utf-8")


def test_bundled_sites_load_with_versions():
    sites = load_sites(BUNDLED_SITES_DIR)
    assert set(sites) == {"nattsida", "stjarnsida", "kvallsida"}
    assert all(len(site.config_version) == 12 for site in sites.values())


def test_bundled_sites_render_only_the_page_types_that_need_a_browser():
    sites = load_sites(BUNDLED_SITES_DIR)
    modes = {name: (site.render_for("listing"), site.render_for("detail"), site.uses_browser)
             for name, site in sites.items()}
    assert modes == {
        "nattsida": ("http", "http", False),
        "stjarnsida": ("browser", "http", True),  # the SPA listing; its ad pages are server-rendered
        "kvallsida": ("http", "browser", True),  # the number appears only after a click on the profile page
    }
    assert sites["stjarnsida"].render_label == "listing: browser, detail: http"
    assert sites["nattsida"].render_label == "http"
    [*_, scroll] = sites["stjarnsida"].browser.listing_actions
    assert isinstance(scroll, ScrollUntilAction) and scroll.scroll_until == "#cards[data-complete=true]"
    assert sites["kvallsida"].detail.ad_container == "article.annons"
    assert sites["nattsida"].detail.ad_container is None


@pytest.mark.parametrize("render, listing, detail", [
    ("http", "http", "http"),
    ("browser", "browser", "browser"),
    ("{listing: browser, detail: http}", "browser", "http"),
    ("{detail: browser}", "http", "browser"),
])
def test_render_is_one_mode_or_a_mode_per_page_type(tmp_path, render, listing, detail):
    path = tmp_path / "nattsida.yaml"
    path.write_text(GOOD.replace("render: http", f"render: {render}"), encoding="utf-8")
    site = load_site(path)
    assert (site.render_for("listing"), site.render_for("detail")) == (listing, detail)
    assert site.uses_browser == ("browser" in (listing, detail))


def test_scroll_until_action_has_limits(tmp_path):
    path = tmp_path / "nattsida.yaml"
    path.write_text(GOOD + 'browser:\n  listing_actions:\n    - scroll_until: "#done"\n', encoding="utf-8")
    [action] = load_site(path).browser.listing_actions
    assert (action.scroll_until, action.max_scrolls, action.timeout_s) == ("#done", 50, 60.0)
    path.write_text(GOOD + 'browser:\n  listing_actions:\n    - scroll_until: "#done"\n      max_scrolls: 0\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="browser.listing_actions.0.max_scrolls"):
        load_site(path)


def test_environment_references_expand(tmp_path, monkeypatch):
    monkeypatch.setenv("LAGESBILD_SANDBOX_URL", "http://127.0.0.1:9999")
    path = tmp_path / "nattsida.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_site(path).start_urls == ["http://127.0.0.1:9999/nattsida/"]


BROKEN = [
    ("missing field", GOOD.replace('  ad_id: {css: "article.ad", attr: "data-ad-id"}\n', ""), "detail.ad_id"),
    ("typo", GOOD.replace("next_page:", "nex_page:"), "listing.nex_page"),
    ("bad render", GOOD.replace("render: http", "render: chrome"), "render"),
    ("bad render mode", GOOD.replace("render: http", "render: {listing: chrome}"), "render.listing"),
    ("bad page type", GOOD.replace("render: http", "render: {lista: browser}"), "render.lista"),
    ("empty container", GOOD.replace("detail:\n", 'detail:\n  ad_container: ""\n'), "detail.ad_container"),
    ("bad delay", GOOD.replace("delay_s: 0.02", "delay_s: -1"), "rate_limit.delay_s"),
    ("bad regex", GOOD.replace('regex: "/profil/([A-Za-z0-9_-]+)"', 'regex: "(["'), "detail.profile_id"),
    ("bad url", GOOD.replace("${LAGESBILD_SANDBOX_URL:-http://127.0.0.1:8765}", "ftp://x"), "start_urls"),
    ("bad yaml", GOOD.replace("listing:", "listing: ["), "line "),
    ("not a mapping", "- just\n- a list\n", "(top level)"),
    # Selectors, regexes and parser modules are checked when the config loads, not on the first page.
    ("bad link css", GOOD.replace('"article.ad-card a.ad-link"', '"article.ad-card a[href"'), "listing.detail_links"),
    ("bad field css", GOOD.replace('phone: "dd.phone"', 'phone: "dd..phone"'), "detail.phone.css"),
    ("bad xpath", GOOD.replace('phone: "dd.phone"', 'phone: {xpath: "//dd[@class="}'), "detail.phone.xpath"),
    ("bad review css", GOOD.replace("  container:", '  container: "li[" #'), "reviews.container"),
    ("bad section css", GOOD.replace('links: "nav.sections a.section-soker"', 'links: "a:nosuch"'),
     "sections.0.links"),
    ("bad max links", GOOD.replace("  max_pages: 200", "  max_pages: 200\n  max_links_per_page: 0"),
     "listing.max_links_per_page"),
    ("missing parser", GOOD + "parser: parsers.sites.nosuch\n", "parser: module 'parsers.sites.nosuch' not found"),
    ("parser elsewhere", GOOD + "parser: os.path\n", "parser: must be a module under parsers.sites"),
]


@pytest.mark.parametrize("case, text, field", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_config_names_file_and_field(tmp_path, case, text, field):
    path = tmp_path / "nattsida.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert str(path) in str(caught.value) and field in str(caught.value)


def test_a_file_that_is_not_utf8_is_a_config_error_naming_it(tmp_path):
    path = tmp_path / "nattsida.yaml"
    path.write_bytes(GOOD.replace("display_name: Nattsidan", "display_name: Nattsidan \u00e4").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    assert str(caught.value) == f"{path}: line 2: not UTF-8 text (byte 0xe4); save the file as UTF-8"


@pytest.mark.parametrize("command", [("sites", "list"), ("sites", "check", "nattsida")])
def test_sites_commands_refuse_a_bad_selector_or_encoding_in_one_line(tmp_path, command):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "nattsida.yaml").write_text(GOOD.replace('phone: "dd.phone"', 'phone: "dd..phone"'), encoding="utf-8")
    (sites / "zzz.yaml").write_bytes("display_name: S\u00e5\n".encode("latin-1"))
    for broken, field in (("nattsida.yaml", "detail.phone.css: CSS selector 'dd..phone' is not valid"),
                          ("zzz.yaml", "line 1: not UTF-8 text")):
        result = run_cli(*command, home=tmp_path, sites_dir=str(sites))
        assert result.returncode == 2, result.stdout + result.stderr
        [line] = result.stderr.strip().splitlines()
        assert broken in line and field in line and "Traceback" not in result.stdout
        (sites / broken).unlink()


def test_name_must_match_file(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("name: nattsida\n" + GOOD, encoding="utf-8")
    with pytest.raises(ConfigError, match="must match the file name"):
        load_site(path)


def test_cli_reports_a_broken_config_in_one_line_with_exit_2(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "nattsida.yaml").write_text(BROKEN[0][1], encoding="utf-8")
    result = run_cli("sites", "list", home=tmp_path, sites_dir=str(sites))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nattsida.yaml" in lines[0] and "detail.ad_id" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("args", [["counts", "--level", "socken"], ["counts", "--from", "2026-13-01"],
                                  ["crawl"], ["crawl", "--site", "nosuchsite"], ["nosuchcommand"]])
def test_bad_arguments_give_one_line_and_nonzero_exit(tmp_path, args):
    result = run_cli(*args, home=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")
    assert "Traceback" not in result.stderr


def test_bad_environment_setting_is_one_line(tmp_path):
    result = run_cli("counts", home=tmp_path, small_cell_threshold="zero")
    assert result.returncode == 2 and "LAGESBILD_SMALL_CELL_THRESHOLD" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
