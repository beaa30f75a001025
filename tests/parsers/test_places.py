"""Tests for parsers.places: resolving free-text place names to kommun codes."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.geo import Geography, PlaceAlias, load_place_aliases
from parsers.place_text import normalise_place
from parsers.places import PlaceResolution, PlaceResolver


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
    ["Xyzzyville", "Stck", "Lnud", "Uppsalalalala", "Stockholms", "Skåne", "Stockholm/Xyzzyville", "123",
     "Escort Stockholm", "Västra Götaland", "Uppsala län", "Stockholms län", "Polisregion Syd", "Norrland"],
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
    # Equal outcome and explanation; the trace (not compared) also shows the context.
    assert resolver.resolve("Umeå", context="Besök mig i Umeå") == resolver.resolve("Umeå")


# --- the ways ads write places ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Sthlm Söder", "0180"),
        ("Gbg centrum", "1480"),
        ("Malmö C", "1280"),
        ("Goteborg", "1480"),
        ("Jkpg", "0680"),
        ("Möllan", "1280"),
        ("Täby C", "0160"),
        ("Täby C-station", "0160"),
        ("Malmö centralstation", "1280"),
        ("i Uppsala", "0380"),
        ("nära Lund", "1281"),
        ("Lund området", "1281"),
        ("Norrkoping", "0581"),
        ("Stockholm, Sverige", "0180"),
        ("Sthlm, Sweden", "0180"),
        ("Hela Sverige / Stockholm", "0180"),
    ],
)
def test_ways_ads_write_places(resolver: PlaceResolver, text: str, code: str) -> None:
    _assert_resolved(resolver.resolve(text), code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Sthlm", "0180"), ("Stholm", "0180"), ("Gbg", "1480"), ("Gburg", "1480"), ("Göttet", "1480"),
        ("Gothenburg", "1480"), ("Jkpg", "0680"), ("Hbg", "1283"), ("Norrk", "0581"), ("Lkpg", "0580"),
        ("Övik", "2284"), ("Ö-vik", "2284"), ("Ovik", "2284"), ("Hudik", "2184"), ("GBG", "1480"),
    ],
)
def test_bundled_aliases(resolver: PlaceResolver, text: str, code: str) -> None:
    _assert_resolved(resolver.resolve(text), code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Södermalm", "0180"),  # also a RegSO area in Skellefteå (evidence 1); the curated district wins
        ("Hisingen", "1480"),
        ("Kungsholmen", "0180"),
        ("Möllevången", "1280"),
        ("Södermalm, Stockholm", "0180"),
        ("Stockholm (Södermalm)", "0180"),
        ("Stockholms Södermalm", "0180"),
        ("Möllan Malmö", "1280"),
        ("Malmö Möllan", "1280"),
        ("Hisingen Gbg", "1480"),
        ("Göteborg Haga", "1480"),
        ("Norr Malmö", "1280"),
        ("Söder, Lund", "1281"),  # a generic district next to a city is a part of that city
    ],
)
def test_districts(resolver: PlaceResolver, text: str, code: str) -> None:
    _assert_resolved(resolver.resolve(text), code)


@pytest.mark.parametrize(("text", "context"), [("Centrum", None), ("Söder", None), ("Haga", None),
                                               ("Centrum", "Västra Götaland"), ("Söder", "Skåne"),
                                               ("Söder", "Övriga Sverige")])
def test_generic_districts_need_the_city(resolver: PlaceResolver, text: str, context: str | None) -> None:
    result = resolver.resolve(text, context=context)
    assert result.status == "ambiguous", result
    assert result.reason == "ambiguous"
    assert result.primary is None
    assert "generic district" in result.explanation


@pytest.mark.parametrize(
    ("text", "context", "code"),
    [("Centrum", "Göteborg", "1480"), ("Centrum", "Malmö", "1280"), ("Söder", "Stockholm", "0180"),
     ("Haga", "Göteborg", "1480"), ("Haga", "Umeå", "2480"), ("Centrum", "Gbg", "1480")],
)
def test_generic_districts_with_the_city_as_context(resolver: PlaceResolver, text: str, context: str,
                                                    code: str) -> None:
    _assert_resolved(resolver.resolve(text, context=context), code)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Norrköping / Linköping", ("0581", "0580")),
        ("Stockholm och Uppsala", ("0180", "0380")),
        ("Malmö, Lund", ("1280", "1281")),
        ("Norrköping Linköping", ("0581", "0580")),
        ("Stockholm, Solna", ("0180", "0184")),
        ("Uppsala, Knivsta", ("0380", "0330")),
        ("Stockholm / Oslo", ("0180",)),  # the foreign place is dropped next to a Swedish one
    ],
)
def test_several_places(resolver: PlaceResolver, text: str, codes: tuple[str, ...]) -> None:
    _assert_resolved(resolver.resolve(text), *codes)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Visby, Gotland", "0980"),  # the kommun (and county) of the place before it
        ("Visby Gotland", "0980"),
        ("Solna, Stockholm", "0184"),  # Stockholm is also the county's name: context, not a second city
        ("Knivsta, Uppsala", "0330"),
        ("Malmö, Skåne", "1280"),
        ("Lund, Skåne län", "1281"),
        ("Berga, Kalmar", "0880"),  # a shared locality narrowed by the kommun named after it
        ("Gustavsberg, Stockholm", "0120"),  # Gustavsberg is in Värmdö, Stockholms län
    ],
)
def test_later_part_is_context(resolver: PlaceResolver, text: str, code: str) -> None:
    _assert_resolved(resolver.resolve(text), code)


# --- shared names: context, then evidence ---------------------------------------------


def test_shared_locality_settled_by_context_both_ways(geo: Geography, resolver: PlaceResolver) -> None:
    hammar = {p.kommun_code for p in geo.place_names if p.name == "Hammar"}
    assert hammar == {"1290", "1882"}  # Kristianstad (Skåne) and Askersund (Örebro län)
    plain = resolver.resolve("Hammar")
    assert plain.status == "ambiguous" and set(plain.kommun_codes) == hammar and plain.primary is None
    for context in ("Skåne", "Skåne län", "skane", "Region Skåne", "Syd", "Polisregion Syd"):
        _assert_resolved(resolver.resolve("Hammar", context=context), "1290")
    for context in ("Örebro län", "Örebro läns", "Orebro", "Närke", "Bergslagen"):
        _assert_resolved(resolver.resolve("Hammar", context=context), "1882")
    _assert_resolved(resolver.resolve("Hammar, Skåne"), "1290")
    _assert_resolved(resolver.resolve("Hammar, Närke"), "1882")
    for context in ("Övriga Sverige", "Hela Sverige", "Västra Götaland", "nonsense"):
        assert resolver.resolve("Hammar", context=context).status == "ambiguous"

    jamshog = {p.kommun_code for p in geo.place_names if p.name == "Jämshög"}
    assert jamshog == {"1060", "1272"}  # Olofström (Blekinge) and Bromölla (Skåne)
    _assert_resolved(resolver.resolve("Jämshög", context="Skåne"), "1272")
    _assert_resolved(resolver.resolve("Jamshog", context="Blekinge län"), "1060")


def test_evidence_settles_only_a_clear_winner(resolver: PlaceResolver) -> None:
    bromma = resolver.resolve("Bromma")  # Stockholm 204 postcodes/lists vs Ekerö 1
    _assert_resolved(bromma, "0180")
    assert "evidence" in bromma.explanation
    berga = resolver.resolve("Berga")  # six kommuner, Högsby 5 vs 5 for the others together
    assert berga.status == "ambiguous" and len(berga.kommun_codes) == 6
    narrowed = resolver.resolve("Berga", context="Kalmar län")
    assert narrowed.status == "ambiguous" and set(narrowed.kommun_codes) == {"0821", "0880", "0882"}


@pytest.mark.parametrize(("text", "context", "code"),
                         [("Kil", "Stockholm", "1715"), ("Sandviken", "Stockholm", "2181"),
                          ("Stockholm", "Uppsala län", "0180"), ("Malmö", "Västra Götaland", "1280")])
def test_context_never_overrides_a_kommun_name(resolver: PlaceResolver, text: str, context: str,
                                               code: str) -> None:
    # Kil and Sandviken are also small places in Stockholms län; sites list ads on several region pages.
    _assert_resolved(resolver.resolve(text, context=context), code)


def test_context_settles_the_habo_collision(resolver: PlaceResolver) -> None:
    _assert_resolved(resolver.resolve("Häbo", context="Uppsala län"), "0305")
    _assert_resolved(resolver.resolve("Häbo", context="Jönköpings län"), "0643")


def test_exact_diacritics_beat_a_folded_kommun_name(resolver: PlaceResolver) -> None:
    _assert_resolved(resolver.resolve("Vårberg"), "0180")  # a district of Stockholm, not Varberg
    _assert_resolved(resolver.resolve("Varberg"), "1383")
    _assert_resolved(resolver.resolve("Mala"), "2418")  # Malå without its ring beats a village in Hässleholm


# --- abroad ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Oslo", "Norge", "Köpenhamn", "Copenhagen", "København", "Helsingfors", "Helsinki", "Åbo", "Berlin",
     "London", "Tallinn", "Riga", "Finland", "Spanien", "Thailand", "Dubai", "Oslo, Norge",
     "Köpenhamn, Danmark", "Berlinn"],
)
def test_abroad(resolver: PlaceResolver, text: str) -> None:
    result = resolver.resolve(text)
    assert result.status == "unresolved", result
    assert result.reason == "abroad"
    assert result.kommun_codes == () and result.primary is None


def test_foreign_name_wins_over_a_minor_swedish_locality(resolver: PlaceResolver) -> None:
    # "Danmark" is also a hamlet in Uppsala kommun (evidence 1): an ad naming it means the country.
    result = resolver.resolve("Danmark")
    assert result.status == "unresolved" and result.reason == "abroad"


# --- typos -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [("Götebrog", "1480"), ("Stokholm", "0180"), ("Uppsla", "0380"), ("Stockholmx", "0180"),
     ("Upplands Vasbi", "0114"), ("Göteborg centrm", "1480"), ("Stokholm C", "0180"), ("Uppsla C", "0380"),
     ("Helsingbrog", "1283"), ("Sodermalm", "0180"), ("Linköpnig", "0580")],
)
def test_typos(resolver: PlaceResolver, text: str, code: str) -> None:
    result = resolver.resolve(text)
    _assert_resolved(result, code)
    assert "typo" in result.explanation or "without diacritics" in result.explanation


@pytest.mark.parametrize("text", ["Stock", "Lunds"])
def test_typo_close_to_several_names_stays_ambiguous(resolver: PlaceResolver, text: str) -> None:
    result = resolver.resolve(text)
    assert result.status == "ambiguous", result
    assert result.primary is None
    assert len(result.kommun_codes) > 1


@pytest.mark.parametrize("text", ["Göteborgggggg", "Gbgxyz", "Malmoooo", "Lnd", "Xstockholmxx"])
def test_typo_too_far_is_not_guessed(resolver: PlaceResolver, text: str) -> None:
    result = resolver.resolve(text)
    assert result.status == "unresolved" and result.reason == "none", result


# --- user aliases ------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_user_aliases_win_over_bundled_data(geo: Geography, tmp_path: Path) -> None:
    file = _write(tmp_path / "aliases.csv", "alias,kommunkod,note\nKil,0182,Kil in Nacka\nSöder,1290,\nSthlm,0184,x\n")
    aliases = load_place_aliases(file, geo)
    assert aliases[0] == PlaceAlias("Kil", "0182", "Kil in Nacka")
    mine = PlaceResolver(geo, extra_aliases=aliases)
    _assert_resolved(mine.resolve("Kil"), "0182")
    _assert_resolved(mine.resolve("Söder"), "1290")
    _assert_resolved(mine.resolve("sthlm"), "0184")
    assert "user alias" in mine.resolve("Kil").explanation
    bundled = PlaceResolver(geo)
    _assert_resolved(bundled.resolve("Kil"), "1715")
    _assert_resolved(bundled.resolve("Sthlm"), "0180")


def test_user_alias_file_without_note_column(geo: Geography, tmp_path: Path) -> None:
    file = _write(tmp_path / "a.csv", "\ufeffalias,kommunkod\nGöttet,1480\n\nMölle,1283\n")
    assert load_place_aliases(file, geo) == (PlaceAlias("Göttet", "1480"), PlaceAlias("Mölle", "1283"))


@pytest.mark.parametrize(
    ("content", "field", "problem"),
    [
        ("alias,kommunkod\nGbg,1480\nFoo,9999\n", "line 3: kommunkod", "unknown kommun code"),
        ("alias,kommunkod\nFoo,180\n", "line 2: kommunkod", "4-digit"),
        ("alias,kommunkod\nFoo,\n", "line 2: kommunkod", "empty"),
        ("alias,kommunkod\n,0180\n", "line 2: alias", "empty"),
        ("alias,kommunkod\n123,0180\n", "line 2: alias", "no letters"),
        ("alias,kommunkod\nFoo,0180\nfoo,1480\n", "line 3: alias", "already maps"),
        ("name,code\nFoo,0180\n", "header", "missing column"),
    ],
)
def test_bad_user_alias_file(geo: Geography, tmp_path: Path, content: str, field: str, problem: str) -> None:
    file = _write(tmp_path / "bad.csv", content)
    with pytest.raises(ConfigError) as err:
        load_place_aliases(file, geo)
    assert err.value.file == str(file)
    assert err.value.field == field
    assert problem in err.value.problem
    assert str(file) in str(err.value)


def test_missing_user_alias_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_place_aliases(tmp_path / "nope.csv")
    assert "cannot read" in err.value.problem


# --- explanation and trace ------------------------------------------------------------------


def test_trace_shows_the_steps(resolver: PlaceResolver) -> None:
    result = resolver.resolve("Gbg centrum")
    assert result.trace[0] == "normalised: 'gbg centrum'"
    assert "ignored 'centrum'" in result.trace
    assert any(step.startswith("alias 'gbg' → 1480") for step in result.trace)
    assert result.trace[-1] == "result: 1480 Göteborg"
    typo = resolver.resolve("Götebrog")
    assert any("typo" in step and "Göteborg" in step for step in typo.trace)
    context = resolver.resolve("Hammar", context="Skåne")
    assert any(step.startswith("context 'skåne'") for step in context.trace)
    assert any("left by context" in step for step in context.trace)


def test_every_result_explains_itself(geo: Geography, resolver: PlaceResolver) -> None:
    texts = ["Malmö", "Visby, Gotland", "Centrum", "Oslo", "Hela Sverige", "Berga", "", "Xyzzyville", "Bromma"]
    for text in texts:
        result = resolver.resolve(text)
        assert result.explanation and result.trace, text
        assert all(code in geo.kommuner for code in result.kommun_codes)


def test_cached_results_are_identical(geo: Geography) -> None:
    resolver = PlaceResolver(geo)
    first = resolver.resolve("Sthlm Söder", context="Stockholm")
    assert resolver.resolve("Sthlm Söder", context="Stockholm") is first
    assert PlaceResolver(geo).resolve("Sthlm Söder", context="Stockholm").trace == first.trace


def test_symbols_and_long_texts(resolver: PlaceResolver) -> None:
    _assert_resolved(resolver.resolve("💋 Stockholm 💋"), "0180")
    _assert_resolved(resolver.resolve("Malmö ❤️ Lund"), "1280", "1281")
    _assert_resolved(resolver.resolve("Stockholm 11122"), "0180")
    assert resolver.resolve("Stockholm " * 3000).status == "unresolved"  # not read word by word
    assert resolver.resolve("x" * 5000).reason == "none"



def test_kommun_centre_beats_a_minor_area_of_that_name_elsewhere(resolver: PlaceResolver) -> None:
    # "Sjöbo centrum" is also a RegSO area in Borås (evidence 1): alone it means Sjöbo kommun's centre …
    for text in ("Sjöbo centrum", "sjobo centrum", "Sjöbo C", "i Sjöbo centrum"):
        _assert_resolved(resolver.resolve(text), "1265")
    # … but with Borås named in the text or the context it is the Borås area.
    _assert_resolved(resolver.resolve("Borås, Sjöbo centrum"), "1490")
    _assert_resolved(resolver.resolve("Sjöbo centrum", context="Borås"), "1490")
    # An area with no kommun of its name is untouched.
    _assert_resolved(resolver.resolve("Sjöbo norra"), "1490")
