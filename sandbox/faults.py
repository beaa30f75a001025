"""Deterministic fault injection for the sandbox sites: a typed plan per site, and a wrapper around the router.

A `FaultPlan` lists, per site, rules such as "HTTP 503 on 10 % of detail pages" or "listing page 2 never
answers". `respond()` wraps `sites.route()` (which it never changes): for a request path it returns either
the normal `Response`, a changed `Response` (an error page, a redirect, a cut or rewritten document), or a
`FaultAction` that the server carries out on the connection (hold it silently, trickle the body, close it
mid-body, stream a huge page).

Which pages a rule hits is decided by a hash of the plan's seed, the rule and the page path, so the same
plan always breaks the same pages — on every retry, in every run — and tests are repeatable.

Plans come from YAML (`FaultPlan.from_yaml`) or Python objects::

    FaultPlan(seed=7, sites={"nattsida": [HttpErrorFault(status=503, pages="detail", share=0.1)]})
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Iterator, Literal, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.errors import ConfigError
from sandbox.market import SITES, Market
from sandbox.sites.pages import HTML_TYPE, Response
from sandbox.sites.router import route

PageKind = Literal["any", "home", "listing", "api", "detail", "profile", "other"]
ALL_SITES = "*"

# Query parameter marking the second leg of a redirect loop (A → A?_slinga=1 → A → …).
LOOP_MARKER = "_slinga"
# The page number parameter of the sandbox sites' listings and API.
PAGE_PARAM = "sida"

# Path segments after the site name that say what kind of page it is.
_KIND_OF_SEGMENT = {
    "annons": "detail",
    "profil": "profile",
    "region": "listing",
    "stad": "listing",
    "api": "api",
}
# Paths the server answers outside any site (never faulted: they are not the site under test).
_GLOBAL_PATHS = {"/", "/robots.txt", "/_truth.json", "/favicon.ico"}

# Allocates until the renderer's JavaScript heap is exhausted: Chromium then kills the tab ("Aw, Snap!",
# Playwright's "Page crashed"). Bounded only by the browser's heap limit; the crawler caps it per tab.
CRASH_SCRIPT = (
    "<script>(function () { var hoard = [];"
    " for (;;) { hoard.push(new Array(1 << 20).fill(hoard.length)); } })();</script>"
)
_FILLER = (
    "<p class=\"fyllnad\">Fiktiv utfyllnad för lagesbilds feltester: den här sidan är avsiktligt mycket stor."
    " Ingen annons, inget namn, inget nummer.</p>\n"
).encode("utf-8")


class _Rule(BaseModel):
    """Which pages of a site a fault hits: page kinds, optionally one page number or a path regex, and a share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pages: PageKind | tuple[PageKind, ...] = "any"
    page_number: int | None = Field(default=None, ge=1)
    path: str | None = None
    share: float = Field(default=1.0, gt=0.0, le=1.0)

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"path regex does not compile: {exc}") from None
        return value

    @property
    def kinds(self) -> frozenset[str]:
        kinds = (self.pages,) if isinstance(self.pages, str) else self.pages
        return frozenset(kinds)

    def matches(self, page: "PageInfo") -> bool:
        kinds = self.kinds
        if "any" not in kinds and page.kind not in kinds:
            return False
        if self.page_number is not None and page.number != self.page_number:
            return False
        return self.path is None or re.search(self.path, page.path) is not None


class HttpErrorFault(_Rule):
    """Answer with an HTTP error status (500 and 503 are the usual ones) instead of the page."""

    fault: Literal["http_error"] = "http_error"
    status: int = Field(default=500, ge=400, le=599)
    retry_after_s: int | None = Field(default=None, ge=0)


class TimeoutFault(_Rule):
    """Accept the connection, then say nothing for `hold_s` seconds (longer than the crawler waits), and close."""

    fault: Literal["timeout"] = "timeout"
    hold_s: float = Field(default=120.0, gt=0)


class SlowFault(_Rule):
    """Answer late and slowly: headers after `delay_s`, then the body in small pieces spread over `duration_s`."""

    fault: Literal["slow"] = "slow"
    delay_s: float = Field(default=0.0, ge=0)
    duration_s: float = Field(default=10.0, ge=0)


