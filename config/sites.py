"""Site configuration: the YAML schema for one crawled site, and its loader."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from config.errors import ConfigError

_ENV_REF = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")

RenderMode = Literal["http", "browser"]
PAGE_TYPES = ("listing", "detail")
PageType = Literal["listing", "detail"]
DEFAULT_MAX_LINKS_PER_PAGE = 2_000


def _check_css(value: str | None) -> str | None:
    """A CSS selector the parsers (soupsieve) can apply; checked when the config loads, not mid-crawl."""
    if value is None:
        return value
    import soupsieve

    try:
        soupsieve.compile(value)
    except (soupsieve.SelectorSyntaxError, ValueError, TypeError) as exc:
        problem = str(exc).strip().splitlines()[0]
        raise ValueError(f"CSS selector {value!r} is not valid: {problem}") from None
    return value


def _check_xpath(value: str | None) -> str | None:
    """An XPath expression lxml can evaluate."""
    if value is None:
        return value
    from lxml import etree

    try:
        etree.XPath(value)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"XPath {value!r} is not valid: {exc}") from None
    return value


# A selector the parsers apply to a page (browser actions take Playwright's selectors, which are not checked here).
CssSelector = Annotated[str, AfterValidator(_check_css)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """Where one field sits on a page: a CSS or XPath selector, optionally an attribute and a regex."""

    css: Annotated[str | None, AfterValidator(_check_css)] = None
    xpath: Annotated[str | None, AfterValidator(_check_xpath)] = None
    attr: str | None = None
    regex: str | None = None
    from_url: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "FieldSpec":
        sources = [self.css is not None, self.xpath is not None, self.from_url]
        if sum(sources) != 1:
            raise ValueError("give exactly one of css, xpath or from_url")
        if self.regex is not None:
            try:
                compiled = re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from None
            if compiled.groups > 1:
                raise ValueError("regex may have at most one capture group")
        return self


def _coerce_field(value: object) -> object:
    # A bare string is a CSS selector whose text is the value.
    return {"css": value} if isinstance(value, str) else value


class ListingConfig(_Strict):
    """How to walk listing pages: region links, ad links and pagination."""

    region_links: CssSelector | None = None
    detail_links: CssSelector
    next_page: CssSelector | None = None
    region_context: CssSelector | None = None
    max_pages: int = Field(default=500, ge=1)
    # A hostile or broken listing page can hold hundreds of thousands of links: keep the first N of each kind.
    max_links_per_page: int = Field(default=DEFAULT_MAX_LINKS_PER_PAGE, ge=1, le=100_000)


class DetailConfig(_Strict):
    """Where each field of an ad sits on its detail page.

    With `ad_container` set, one page holds several ads (a profile page listing its ads): every
    element matching it yields one ad. A field found inside the containers is read from each ad's
    own container; a field found in none (a phone or profile id shown once) from the rest of the page.
    """

    ad_container: CssSelector | None = Field(default=None, min_length=1)
    ad_id: FieldSpec
    profile_id: FieldSpec | None = None
    phone: FieldSpec | None = None
    location: FieldSpec | None = None
    category: FieldSpec | None = None
    posted: FieldSpec | None = None
    title: FieldSpec | None = None
    text: FieldSpec | None = None
    profile_name: FieldSpec | None = None  # the profile's display name: read in memory only, to mask it in texts
    price: FieldSpec | None = None  # the price text ("1 500 kr/tim"): only the SEK per hour is kept (parsers/prices.py)

    @model_validator(mode="before")
    @classmethod
    def _strings_are_css(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: value if key == "ad_container" else _coerce_field(value) for key, value in data.items()}
        return data


class SectionConfig(_Strict):
    """A listing section whose ads are all of one class (e.g. a "Söker" section of buyers' ads).

    `links` selects, on any listing page, the links to the section's first page; its pagination
    follows `listing.next_page` and its ads `listing.detail_links`.
    """

    links: CssSelector = Field(min_length=1)
    ad_class: Literal["offer", "request"] = Field(alias="class")


class ReviewFields(_Strict):
    """Where a review's fields sit inside its container (read in memory; only keyed tokens are kept)."""

    review_id: FieldSpec
    reviewer: FieldSpec | None = None  # the reviewer's handle: only a keyed token, to count distinct reviewers
    date: FieldSpec | None = None  # the review's own date (an ISO attribute or a Swedish date text)
    profile_id: FieldSpec | None = None  # the reviewed profile
    ad_id: FieldSpec | None = None  # the reviewed ad
    location: FieldSpec | None = None  # the reviewed ad's or profile's place, where the site shows it

    @model_validator(mode="before")
    @classmethod
    def _strings_are_css(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: _coerce_field(value) for key, value in data.items()}
        return data


class ReviewsConfig(_Strict):
    """Buyer reviews: list pages linked from listing pages, one review per container."""

    links: CssSelector = Field(min_length=1)  # on any listing page: links to the first review list page
    next_page: CssSelector | None = None
    container: CssSelector = Field(min_length=1)
    fields: ReviewFields
    max_pages: int = Field(default=100, ge=1)


class ClickAction(_Strict):
    click: str
    optional: bool = False


class WaitAction(_Strict):
    wait_for: str
    timeout_s: float = Field(default=10.0, gt=0)


class ScrollAction(_Strict):
    scroll: int = Field(ge=1, le=100)


class ScrollUntilAction(_Strict):
    """Scroll to the bottom again and again (infinite scroll) until `scroll_until` matches.

    Stops after max_scrolls scrolls or timeout_s seconds; the page is then parsed as far as it
    loaded and the run is marked partial.
    """

    scroll_until: str
    max_scrolls: int = Field(default=50, ge=1, le=1000)
    timeout_s: float = Field(default=60.0, gt=0)


_ACTION_KEYS = (("click", "ClickAction"), ("wait_for", "WaitAction"), ("scroll_until", "ScrollUntilAction"),
                ("scroll", "ScrollAction"))


def _action_kind(value: object) -> str | None:
    """Which action a YAML mapping is, by its key (so errors name the right action's fields)."""
    if isinstance(value, BaseModel):
        return type(value).__name__
    if isinstance(value, dict):
        return next((tag for key, tag in _ACTION_KEYS if key in value), None)
    return None


BrowserAction = Annotated[
    Union[
        Annotated[ClickAction, Tag("ClickAction")],
        Annotated[WaitAction, Tag("WaitAction")],
        Annotated[ScrollAction, Tag("ScrollAction")],
        Annotated[ScrollUntilAction, Tag("ScrollUntilAction")],
    ],
    Discriminator(_action_kind, custom_error_type="unknown_action",
                  custom_error_message="expected an action with one of: click, wait_for, scroll, scroll_until"),
]


class BrowserConfig(_Strict):
    """Page actions a browser-rendered site needs before its HTML is complete."""

    listing_actions: list[BrowserAction] = Field(default_factory=list)
    detail_actions: list[BrowserAction] = Field(default_factory=list)


class RenderConfig(_Strict):
    """How each page type is fetched: over plain HTTP or rendered in headless Chromium."""

    listing: RenderMode = "http"
    detail: RenderMode = "http"


class RateLimit(_Strict):
    """Per-site politeness: delay between requests, parallel requests and backoff."""

    delay_s: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=1, ge=1, le=16)
    autothrottle: bool = True
    retries: int = Field(default=2, ge=0, le=10)
    timeout_s: float = Field(default=30.0, gt=0)


