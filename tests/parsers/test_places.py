"""Tests for parsers.places: resolving free-text place names to kommun codes."""
from __future__ import annotations

import unicodedata

import pytest

from config.geo import Geography, load_geography
from parsers.places import PlaceResolution, PlaceResolver, normalise_place


@pytest.fixture(scope="module")
def geo() -> Geography:
    return load_geography()


@pytest.fixture(scope="module")
def resolver(geo: Geography) -> PlaceResolver:
    return PlaceResolver(geo)


def _strip_diacritics(text: str) -> str:
    """Independent of the module under test: drop combining marks after decomposition."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def _expected_code_for_folded(geo: Geography, code: str) -> str:
    """The kommun a diacritic-free spelling should resolve to: another kommun if it is spelled exactly so."""
    folded = _strip_diacritics(geo.kommuner[code].name)
    exact = [k.code for k in geo.kommuner.values() if k.name.casefold() == folded.casefold()]
    return exact[0] if exact else code


def _assert_resolved(result: PlaceResolution, *codes: str) -> None:
    assert result.status == "resolved", result
    assert result.reason is None
    assert result.kommun_codes == codes
    assert result.primary == codes[0]
    assert result.explanation


def test_every_kommun_name_resolves_as_written(geo: Geography, resolver: PlaceResolver) -> None:
    for code, kommun in geo.kommuner.items():
        _assert_resolved(resolver.resolve(kommun.name), code)


def test_every_kommun_name_resolves_in_lower_and_upper_case(geo: Geography, resolver: PlaceResolver) -> None:
    for code, kommun in geo.kommuner.items():
        _assert_resolved(resolver.resolve(kommun.name.lower()), code)
        _assert_resolved(resolver.resolve(kommun.name.upper()), code)


def test_every_kommun_name_resolves_without_diacritics(geo: Geography, resolver: PlaceResolver) -> None:
    for code, kommun in geo.kommuner.items():
        expected = _expected_code_for_folded(geo, code)
        folded = _strip_diacritics(kommun.name)
        _assert_resolved(resolver.resolve(folded), expected)
        _assert_resolved(resolver.resolve(folded.lower()), expected)


def test_habo_and_habo_collision(geo: Geography, resolver: PlaceResolver) -> None:
    assert geo.kommuner["0305"].name == "Håbo"
    assert geo.kommuner["0643"].name == "Habo"
    # Folding Håbo gives exactly the other kommun's name, so the exact spelling wins.
    assert _expected_code_for_folded(geo, "0305") == "0643"
    _assert_resolved(resolver.resolve("Håbo"), "0305")
    _assert_resolved(resolver.resolve("HÅBO"), "0305")
    _assert_resolved(resolver.resolve("Habo"), "0643")
    _assert_resolved(resolver.resolve("habo"), "0643")
    # A spelling that matches neither exactly is ambiguous, never guessed.
    result = resolver.resolve("Häbo")
    assert result.status == "ambiguous"
    assert result.reason == "ambiguous"
    assert set(result.kommun_codes) == {"0305", "0643"}
    assert result.primary is None


def test_only_known_collision_is_habo(geo: Geography) -> None:
    folded: dict[str, set[str]] = {}
    for code, kommun in geo.kommuner.items():
        folded.setdefault(normalise_place(kommun.name), set()).add(code)
    collisions = {name: codes for name, codes in folded.items() if len(codes) > 1}
    assert collisions == {"habo": {"0305", "0643"}}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Stockholms stad", "0180"),
        ("Stockholm stad", "0180"),
        ("Malmö kommun", "1280"),
        ("Malmö stad", "1280"),
        ("Göteborgs Stad", "1480"),
        ("Gotlands kommun", "0980"),
        ("Borås stad", "1490"),
        ("Västerås stad", "1980"),
        ("Habo kommun", "0643"),
        ("Håbo kommun", "0305"),
        ("  Umeå  ", "2480"),
        ("Umeå.", "2480"),
        ("(Malmo)", "1280"),
        ("Upplands-Bro", "0139"),
        ("Upplands Bro", "0139"),
        ("Malung - Sälen", "2023"),
        ("upplands  väsby", "0114"),
    ],
)
def test_name_variants(resolver: PlaceResolver, text: str, code: str) -> None:
    _assert_resolved(resolver.resolve(text), code)


@pytest.mark.parametrize(
    "text",
    ["Hela Sverige", "hela sverige", "HELA LANDET", "Sverige", "Riket", "Överallt", "overallt", "Hela Sverige!"],
)
def test_nationwide_phrases(resolver: PlaceResolver, text: str) -> None:
    result = resolver.resolve(text)
    assert result.status == "unresolved"
    assert result.reason == "nationwide"
    assert result.kommun_codes == ()
    assert result.primary is None


@pytest.mark.parametrize("text", [None, "", "   ", "\t\n", "!!"])
def test_empty(resolver: PlaceResolver, text: str | None) -> None:
    result = resolver.resolve(text)
    assert result.status == "unresolved"
    assert result.reason == "none"
    assert result.kommun_codes == ()


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Stockholm/Uppsala", ("0180", "0380")),
        ("Göteborg, Malmö", ("1480", "1280")),
        ("Malmö & Lund", ("1280", "1281")),
        ("Lund och Malmö", ("1281", "1280")),
        ("Stockholm - Västerås", ("0180", "1980")),
        ("Malmo / Goteborg", ("1280", "1480")),
        ("Stockholms stad / Solna", ("0180", "0184")),
        ("Stockholm, Uppsala, Västerås", ("0180", "0380", "1980")),
        ("Stockholm/stockholm", ("0180",)),
    ],
)
def test_several_kommuner(resolver: PlaceResolver, text: str, codes: tuple[str, ...]) -> None:
    _assert_resolved(resolver.resolve(text), *codes)


@pytest.mark.parametrize(
    "text",
    ["Xyzzyville", "Stockholmx", "Stock", "Stockholms", "Skåne", "Södermalm", "Stockholm/Xyzzyville", "123", "Oslo"],
)
def test_garbage_is_never_guessed(resolver: PlaceResolver, text: str) -> None:
    result = resolver.resolve(text)
    assert result.status == "unresolved"
    assert result.reason == "none"
    assert result.kommun_codes == ()
    assert result.primary is None


def test_deterministic(geo: Geography, resolver: PlaceResolver) -> None:
    texts = ["Stockholm", "Häbo", "Malmö & Lund", "Xyzzyville", "Hela Sverige", None]
    first = [resolver.resolve(t) for t in texts]
    again = [resolver.resolve(t) for t in texts]
    fresh = [PlaceResolver(geo).resolve(t) for t in texts]
    assert first == again == fresh


def test_context_is_accepted(resolver: PlaceResolver) -> None:
    assert resolver.resolve("Umeå", context="Besök mig i Umeå") == resolver.resolve("Umeå")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Örebro  ", "orebro"),
        ("Västerås.", "vasteras"),
        ("Upplands   Väsby", "upplands vasby"),
        ("«Malmö»", "malmo"),
        ("Zürich", "zurich"),
        ("Café", "cafe"),
        ("Tromsø", "tromso"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_place(text: str | None, expected: str) -> None:
    assert normalise_place(text) == expected
