"""Config-driven page objects: listing and detail HTML to typed records, using a site's selectors."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from urllib.parse import urljoin, urlsplit

import lxml.html
from bs4 import BeautifulSoup, Tag

from config.lexicons import load_lexicons
from config.sites import FieldSpec, SiteConfig
from parsers.dates import parse_swedish_date
from parsers.phones import normalise_phone
from parsers.prices import parse_price_per_hour
from parsers.records import UNKNOWN_CATEGORY, AdRecord, DetailAds, ListingPage

PARSER_VERSION = "4"  # 3: profile_name read (in memory only) for text sketches; 4: price per hour

_CATEGORY_WORDS = {
    "Kvinna": ("kvinna", "kvinnor", "tjej", "tjejer", "female", "woman"),
    "Man": ("man", "män", "kille", "killar", "male"),
    "Trans": ("trans", "transperson", "ts", "tgirl"),
    "Par": ("par", "couple"),
}
_WORD = re.compile(r"[a-zåäöéü]+")


def parser_version() -> str:
    """The version a run records: the page parser's, and the ad-feature lexicons' (their features change with them)."""
    return f"{PARSER_VERSION}+lex.{load_lexicons().version}"


class ParseError(Exception):
    """A page lacks a field the site's config says must be there."""

    def __init__(self, url: str, field: str, selector: str) -> None:
        self.url = url
        self.field = field
        self.selector = selector
        super().__init__(f"{field}: nothing matched {selector!r}")


def normalise_category(text: str | None) -> str:
    """Map a site's category wording to Kvinna, Man, Trans, Par or okänd."""
    if not text:
        return UNKNOWN_CATEGORY
    words = set(_WORD.findall(text.casefold()))
    matches = [name for name, cues in _CATEGORY_WORDS.items() if words.intersection(cues)]
    return matches[0] if len(matches) == 1 else UNKNOWN_CATEGORY


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    collapsed = " ".join(text.split())
    return collapsed or None


class Document:
    """One HTML page, queryable by CSS (BeautifulSoup) and by XPath (lxml)."""

    def __init__(self, html: str, url: str) -> None:
        self.html = html
        self.url = url

    @cached_property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "lxml")

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        return lxml.html.fromstring(self.html or "<html></html>")

    def links(self, css: str | None, limit: int | None = None) -> tuple[str, ...]:
        """Distinct absolute http(s) links of the matching elements, in page order; at most `limit`."""
        return self.capped_links(css, limit)[0]

    def capped_links(self, css: str | None, limit: int | None = None) -> tuple[tuple[str, ...], int]:
        """The distinct links (at most `limit`, the first ones) and how many more distinct links were dropped.

        De-duplication keeps a dict (insertion-ordered), so a page of 200,000 links parses in linear time.
        """
        if not css:
            return (), 0
        found: dict[str, None] = {}
        dropped: set[str] = set()
        for element in self.soup.select(css):
            href = element.get("href")
            if not isinstance(href, str):
                continue
            absolute = urljoin(self.url, href.strip()).split("#", 1)[0]
            if absolute in found or urlsplit(absolute).scheme not in {"http", "https"}:
                continue
            if limit is not None and len(found) >= limit:
                dropped.add(absolute)
            else:
                found[absolute] = None
        return tuple(found), len(dropped)

    def text_of(self, css: str | None) -> str | None:
        if not css:
            return None
        element = self.soup.select_one(css)
        return _clean(element.get_text(" ")) if element is not None else None

    def value(self, spec: FieldSpec, *, joined: bool = False) -> str | None:
        """The field's value, or None when the selector matches nothing."""
        raw: str | None
        if spec.from_url:
            raw = self.url
        elif spec.css is not None:
            element = self.soup.select_one(spec.css)
            raw = self._element_value(element, spec.attr, joined) if element is not None else None
        else:
            raw = self._xpath_value(spec)
        if raw is not None and spec.regex is not None:
            match = re.search(spec.regex, raw)
            raw = (match.group(1) if match.groups() else match.group(0)) if match else None
        return _clean(raw)

    @staticmethod
    def _element_value(element: Tag, attr: str | None, joined: bool) -> str | None:
        if attr:
            value = element.get(attr)
            return " ".join(value) if isinstance(value, list) else value
        return element.get_text("" if joined else " ")

    def _xpath_value(self, spec: FieldSpec) -> str | None:
        results = self.tree.xpath(spec.xpath)
        if not results:
            return None
        first = results[0]
        if isinstance(first, str):
            return str(first)
        if spec.attr:
            return first.get(spec.attr)
        return first.text_content()


_shared_documents: dict[tuple[int, str], tuple[str, Document]] | None = None


@contextmanager
def shared_documents() -> Iterator[None]:
    """Within the block, `document()` parses each page once: the spider reads a listing page's ad, review and
    section links from one parse (a hostile page of 200,000 links costs one parse, not three)."""
    global _shared_documents
    previous, _shared_documents = _shared_documents, {}
    try:
        yield
    finally:
        _shared_documents = previous


def document(html: str, url: str) -> Document:
    """A Document of the page; the same one for the same page inside `shared_documents()`."""
    if _shared_documents is None:
        return Document(html, url)
    key = (id(html), url)
    hit = _shared_documents.get(key)
    if hit is None or hit[0] is not html:
        hit = _shared_documents[key] = (html, Document(html, url))
    return hit[1]