class TruncateFault(_Rule):
    """Cut the document after `keep` of its bytes.

    `declared: full` announces the whole length and closes the connection early (a dropped connection);
    `declared: cut` sends a well-formed HTTP response whose HTML simply stops (a server that died mid-render).
    """

    fault: Literal["truncate"] = "truncate"
    keep: float = Field(default=0.5, ge=0.0, lt=1.0)
    declared: Literal["full", "cut"] = "full"


class RedirectLoopFault(_Rule):
    """Redirect the page to a twin URL that redirects back to it, for ever."""

    fault: Literal["redirect_loop"] = "redirect_loop"
    status: Literal[301, 302, 303, 307, 308] = 302


class EndlessPaginationFault(_Rule):
    """Listing pages whose "Nästa" always points one page further, past the real end, without end."""

    fault: Literal["endless_pagination"] = "endless_pagination"
    pages: PageKind | tuple[PageKind, ...] = ("listing", "api")


class HugePageFault(_Rule):
    """The page padded to `size_mb` megabytes (streamed, never built in memory)."""

    fault: Literal["huge_page"] = "huge_page"
    size_mb: float = Field(default=50.0, gt=0, le=1024)
    declare_length: bool = True


class LayoutChangeFault(_Rule):
    """The site's new markup: every class and data attribute renamed, so configured selectors find nothing.

    A planted site incident (a redesign of the whole site).
    """

    fault: Literal["layout_change"] = "layout_change"


class CrashTabFault(_Rule):
    """The page with a script that allocates memory until the browser kills the tab; harmless without JS."""

    fault: Literal["crash_tab"] = "crash_tab"


Fault = Annotated[
    Union[HttpErrorFault, TimeoutFault, SlowFault, TruncateFault, RedirectLoopFault, EndlessPaginationFault,
          HugePageFault, CrashTabFault, LayoutChangeFault],
    Field(discriminator="fault"),
]
FAULT_KINDS: tuple[str, ...] = (
    "http_error", "timeout", "slow", "truncate", "redirect_loop", "endless_pagination", "huge_page", "crash_tab",
    "layout_change",
)


