"""Fictional Swedish phone numbers (PTS ranges reserved for fiction) and the ways ads write them."""
from __future__ import annotations

import random
from dataclasses import dataclass

# PTS number ranges reserved for use in fiction: (area code without trunk 0, first, last subscriber number).
FICTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("70", 1740605, 1740699),  # 070-1740605 … 070-1740699 (mobile)
    ("8", 46500400, 46500499),  # 08-46500400 … 08-46500499
    ("31", 3900600, 3900699),  # 031-3900600 … 031-3900699
    ("40", 6280400, 6280499),  # 040-6280400 … 040-6280499
    ("980", 319200, 319299),  # 0980-319200 … 0980-319299
)
MOBILE_AREA = "70"


@dataclass(frozen=True)
class FictionPhone:
    """One number: area code (without the trunk 0) and subscriber number."""

    area: str
    subscriber: str

    @property
    def e164(self) -> str:
        return f"+46{self.area}{self.subscriber}"

    @property
    def is_mobile(self) -> bool:
        return self.area == MOBILE_AREA


def is_fiction_e164(e164: str) -> bool:
    """True when an E.164 number lies inside one of the PTS fiction ranges."""
    if not e164.startswith("+46"):
        return False
    national = e164[3:]
    for area, first, last in FICTION_RANGES:
        subscriber = national[len(area):]
        if national.startswith(area) and subscriber.isdigit() and len(subscriber) == len(str(first)):
            if first <= int(subscriber) <= last:
                return True
    return False


def all_fiction_phones() -> tuple[list[FictionPhone], list[FictionPhone]]:
    """Every fiction number, split into (mobile, fixed)."""
    mobile: list[FictionPhone] = []
    fixed: list[FictionPhone] = []
    for area, first, last in FICTION_RANGES:
        for number in range(first, last + 1):
            phone = FictionPhone(area, str(number))
            (mobile if phone.is_mobile else fixed).append(phone)
    return mobile, fixed


def _grouped(subscriber: str) -> list[str]:
    # Swedish habit: 8 digits 3-3-2, 7 digits 3-2-2, 6 digits 2-2-2.
    sizes = {8: (3, 3, 2), 7: (3, 2, 2), 6: (2, 2, 2)}[len(subscriber)]
    groups, start = [], 0
    for size in sizes:
        groups.append(subscriber[start:start + size])
        start += size
    return groups


# Written forms, with how often an ad uses each (no form is rare, so every market shows them all).
PHONE_FORM_WEIGHTS: dict[str, int] = {
    "dash_grouped": 20,  # 070-174 06 05
    "intl_spaced": 10,  # +46 70 174 06 05
    "compact": 10,  # 0701740605
    "spaced": 10,  # 070 174 06 05
    "e164": 8,  # +46701740605
    "double_zero": 8,  # 0046 70-1740605
    "split_spans": 10,  # <span>070</span><span>-174</span><span> 06 05</span>
    "all_dashes": 8,  # 070-174-06-05
    "intl_trunk": 8,  # +46 (0)70-174 06 05
    "dotted": 8,  # 070.174.06.05
    "split_digits": 8,  # <span>07</span><span>0 17</span><span>4 06</span><span> 05</span>
}


def write_phone(phone: FictionPhone, form: str) -> tuple[str, ...]:
    """The pieces of text an ad shows for a number; several pieces mean one <span> each."""
    groups = _grouped(phone.subscriber)
    grouped = " ".join(groups)
    trunk = f"0{phone.area}"
    if form == "dash_grouped":
        return (f"{trunk}-{grouped}",)
    if form == "intl_spaced":
        return (f"+46 {phone.area} {grouped}",)
    if form == "compact":
        return (f"{trunk}{phone.subscriber}",)
    if form == "spaced":
        return (f"{trunk} {grouped}",)
    if form == "e164":
        return (phone.e164,)
    if form == "double_zero":
        return (f"0046 {phone.area}-{phone.subscriber}",)
    if form == "split_spans":
        return (trunk, f"-{groups[0]}", " " + " ".join(groups[1:]))
    if form == "all_dashes":
        return (f"{trunk}-{'-'.join(groups)}",)
    if form == "intl_trunk":
        return (f"+46 (0){phone.area}-{grouped}",)
    if form == "dotted":
        return (f"{trunk}.{'.'.join(groups)}",)
    if form == "split_digits":  # cut mid-group, so no span holds a whole group
        written = f"{trunk} {grouped}"
        cuts = (2, len(trunk) + 3, len(written) - 3)
        return tuple(written[a:b] for a, b in zip((0, *cuts), (*cuts, len(written))))
    raise ValueError(f"unknown phone form: {form}")


def pick_phone_form(rng: random.Random) -> str:
    forms = list(PHONE_FORM_WEIGHTS)
    return rng.choices(forms, weights=[PHONE_FORM_WEIGHTS[f] for f in forms])[0]


def phone_form_deck(rng: random.Random, count: int) -> list[str]:
    """`count` forms in random order: every form at least once (when count allows), the rest by weight."""
    forms = list(PHONE_FORM_WEIGHTS)
    deck = forms + [pick_phone_form(rng) for _ in range(max(0, count - len(forms)))]
    rng.shuffle(deck)
    return deck[:count]
