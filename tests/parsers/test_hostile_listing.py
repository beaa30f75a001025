"""A hostile listing page: hundreds of thousands of (repeated) links are de-duplicated in linear time and
capped per page by listing.max_links_per_page; the crawl reports what it did not follow."""
from __future__ import annotations

from config.settings import BUNDLED_SITES_DIR
from config.sites import DEFAULT_MAX_LINKS_PER_PAGE, load_site
from parsers.demand import review_links, section_links
from parsers.pages import document, parse_listing, shared_documents

URL = "http://127.0.0.1/nattsida/region/stockholm"


def _page(ids) -> str:
    cards = "".join(f'<article class="ad-card"><a class="ad-link" href="/nattsida/annons/{i}">x</a></article>'
                    for i in ids)
    return f"<html><body>{cards}</body></html>"


def _site(**listing):
    site = load_site(BUNDLED_SITES_DIR / "nattsida.yaml")
    return site.model_copy(update={"listing": site.listing.model_copy(update=listing)}) if listing else site


def test_the_default_cap_keeps_the_first_links_of_a_200000_link_page_and_counts_the_rest():
    site = _site()
    assert site.listing.max_links_per_page == DEFAULT_MAX_LINKS_PER_PAGE == 2_000
    page = parse_listing(_page(range(200_000)), URL, site)
    assert len(page.detail_urls) == 2_000
    assert page.detail_urls[0].endswith("/annons/0") and page.detail_urls[-1].endswith("/annons/1999")
    assert page.links_dropped == 198_000


def test_repeated_links_are_kept_once_in_page_order_and_do_not_count_against_the_cap():
    ids = [3, 1, 3, 2, 1, *range(10, 20), 2] * 50
    page = parse_listing(_page(ids), URL, _site(max_links_per_page=5))
    assert [url.rsplit("/", 1)[1] for url in page.detail_urls] == ["3", "1", "2", "10", "11"]
    assert page.links_dropped == 8  # the distinct links past the cap: 12 … 19
    small = parse_listing(_page(ids), URL, _site())
    assert len(small.detail_urls) == 13 and small.links_dropped == 0


def test_one_parse_serves_the_ad_review_and_section_links_of_a_page():
    site = _site()
    html = _page(range(3))
    with shared_documents():
        first = document(html, URL)
        parse_listing(html, URL, site)
        review_links(html, URL, site)
        section_links(html, URL, site)
        assert document(html, URL) is first
    assert document(html, URL) is not first  # nothing is kept after the page