def parse_listing(html: str, url: str, site: SiteConfig) -> ListingPage:
    """Links on one listing page: region pages, ad detail pages and the next page.

    At most `listing.max_links_per_page` distinct links of each kind are kept (the first ones on the
    page); `links_dropped` counts the rest, which the crawl reports in the run's note.
    """
    doc = document(html, url)
    listing = site.listing
    cap = listing.max_links_per_page
    region_urls, dropped_regions = doc.capped_links(listing.region_links, cap)
    detail_urls, dropped_details = doc.capped_links(listing.detail_links, cap)
    return ListingPage(
        url=url,
        region_urls=region_urls,
        detail_urls=detail_urls,
        next_urls=doc.links(listing.next_page, cap),
        region_context=doc.text_of(listing.region_context),
        links_dropped=dropped_regions + dropped_details,
    )


def selector_text(spec: FieldSpec) -> str:
    """The selector a field was read with, for a parse error."""
    return spec.css or spec.xpath or "url"


_FIELD_NAMES = ("ad_id", "profile_id", "phone", "location", "category", "posted", "title", "text", "profile_name",
                "price")


class _Scoped:
    """Field lookup for one ad of several: inside its container, or for page-level fields on the rest of the page."""

    def __init__(self, container: Document, page: Document, page_level: frozenset[int]) -> None:
        self.container = container
        self.page = page
        self.page_level = page_level  # id()s of the FieldSpecs that match in no container

    def value(self, spec: FieldSpec, *, joined: bool = False) -> str | None:
        found = self.container.value(spec, joined=joined)
        if found is None and id(spec) in self.page_level:
            found = self.page.value(spec, joined=joined)
        return found


def parse_details(
    html: str,
    url: str,
    site: SiteConfig,
    crawl_time: datetime,
    region_context: str | None = None,
) -> DetailAds:
    """Every ad on a detail page: one, or one per `detail.ad_container` (a profile page listing its ads).

    With containers, a field whose selector matches inside some container is per ad: it is read
    from each ad's own container only (never from another ad or a look-alike elsewhere). A field
    that matches in no container (a phone or profile id shown once) is read from the page outside
    the containers, for every ad.

    Raises ParseError when the page has no ad at all (no ad id, or no container). A container
    without an ad id is recorded in the result's `failures`; the other ads are kept.
    """
    detail = site.detail
    if detail.ad_container is None:
        return DetailAds([parse_detail(html, url, site, crawl_time, region_context)])
    soup = BeautifulSoup(html, "lxml")
    containers = soup.select(detail.ad_container)
    if not containers:
        raise ParseError(url, "ad_container", detail.ad_container)
    # Container markup is serialised before the containers are cut out of the page.
    fragments = [str(container) for container in containers]
    for container in containers:
        container.decompose()
    rest_of_page = Document(str(soup), url)
    docs = [Document(fragment, url) for fragment in fragments]
    specs = [spec for name in _FIELD_NAMES if (spec := getattr(detail, name)) is not None]
    page_level = frozenset(id(spec) for spec in specs if all(doc.value(spec) is None for doc in docs))
    records, failures = [], []
    for doc in docs:
        try:
            records.append(_record(_Scoped(doc, rest_of_page, page_level), url, site, crawl_time, region_context))
        except ParseError as exc:
            failures.append(exc)
    return DetailAds(records, failures)


def parse_detail(
    html: str,
    url: str,
    site: SiteConfig,
    crawl_time: datetime,
    region_context: str | None = None,
) -> AdRecord:
    """One ad's fields from its detail page (the first ad, on a page of several).

    Raises ParseError when the ad id is missing.
    """
    if site.detail.ad_container is not None:
        ads = parse_details(html, url, site, crawl_time, region_context)
        if not ads:
            raise ads.failures[0]
        return ads[0]
    return _record(Document(html, url), url, site, crawl_time, region_context)


def _record(
    doc: Document | _Scoped,
    url: str,
    site: SiteConfig,
    crawl_time: datetime,
    region_context: str | None,
) -> AdRecord:
    detail = site.detail
    ad_id = doc.value(detail.ad_id)
    if not ad_id:
        raise ParseError(url, "ad_id", selector_text(detail.ad_id))

    def optional(name: str, *, joined: bool = False) -> str | None:
        spec = getattr(detail, name)
        return doc.value(spec, joined=joined) if spec is not None else None

    phone_text = optional("phone", joined=True)
    phone = normalise_phone(phone_text) or normalise_phone(optional("phone"))
    fields = {
        "profile_id": optional("profile_id"),
        "phone": phone,
        "location": optional("location"),
        "category": optional("category"),
        "posted": optional("posted"),
    }
    missing = tuple(name for name, value in fields.items() if value is None and getattr(detail, name) is not None)
    return AdRecord(
        site=site.name,
        site_ad_id=ad_id,
        site_profile_id=fields["profile_id"],
        phone_e164=phone,
        location_text=fields["location"],
        region_context=region_context,
        category=normalise_category(fields["category"]),
        posted_at=parse_swedish_date(fields["posted"], crawl_time),
        title=optional("title"),
        text=optional("text"),
        missing_fields=missing,
        profile_name=optional("profile_name"),
        price_per_hour=parse_price_per_hour(optional("price")),  # a missing price is no missing field
    )
