"""Hand-made signal rows for the dedup, organisation and mobility tests (no crawl, no sandbox)."""
from __future__ import annotations

from datetime import datetime, timedelta

from parsers.sketches import keyed_sketch, template_shingles, text_shingles
from store.signals import SignalRow

KEY = b"s" * 32
WEEK0 = datetime(2026, 1, 7, 2, 0)  # a Wednesday, naive UTC like stored values

# Wordings with nothing in common, long enough to be compared.
WORDINGS = {
    "a": ("Lugn kväll med Lina", "Hej, jag heter Lina. Jag läser mycket och pratar gärna om böcker och film. "
          "Konst och teater är mina stora intressen. Dusch och handduk finns alltid. Varmt välkommen!"),
    "b": ("Maja tar emot", "Hallå, Maja här. På fritiden tränar jag yoga och springer i skogen varje morgon. "
          "Massage med varma oljor är min specialitet. Sena kvällar går bra. Vi hörs!"),
    "c": ("Sällskap med Nora", "God kväll, du har hittat Nora. Jag är uppvuxen vid havet och älskar att segla. "
          "Middagssällskap och samtal är det jag gör bäst. Parkering finns nära. Tveka inte!"),
    "d": ("Ebba på besök", "Ebba heter jag. Jag har en förkärlek för jazz och gamla filmer från förr. "
          "Jag följer gärna med på konserter och fester. Förfrågningar besvaras inom en timme. Kram!"),
}
TEMPLATE = ("{name} ({age}) – söt och trevlig i {city}",
            "{name} här, {age} år. Jag har precis kommit till {city}. Tider varje dag mellan 10 och 22. "
            "Skriv ett sms så svarar min assistent. Diskret lägenhet nära centrum.")


def week(n: int) -> datetime:
    return WEEK0 + timedelta(weeks=n)


def tok(label: str) -> str:
    """A 64-character stand-in for a token, readable in failures."""
    return label.ljust(64, "_")


def row(ad: str, *, site: str = "nattsida", profile: str | None = "p1", phone: str | None = None,
        kommun: str | None = "0180", at: int = 0, wording: str | tuple[str, str] | None = "a",
        name: str = "Lina", places: tuple[str, ...] = (), **features) -> SignalRow:
    title, text = (WORDINGS[wording] if isinstance(wording, str) else wording) if wording else (None, None)
    text_sketch = keyed_sketch(KEY, text_shingles(title, text)) if wording else None
    template_sketch = keyed_sketch(KEY + b"t", template_shingles(title, text, names=[name], places=places)) \
        if wording else None
    flags = {name: features.get(name) for name in ("obscured_phone", "stated_ethnicity", "youth_language",
                                                   "trust_language", "stated_touring")}
    return SignalRow(site, tok(ad), tok(profile) if profile else None, tok(phone) if phone else None, kommun,
                     week(at), text_sketch, template_sketch, **flags, tour_kommun_code=features.get("tour"))


def templated(name: str, age: int, city: str) -> tuple[str, str]:
    return TEMPLATE[0].format(name=name, age=age, city=city), TEMPLATE[1].format(name=name, age=age, city=city)