class FaultPlan(BaseModel):
    """Faults per sandbox site (or "*" for every site); the first matching rule of a site wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    sites: dict[str, tuple[Fault, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_sites(self) -> "FaultPlan":
        for name in self.sites:
            if name != ALL_SITES and name not in SITES:
                raise ValueError(f"unknown sandbox site {name!r} (sites: {', '.join(SITES)}, or '*' for all)")
        return self

    @classmethod
    def from_yaml(cls, path: Path | str) -> "FaultPlan":
        """Read a fault file; any problem becomes a one-line ConfigError naming the file and the field."""
        path = Path(path)
        file = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(file, "", f"cannot read file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(file, "", "not a UTF-8 text file") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "(yaml)"
            raise ConfigError(file, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(file, "(top level)", "expected a mapping with 'seed' and 'sites'")
        return cls.from_dict(data, source=file)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "fault plan") -> "FaultPlan":
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(source, _field_path(first["loc"]), _message(first)) from None

    def rules_for(self, site: str) -> tuple[Fault, ...]:
        return tuple(self.sites.get(site, ())) + tuple(self.sites.get(ALL_SITES, ()))

    def fault_for(self, page: "PageInfo") -> Fault | None:
        """The fault this page gets, if any: the first rule that matches it and whose share draws it."""
        for index, rule in enumerate(self.rules_for(page.site)):
            if rule.matches(page) and _draw(self.seed, page.site, index, page.path) < rule.share:
                return rule
        return None

    def describe(self) -> list[str]:
        """One line per rule, for the `sandbox serve` banner."""
        lines = []
        for site, rules in self.sites.items():
            for rule in rules:
                where = "/".join(sorted(rule.kinds))
                if rule.page_number is not None:
                    where += f" sida {rule.page_number}"
                if rule.path is not None:
                    where += f" path~{rule.path}"
                detail = f" {rule.status}" if isinstance(rule, HttpErrorFault) else ""
                lines.append(f"{site}: {rule.fault}{detail} on {where} ({rule.share:.0%})")
        return lines


def _field_path(loc: tuple) -> str:
    parts = [str(part) for part in loc]
    # Drop pydantic's discriminator tags ("http_error") from paths such as sites.nattsida.0.http_error.status.
    parts = [p for p in parts if p not in FAULT_KINDS]
    return ".".join(parts) or "(top level)"


def _message(error: dict) -> str:
    if error.get("type") == "union_tag_invalid":
        return f"unknown fault kind; use one of {', '.join(FAULT_KINDS)}"
    if error.get("type") == "union_tag_not_found":
        return f"each rule needs 'fault:' ({', '.join(FAULT_KINDS)})"
    return str(error["msg"])


def _draw(seed: int, site: str, index: int, path: str) -> float:
    digest = hashlib.blake2b(f"{seed}\0{site}\0{index}\0{path}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


# --- classifying a request path -------------------------------------------------------------------


@dataclass(frozen=True)
class PageInfo:
    """A sandbox request path as fault rules see it (without the redirect-loop marker)."""

    site: str
    kind: str
    number: int | None
    path: str  # path with query, marker removed
    looped: bool  # the request carried the redirect-loop marker


def classify(raw_path: str) -> PageInfo | None:
    """The site, page kind and page number of a request path; None for paths outside any site."""
    parts = urlsplit(raw_path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    looped = any(k == LOOP_MARKER for k, _ in query)
    query = [(k, v) for k, v in query if k != LOOP_MARKER]
    path = parts.path or "/"
    segments = [s for s in path.strip("/").split("/") if s]
    if path in _GLOBAL_PATHS or not segments:
        return None
    site, rest = segments[0], segments[1:]
    numbers = [v for k, v in query if k == PAGE_PARAM]
    number = int(numbers[-1]) if numbers and numbers[-1].isascii() and numbers[-1].isdigit() else None
    if not rest:
        kind = "listing" if number is not None else "home"
    else:
        kind = _KIND_OF_SEGMENT.get(rest[0], "other")
    if kind == "listing" and number is None:
        number = 1
    clean = path + (f"?{urlencode(query)}" if query else "")
    return PageInfo(site=site, kind=kind, number=number, path=clean, looped=looped)


# --- what the server does -------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Say nothing for `seconds` (or until the client gives up), then close the connection."""

    seconds: float


@dataclass(frozen=True)
class Trickle:
    """Send `response` late and slowly: headers after `delay_s`, the body spread over `duration_s`."""

    response: Response
    delay_s: float
    duration_s: float


@dataclass(frozen=True)
class CutOff:
    """Announce the whole of `response`, send only its first `keep_bytes` bytes, then close."""

    response: Response
    keep_bytes: int


