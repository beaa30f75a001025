"""The text a visitor sees: hidden elements never join a field's text.

Sites hide decoy characters in elements styled `display:none` or `visibility:hidden`, marked `hidden` or
`aria-hidden="true"`, so that a scraper reading all text gets a wrong value (a phone number with a digit
too many). Text inside scripts, styles, templates and comments is never page text either. Hiding by a CSS
class in a style sheet cannot be seen from the HTML alone; a browser-rendered page shows the same markup.
"""
from __future__ import annotations

import re

from bs4 import Comment, NavigableString, Tag

HIDING_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important\s*)?(?:;|$)",
                          re.IGNORECASE)
INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})


def hides(name: str, attributes) -> bool:
    """True when an element with this tag name and these attributes is not shown."""
    if name in INVISIBLE_TAGS or attributes.get("hidden") is not None:
        return True
    if str(attributes.get("aria-hidden", "")).strip().lower() == "true":
        return True
    return bool(HIDING_STYLE.search(str(attributes.get("style") or "")))


def soup_text(element: Tag, separator: str = "") -> str:
    """The visible text of a BeautifulSoup element, its strings joined by `separator`."""
    if hides(element.name, element.attrs):
        return ""
    parts: list[str] = []
    _collect(element, parts)
    return separator.join(parts)


def _collect(element: Tag, parts: list[str]) -> None:
    for child in element.children:
        if isinstance(child, Tag):
            if not hides(child.name, child.attrs):
                _collect(child, parts)
        elif isinstance(child, NavigableString) and not isinstance(child, Comment):
            if type(child) is NavigableString:  # not a CData, doctype or processing instruction
                parts.append(str(child))


def lxml_text(element) -> str:
    """The visible text of an lxml element (text_content() without the hidden parts)."""
    if not isinstance(element.tag, str) or hides(element.tag, element.attrib):
        return ""
    parts: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and not hides(child.tag, child.attrib):
            parts.append(lxml_text(child))
        parts.append(child.tail or "")  # the text after a child belongs to this element
    return "".join(parts)
