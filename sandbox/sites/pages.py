"""What every sandbox site shares: the response type, page frames, pagination, the index, robots.txt and the truth."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from sandbox.market import KVALLSIDA, NATTSIDA, STJARNSIDA, Listing, Market


NATTSIDA_PAGE_SIZE = 10
STJARNSIDA_PAGE_SIZE = 12
STJARNSIDA_LOAD_DELAY_MS = 250
KVALLSIDA_PAGE_SIZE = 4
REVIEWS_PER_SITE = 6
NATTSIDA_REVIEWS_PAGE_SIZE = 20

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

SITE_NAMES = {NATTSIDA: "Nattsidan", STJARNSIDA: "Stjärnsidan", KVALLSIDA: "Kvällsidan"}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #15121c; color: #eee; }
header, main, footer, section.tips, aside { max-width: 52rem; margin: 0 auto; padding: 0.75rem 1rem; }
header a { margin-right: 0.75rem; }
a { color: #f0a6ca; }
nav.regions a.region, nav.stader a.stad, nav.pagination a, nav.pagination span, nav.sidor a,
nav.sidor span { margin-right: 0.75rem; }
article.ad-card, article.city-card, article.review-card, div.card, div.profilkort, article.annons,
article.recension { border-bottom: 1px solid #333; padding: 0.5rem 0; }
div.card { min-height: 5rem; }
span.city, span.stad { color: #aaa; margin-left: 0.5rem; }
footer { color: #888; font-size: 0.85rem; }
#age-gate { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.92); display: flex;
  align-items: center; justify-content: center; flex-direction: column; z-index: 10; }
#age-gate button { font-size: 1.1rem; padding: 0.6rem 1.2rem; }
#scroll-sentinel { max-width: 52rem; margin: 0 auto; padding: 1rem; color: #888; }
"""

FICTION_NOTICE = "Fiktiv testsida för lagesbild – alla annonser, namn och nummer är påhittade."


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def escaped(text: str) -> str:
    return escape(text, quote=True)


def html_page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escaped(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
{body}
<footer><p>{FICTION_NOTICE}</p></footer>
</body>
</html>
"""
    return Response(status, HTML_TYPE, document.encode("utf-8"))


def json_response(payload: object, status: int = 200) -> Response:
    return Response(status, JSON_TYPE, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


def not_found() -> Response:
    return html_page("Sidan finns inte", "<main><h1>404 – sidan finns inte</h1><p><a href=\"/\">Till startsidan</a></p></main>", 404)


def page_number(query: dict[str, list[str]]) -> int | None:
    """The 'sida' query parameter (default 1); None when it is not a positive integer."""
    raw = query.get("sida", ["1"])[-1]
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else None


def phone_html(listing: Listing) -> str:
    if len(listing.phone_parts) > 1:
        return "".join(f"<span>{escaped(part)}</span>" for part in listing.phone_parts)
    return escaped(listing.phone_parts[0])


def numbered_pagination(base: str, page: int, page_count: int, nav_class: str) -> str:
    numbers = []
    if page > 1:
        numbers.append(f'<a rel="prev" href="{base}?sida={page - 1}">Föregående</a>')
    for number in range(1, page_count + 1):
        if number == page:
            numbers.append(f'<span class="current" aria-current="page">{number}</span>')
        else:
            numbers.append(f'<a href="{base}?sida={number}">{number}</a>')
    if page < page_count:
        numbers.append(f'<a rel="next" href="{base}?sida={page + 1}">Nästa</a>')
    return f'<nav class="{nav_class}">\n' + "\n".join(numbers) + "\n</nav>"




def index_page() -> Response:
    body = """<main>
<h1>Lagesbild sandlåda</h1>
<p>Tre påhittade annonssidor för tester och demonstrationer.</p>
<ul>
<li><a href="/nattsida/">Nattsidan</a> – serverrenderad, regioner och sidnumrering</li>
<li><a href="/stjarnsida/">Stjärnsidan</a> – app med åldersspärr, annonserna laddas med JavaScript när du skrollar</li>
<li><a href="/kvallsida/">Kvällsidan</a> – profiler per stad, numret visas först efter ett klick</li>
</ul>
</main>"""
    return html_page("Lagesbild sandlåda", body)


def robots_txt() -> Response:
    return Response(200, TEXT_TYPE, b"User-agent: *\nAllow: /\n")


def truth_json(market: Market) -> Response:
    return json_response(market.truth_dict())
