"""Generated messy variants of real place names, scored against the kommun each name came from."""
from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pytest

from config.geo import Geography
from parsers.gazetteer import EVIDENCE_MIN, EVIDENCE_RATIO
from parsers.places import PlaceResolver

SEED = 20_240_611
LETTERS = "abcdefghijklmnopqrstuvwxyzåäö"


@dataclass(frozen=True)
class Variant:
    text: str
    kind: str
    truth: str  # kommun code of the source row
    source: str  # the real name the variant was made from


def _fold(text: str) -> str:
    """Independent of the module under test: casefold, dashes as spaces, no diacritics."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("ø", "o").replace("æ", "ae")
    return " ".join(re.sub(r"[-\u2010-\u2015]", " ", text).split())


def _strip_diacritics(text: str) -> str:
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    )


@dataclass(frozen=True)
class Gazetteer:
    codes: dict[str, set[str]]  # folded name → kommun codes, over every name that points at kommuner
    spellings: dict[str, set[str]]  # folded name → casefolded spellings
    other_words: set[str]  # folded regions, foreign places, filler words: not places of their own

    def is_known(self, text: str) -> bool:
        return _fold(text) in self.codes or _fold(text) in self.other_words

    def reads_as_names(self, text: str) -> bool:
        """The text is made up of real names and filler words ("Bastad-Bro": Båstad + Bro)."""
        words = re.sub(r"[^\w ]", " ", _fold(text)).split()
        reachable = {0}
        for i in range(len(words)):
            if i in reachable:
                reachable |= {j for j in range(i + 1, len(words) + 1) if self.is_known(" ".join(words[i:j]))}
        return len(words) in reachable


@pytest.fixture(scope="module")
def gazetteer(geo: Geography) -> Gazetteer:
    codes: dict[str, set[str]] = {}
    spellings: dict[str, set[str]] = {}

    def add(name: str, code: str) -> None:
        codes.setdefault(_fold(name), set()).add(code)
        spellings.setdefault(_fold(name), set()).add(name.casefold())

    for code, kommun in geo.kommuner.items():
        add(kommun.name, code)
    for place in geo.place_names:
        add(place.name, place.kommun_code)
    for district in geo.districts:
        add(district.name, district.kommun_code)
    for alias in geo.aliases:
        add(alias.alias, alias.kommun_code)
    other = {_fold(p.name) for p in geo.abroad} | {_fold(s.name) for s in geo.landskap}
    for lan in geo.lan.values():
        base = lan.name.removesuffix(" län")
        other |= {_fold(lan.name), _fold(base), _fold(base.rstrip("s"))}
    other |= {_fold(r) for r in geo.polisregioner}
    other |= {"i", "in", "nara", "near", "omradet", "omr", "c", "centrum", "city", "station", "central",
              "sverige", "sweden", "ovriga sverige", "riket", "overallt", "kommun", "stad"}
    return Gazetteer(codes, spellings, other)


def _typo(name: str, rng: random.Random) -> str:
    """One edit (insert, delete, substitute or swap neighbours) at a letter of the name."""
    positions = [i for i, ch in enumerate(name) if ch.isalpha()]
    i = rng.choice(positions[:-1])
    op = rng.choice(("insert", "delete", "substitute", "swap"))
    if op == "insert":
        return name[:i] + rng.choice(LETTERS) + name[i:]
    if op == "delete":
        return name[:i] + name[i + 1:]
    if op == "substitute":
        return name[:i] + rng.choice([c for c in LETTERS if c != name[i].lower()]) + name[i + 1:]
    if name[i + 1].isalpha() and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name[:i] + name[i + 1:]


def _unique_variants(geo: Geography, gaz: Gazetteer) -> list[Variant]:
    rng = random.Random(SEED)
    variants: list[Variant] = []
    generic = {_fold(d.name) for d in geo.districts if d.needs_city_context}
    names = sorted({(p.name, p.kommun_code) for p in geo.place_names}
                   | {(d.name, d.kommun_code) for d in geo.districts if not d.needs_city_context})
    kommun_names = {_fold(k.name): code for code, k in geo.kommuner.items()}
    for name, code in names:
        folded = _fold(name)
        if len(gaz.codes[folded]) != 1 or folded in gaz.other_words or folded in generic:
            continue
        base, _, last = folded.rpartition(" ")
        if last in gaz.other_words and kommun_names.get(base, code) != code:
            continue  # "Sjöbo centrum" (an area in Borås) also reads as the centre of Sjöbo kommun
        kinds = ["exact", "lower", "upper", "suffix_c", "suffix_centrum", "prefix_i"]
        if _strip_diacritics(name) != name:
            kinds += ["folded", "folded"]
        letters = sum(ch.isalpha() for ch in name)
        if letters >= 6:
            kinds += ["typo", "typo", "typo"]
        for kind in rng.sample(kinds, 2):
            text = {
                "exact": name,
                "lower": name.lower(),
                "upper": name.upper(),
                "suffix_c": f"{name} C",
                "suffix_centrum": f"{name} centrum",
                "prefix_i": f"i {name}",
                "folded": _strip_diacritics(name),
            }.get(kind) or _typo(name, rng)
            if kind == "typo" and (_fold(text) == folded or gaz.reads_as_names(text)):
                continue  # the typo landed on real names (or changed nothing)
            if kind.startswith(("suffix", "prefix")) and gaz.is_known(text):
                continue
            variants.append(Variant(text, kind, code, name))
    return variants


def _abbreviation_and_district_variants(geo: Geography) -> list[Variant]:
    rng = random.Random(SEED + 1)
    variants = []
    for alias in geo.aliases:
        for text in (alias.alias, alias.alias.lower(), alias.alias.upper(), f"{alias.alias} C"):
            variants.append(Variant(text, "alias", alias.kommun_code, alias.alias))
    city_words = {code: [geo.kommuner[code].name] + [a.alias for a in geo.aliases if a.kommun_code == code]
                  for code in {d.kommun_code for d in geo.districts}}
    for district in geo.districts:
        for city in city_words[district.kommun_code]:
            form = rng.choice(("{d} {c}", "{d}, {c}", "{c} {d}", "{c}, {d}", "{d} i {c}", "{c} / {d}"))
            variants.append(Variant(form.format(d=district.name, c=city), "district+city",
                                    district.kommun_code, district.name))
    return variants


def _score(resolver: PlaceResolver, variants: list[Variant]) -> tuple[Counter, list[str]]:
    outcome: Counter = Counter()
    wrong = []
    for v in variants:
        result = resolver.resolve(v.text)
        if result.status == "resolved" and result.kommun_codes == (v.truth,):
            outcome["correct"] += 1
            outcome[f"correct:{v.kind}"] += 1
        elif result.status == "resolved":
            outcome["wrong"] += 1
            wrong.append(f"{v.text!r} ({v.kind} of {v.source!r}, {v.truth}) → {result.kommun_codes}: "
                         f"{result.explanation}")
        else:
            outcome["missed"] += 1
            outcome[f"missed:{v.kind}"] += 1
    return outcome, wrong


def _summary(name: str, outcome: Counter, total: int) -> str:
    share = outcome["correct"] / total if total else 0.0
    kinds = ", ".join(f"{k}={v}" for k, v in sorted(outcome.items()) if ":" in k)
    return (f"{name}: {total} variants, {outcome['correct']} correct ({share:.2%}), "
            f"{outcome['wrong']} wrong, {outcome['missed']} ambiguous/unresolved [{kinds}]")


def test_unique_names_resolve_and_are_never_wrong(geo, gazetteer, resolver) -> None:
    variants = _unique_variants(geo, gazetteer) + _abbreviation_and_district_variants(geo)
    assert len(variants) >= 2_000
    outcome, wrong = _score(resolver, variants)
    summary = _summary("unique names", outcome, len(variants))
    print(summary)
    assert outcome["wrong"] == 0, summary + "\n" + "\n".join(wrong[:30])
    assert outcome["correct"] >= 0.99 * len(variants), summary


def _dominant(candidates: dict[str, int]) -> str | None:
    """The documented evidence rule, restated: ≥ EVIDENCE_RATIO × all others together, and ≥ EVIDENCE_MIN."""
    ranked = sorted(candidates.items(), key=lambda kv: (-kv[1], kv[0]))
    top_code, top = ranked[0]
    rest = sum(e for _, e in ranked[1:])
    return top_code if top >= EVIDENCE_MIN and top >= EVIDENCE_RATIO * rest else None


def _shared_names(geo: Geography, gaz: Gazetteer) -> dict[str, dict[str, int]]:
    """Locality names of several kommuner, spelled alike, that are no kommun name, alias or curated district."""
    special = {_fold(k.name) for k in geo.kommuner.values()} | {_fold(a.alias) for a in geo.aliases}
    special |= {_fold(d.name) for d in geo.districts} | gaz.other_words
    shared: dict[str, dict[str, int]] = {}
    written: dict[str, str] = {}
    for place in geo.place_names:
        folded = _fold(place.name)
        if len(gaz.codes[folded]) > 1 and folded not in special and len(gaz.spellings[folded]) == 1:
            evidence = shared.setdefault(folded, {})
            evidence[place.kommun_code] = max(evidence.get(place.kommun_code, 0), place.evidence)
            if not place.name.isupper():
                written[folded] = place.name
            written.setdefault(folded, place.name)
    return {written[folded]: evidence for folded, evidence in shared.items()}


def test_shared_names_need_context(geo, gazetteer, resolver) -> None:
    shared = _shared_names(geo, gazetteer)
    rng = random.Random(SEED + 2)
    counts: Counter = Counter()
    failures: list[str] = []
    for name, candidates in sorted(shared.items()):
        for truth in sorted(candidates):
            text = rng.choice((name, name.lower(), name.upper(), _strip_diacritics(name)))
            # Without context: ambiguous with every candidate, or the evidence rule's clear winner.
            plain = resolver.resolve(text)
            dominant = _dominant(candidates)
            if dominant is not None:
                ok = plain.status == "resolved" and plain.kommun_codes == (dominant,)
                counts["no context, by evidence"] += 1
            else:
                ok = plain.status == "ambiguous" and set(plain.kommun_codes) == set(candidates)
                counts["no context, ambiguous"] += 1
            if not ok:
                failures.append(f"{text!r} without context → {plain.status} {plain.kommun_codes}")
            # With the true kommun's county as context: resolved when that settles it.
            county = geo.lan_of(truth)
            in_county = {c: e for c, e in candidates.items() if geo.lan_of(c).code == county.code}
            result = resolver.resolve(text, context=county.name)
            if len(in_county) == 1:
                counts["context settles"] += 1
                if result.status == "resolved" and result.kommun_codes == (truth,):
                    counts["context settles, correct"] += 1
                elif result.status == "resolved":
                    counts["context settles, wrong"] += 1
                    failures.append(f"{text!r} + {county.name!r} → {result.kommun_codes}, truth {truth}")
            else:
                counts["same county"] += 1
                expected = _dominant(in_county)
                ok = (result.status == "resolved" and result.kommun_codes == (expected,)) if expected else (
                    result.status == "ambiguous" and set(result.kommun_codes) == set(in_county))
                if not ok:
                    failures.append(f"{text!r} + {county.name!r} → {result.status} {result.kommun_codes}")
    settled = counts["context settles"]
    summary = (f"shared names: {len(shared)} names, {sum(len(c) for c in shared.values())} (name, kommun) rows; "
               + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
               + f"; context correct {counts['context settles, correct'] / settled:.2%}")
    print(summary)
    assert settled > 100, summary
    assert counts["context settles, wrong"] == 0, summary + "\n" + "\n".join(failures[:30])
    assert counts["context settles, correct"] >= 0.99 * settled, summary + "\n" + "\n".join(failures[:30])
    assert not failures, summary + "\n" + "\n".join(failures[:30])