@dataclass(frozen=True)
class Stream:
    """A body of exactly `size` bytes: `head`, filler, `tail`; generated chunk by chunk while it is sent."""

    status: int
    content_type: str
    head: bytes
    tail: bytes
    size: int
    declare_length: bool = True

    def chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        yield self.head
        remaining = self.size - len(self.head) - len(self.tail)
        whole, spare = divmod(remaining, len(_FILLER))  # whole paragraphs, then spaces: still valid HTML
        per_chunk = max(1, chunk_size // len(_FILLER))
        block = _FILLER * per_chunk
        while whole > 0:
            count = min(whole, per_chunk)
            whole -= count
            yield block if count == per_chunk else _FILLER * count
        if spare:
            yield b" " * spare
        yield self.tail


FaultAction = Union[Hold, Trickle, CutOff, Stream]


def respond(market: Market, raw_path: str, plan: FaultPlan | None) -> Response | FaultAction:
    """The router's answer for a path, with the plan's fault for that page applied."""
    page = classify(raw_path) if plan is not None else None
    fault = plan.fault_for(page) if plan is not None and page is not None else None
    if fault is None or page is None:
        if page is not None and page.looped:  # a loop twin without its fault: back to the real page
            return _redirect(page.path, 302)
        return route(market, raw_path)
    if isinstance(fault, RedirectLoopFault):
        target = page.path if page.looped else _with_param(page.path, LOOP_MARKER, "1")
        return _redirect(target, fault.status)
    if isinstance(fault, HttpErrorFault):
        return _error_page(fault)
    if isinstance(fault, TimeoutFault):
        return Hold(fault.hold_s)
    if isinstance(fault, EndlessPaginationFault):
        return _endless(market, page)
    normal = route(market, page.path)
    if isinstance(fault, SlowFault):
        return Trickle(normal, fault.delay_s, fault.duration_s)
    if isinstance(fault, TruncateFault):
        keep = int(len(normal.body) * fault.keep)
        if fault.declared == "full":
            return CutOff(normal, keep)
        return Response(normal.status, normal.content_type, normal.body[:keep], dict(normal.headers))
    if isinstance(fault, HugePageFault):
        return _huge(normal, fault)
    if isinstance(fault, CrashTabFault):
        return _with_crash_script(normal)
    if isinstance(fault, LayoutChangeFault):
        return _relayout(normal)
    raise AssertionError(f"unhandled fault {fault!r}")  # pragma: no cover


_MARKUP_NAMES = re.compile(rb'(\bclass=")|(\bdata-)|(\bid=")')


def _relayout(normal: Response) -> Response:
    """The same page in a "redesign": class names, ids and data attributes all get a new prefix."""
    renamed = _MARKUP_NAMES.sub(lambda m: m.group(0) + b"v2-" if m.group(1) or m.group(3) else b"data-v2-",
                                normal.body)
    return Response(normal.status, normal.content_type, renamed, dict(normal.headers))


def _redirect(target: str, status: int) -> Response:
    return Response(status, HTML_TYPE, b"", {"Location": target})


def _error_page(fault: HttpErrorFault) -> Response:
    body = (f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Fel {fault.status}</title>'
            f"</head><body><h1>{fault.status} – tekniskt fel, försök igen senare</h1></body></html>")
    headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
    return Response(fault.status, HTML_TYPE, body.encode("utf-8"), headers)


def _with_param(path: str, name: str, value: str) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return f"{parts.path}?{urlencode(query)}"


_NEXT_LINK = re.compile(r'<a\b[^>]*\brel="next"[^>]*>.*?</a>', re.S)
_NAV_OPEN = re.compile(r"<nav\b[^>]*>")


def _endless(market: Market, page: PageInfo) -> Response:
    """This listing page (or, past the real end, the first one again) with its next link one page further."""
    number = page.number or 1
    normal = route(market, page.path)
    if normal.status == 404 and number > 1:
        normal = route(market, _with_param(page.path, PAGE_PARAM, "1"))
    if normal.status != 200:
        return normal
    following = _with_param(page.path, PAGE_PARAM, str(number + 1))
    if normal.content_type.startswith("application/json"):
        payload = json.loads(normal.body)
        if isinstance(payload, dict) and "next" in payload:
            payload["next"] = number + 1
        return Response(200, normal.content_type, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                        dict(normal.headers))
    html = normal.body.decode("utf-8")
    link = f'<a rel="next" class="more" href="{following}">Nästa</a>'
    if _NEXT_LINK.search(html):
        html = _NEXT_LINK.sub(lambda _: link, html, count=1)
    elif (nav := _pagination_nav(html)) is not None:
        html = html[:nav] + link + html[nav:]
    else:
        html = html.replace("</main>", f'<nav class="pagination">{link}</nav></main>', 1)
    return Response(200, normal.content_type, html.encode("utf-8"), dict(normal.headers))


def _pagination_nav(html: str) -> int | None:
    """Where to insert into the navigation that marks the current page (aria-current), if there is one."""
    current = html.find('aria-current="page"')
    if current < 0:
        return None
    opened = [m for m in _NAV_OPEN.finditer(html, 0, current)]
    return opened[-1].end() if opened else None


def _huge(normal: Response, fault: HugePageFault) -> Stream:
    size = int(fault.size_mb * 1024 * 1024)
    body = normal.body
    split = body.rfind(b"</body>")
    head, tail = (body[:split], body[split:]) if split >= 0 else (body, b"")
    size = max(size, len(head) + len(tail))
    return Stream(normal.status, normal.content_type, head, tail, size, fault.declare_length)


def _with_crash_script(normal: Response) -> Response:
    body = normal.body
    at = body.find(b"<head>")
    at = at + len(b"<head>") if at >= 0 else 0
    crashed = body[:at] + CRASH_SCRIPT.encode("utf-8") + body[at:]
    return Response(normal.status, normal.content_type, crashed, dict(normal.headers))