class SiteConfig(_Strict):
    """One site, as declared in config/sites/<name>.yaml."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")
    display_name: str
    render: Annotated[  # one mode for all pages, or a mode per page type
        Union[Annotated[RenderMode, Tag("RenderMode")], Annotated[RenderConfig, Tag("RenderConfig")]],
        Discriminator(lambda v: "RenderConfig" if isinstance(v, (dict, RenderConfig)) else "RenderMode"),
    ] = "http"
    start_urls: list[str] = Field(min_length=1)
    listing: ListingConfig
    detail: DetailConfig
    browser: BrowserConfig = Field(default_factory=BrowserConfig)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    parser: str | None = None
    # The demand side (issue 9): sections of one ad class, classifying the other ads by their wording
    # (config/lexicons/demand.yaml), and buyer reviews.
    sections: list[SectionConfig] = Field(default_factory=list)
    classify_by_wording: bool = False
    reviews: ReviewsConfig | None = None
    source_file: str = ""
    config_version: str = ""

    def render_for(self, page_type: PageType) -> RenderMode:
        """'browser' or 'http' for listing or detail pages."""
        if isinstance(self.render, RenderConfig):
            return getattr(self.render, page_type)
        return self.render

    @property
    def uses_browser(self) -> bool:
        """True when any page type is rendered in the browser (the crawl then needs Chromium)."""
        return any(self.render_for(page_type) == "browser" for page_type in PAGE_TYPES)

    @property
    def render_label(self) -> str:
        """'http', 'browser', or e.g. 'listing: browser, detail: http'."""
        if isinstance(self.render, RenderConfig):
            return ", ".join(f"{page_type}: {self.render_for(page_type)}" for page_type in PAGE_TYPES)
        return self.render

    @model_validator(mode="after")
    def _urls_are_http(self) -> "SiteConfig":
        for url in self.start_urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"start_urls: {url!r} is not an http(s) URL")
        return self


SITE_PARSER_PREFIX = "parsers.sites."


def _check_parser_module(site: SiteConfig) -> None:
    """A `parser:` module must exist under parsers.sites and import cleanly (found when the config loads)."""
    import importlib

    name = site.parser
    if name is None:
        return
    if not re.fullmatch(r"parsers\.sites\.[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigError(site.source_file, "parser", f"must be a module under {SITE_PARSER_PREFIX}*, not {name!r}")
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):  # the module (or parsers.sites) itself is missing
            raise ConfigError(site.source_file, "parser", f"module {name!r} not found") from None
        raise ConfigError(site.source_file, "parser", f"module {name!r} cannot be imported: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a broken module is a config problem named by file and field
        raise ConfigError(site.source_file, "parser",
                          f"module {name!r} cannot be imported: {type(exc).__name__}: {exc}") from None


def _expand_env(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = os.environ.get(match["name"])
        if value is None:
            value = match["default"] if match["default"] is not None else ""
        return value

    return _ENV_REF.sub(replace, text)


_UNION_TAGS = {"ClickAction", "WaitAction", "ScrollAction", "ScrollUntilAction", "RenderConfig", "RenderMode"}
_VALIDATOR_TAG = re.compile(r"^(literal|function-[a-z]+)\[")


def _field_path(loc: tuple) -> str:
    # pydantic names union members and validators in the location; the user needs the YAML path.
    parts = [str(p) for p in loc if not (isinstance(p, str) and (p in _UNION_TAGS or _VALIDATOR_TAG.match(p)))]
    return ".".join(parts) or "(top level)"


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    """The first invalid field; for a union (render, browser actions) the member that got furthest."""
    errors = exc.errors()
    same_field = [e for e in errors if _field_path(e["loc"]).split(".")[0] == _field_path(errors[0]["loc"]).split(".")[0]]
    chosen = max(same_field, key=lambda e: len(_field_path(e["loc"]).split(".")))
    return _field_path(chosen["loc"]), chosen["msg"].removeprefix("Value error, ")


def load_site(path: Path) -> SiteConfig:
    """Parse and validate one site file; any problem becomes a ConfigError naming file and field."""
    file = str(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(file, f"line {line}", f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                                                "save the file as UTF-8") from None
    try:
        data = yaml.safe_load(_expand_env(raw_text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(yaml)"
        raise ConfigError(file, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(file, "(top level)", "expected a mapping of settings")
    data.setdefault("name", path.stem)
    data["source_file"] = file
    data["config_version"] = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()[:12]
    try:
        site = SiteConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(file, *_first_problem(exc)) from None
    if site.name != path.stem:
        raise ConfigError(file, "name", f"must match the file name ({path.stem!r})")
    _check_parser_module(site)
    return site


def load_sites(sites_dir: Path) -> dict[str, SiteConfig]:
    """All site configs in a folder, by name, in name order."""
    if not sites_dir.is_dir():
        raise ConfigError(str(sites_dir), "", "site config folder does not exist")
    sites = {}
    for path in sorted(sites_dir.glob("*.yaml")):
        site = load_site(path)
        sites[site.name] = site
    return sites


def get_site(sites_dir: Path, name: str) -> SiteConfig:
    """One site by name, or a ConfigError listing the known names."""
    sites = load_sites(sites_dir)
    if name not in sites:
        known = ", ".join(sites) or "none"
        raise ConfigError(str(sites_dir), "", f"no site named {name!r} (configured: {known})")
    return sites[name]
