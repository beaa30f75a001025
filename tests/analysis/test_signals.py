"""Organisation signals on hand-made rows: phone clusters, person groups, templates, networks, tables."""
from __future__ import annotations

from analysis import disclosure
from analysis.signals import (
    CLUSTER_SIZE_MEASURES,
    analyse,
    cluster_size_table,
    network_clusters,
    person_groups,
    phone_clusters,
    protect_signals,
    signal_table,
    template_clusters,
)
from analysis.dedup import advert_clusters
from config.geo import load_geography
from signal_rows import row, templated, tok

GEO = load_geography()


def network(size: int, phone: str = "net", prefix: str = "m", *, site: str = "nattsida", city: str = "Gävle",
            kommun: str = "2180", at: int = 0) -> list:
    """`size` persons, one profile and one templated advert each, all under one phone."""
    names = ["Signe", "Mira", "Nova", "Tova", "Ebba", "Alva", "Vera", "Saga"]
    return [row(f"{prefix}{i}", site=site, profile=f"{prefix}p{i}", phone=phone, kommun=kommun, at=at,
                wording=templated(names[i], 20 + i, city), name=names[i], places=(city,)) for i in range(size)]


def test_profiles_sharing_a_phone_form_one_cluster():
    rows = [row("a", profile="p1", phone="t1"), row("b", profile="p2", phone="t1"), row("c", profile="p2", phone="t2"),
            row("d", profile="p3", phone="t2"), row("e", profile="p4", phone="t3"), row("f", profile="p5")]
    clusters = phone_clusters(rows)
    assert clusters[tok("p1")] == clusters[tok("p2")] == clusters[tok("p3")] != clusters[tok("p4")]
    assert tok("p5") not in clusters


def test_profiles_carrying_one_advert_are_one_person():
    rows = [row("n", site="nattsida", profile="np"), row("s", site="stjarnsida", profile="sp"),
            row("o", site="nattsida", profile="op", wording="b")]
    groups = person_groups(rows, advert_clusters(rows))
    assert groups[tok("np")] == groups[tok("sp")] != groups[tok("op")]


def test_templated_adverts_with_varying_slots_form_a_template_cluster():
    rows = network(3) + [row("x", profile="px", wording="a"), row("y", profile="py", wording="b")]
    templates = template_clusters(rows, advert_clusters(rows))
    assert {templates[tok(f"m{i}")] for i in range(3)} == {templates[tok("m0")]}
    assert tok("x") not in templates and tok("y") not in templates


def test_one_advert_alone_is_no_template_cluster():
    rows = [row("x", at=0), row("x2", at=1)]  # an advert and its repost: one advert
    assert template_clusters(rows, advert_clusters(rows)) == {}


def test_three_persons_under_one_phone_are_a_network_one_person_on_three_sites_is_not():
    crew = [row(f"c{i}", profile=f"cp{i}", phone="shared", wording=w) for i, w in enumerate("abc")]
    solo = [row("s1", site="nattsida", profile="sn", phone="own", wording="d"),
            row("s2", site="stjarnsida", profile="ss", phone="own", wording="d"),
            row("s3", site="kvallsida", profile="sk", phone="own", wording="d")]
    networks = network_clusters(crew + solo)
    assert {networks[tok(f"cp{i}")] for i in range(3)} == {networks[tok("cp0")]}
    assert not {tok("sn"), tok("ss"), tok("sk")} & set(networks)


def test_two_persons_sharing_a_phone_need_a_shared_template_to_be_a_network():
    pair = network(2)
    assert set(network_clusters(pair)) == {tok("mp0"), tok("mp1")}
    plain = [row("a", profile="pa", phone="t", wording="a"), row("b", profile="pb", phone="t", wording="b")]
    assert network_clusters(plain) == {}


def test_a_phoneless_member_joins_its_templates_network_seen_at_the_same_time_and_place():
    south = network(3, phone="south", prefix="s", city="Malmö", kommun="1280", at=0)
    north = network(3, phone="north", prefix="n", city="Umeå", kommun="2480", at=0)
    hidden = row("h", profile="hp", phone=None, kommun="1280", wording=templated("Lykke", 22, "Lund"),
                 name="Lykke", places=("Lund",))
    networks = network_clusters(south + north + [hidden])
    assert networks[tok("hp")] == networks[tok("sp0")] != networks[tok("np0")]


def test_signal_table_counts_deduplicated_adverts_and_features():
    rows = network(3, kommun="2180") + [
        row("x", site="nattsida", profile="px", kommun="0180", stated_touring=True, trust_language=True),
        row("xs", site="stjarnsida", profile="pxs", kommun="0180", stated_touring=False, trust_language=True),
        row("y", profile="py", wording="b", kommun="0180", at=0, obscured_phone=True),
        row("y", profile="py", wording="b", kommun="1480", at=1, obscured_phone=True),
    ]
    signals = analyse(rows)
    table = signal_table(signals, GEO, "polisregion", "quarter")
    value = lambda region, m: table.value("2026-Q1", region, m)  # noqa: E731
    assert value("Stockholm", "active_adverts") == 2  # x cross-posted to stjarnsida counts once
    assert value("Stockholm", "touring_adverts") == 1 and value("Stockholm", "trust_adverts") == 1
    assert value("Stockholm", "obscured_phone_adverts") == 1 and value("Väst", "obscured_phone_adverts") == 1
    assert value("Mitt", "network_adverts") == 3 and value("Mitt", "template_adverts") == 3
    assert value("Stockholm", "network_adverts") == 0
    assert value("Stockholm", "mobile_profiles") == 1 and value("Väst", "mobile_profiles") == 1  # py moved
    assert value("Mitt", "mobile_phones") == 0  # members all in one kommun


def test_cluster_sizes_count_clusters_by_profiles_seen_in_the_period():
    rows = network(3) + network(2, phone="two", prefix="t") + [row("z", profile="pz", phone="alone", wording="d")]
    table = cluster_size_table(analyse(rows), "month")
    [only] = table.rows
    assert [only.values[m] for m in CLUSTER_SIZE_MEASURES] == [1, 1, 0, 0]


def test_signals_are_published_with_the_signal_threshold():
    rows = network(3) + [row(f"x{i}", profile=f"px{i}", kommun="0180", wording=w) for i, w in enumerate("abcd")]
    family = protect_signals(analyse(rows), GEO, "quarter")
    riket = family[("riket", "quarter")]
    cell = riket.cell("2026-Q1", "SE", "network_adverts")
    assert cell.suppressed and cell.display == ".."  # 3 network adverts: below the signal threshold of 10
    assert riket.cell("2026-Q1", "SE", "active_adverts").value == 7  # 7 ≥ 5: a plain count
    assert "signalmått 1–9" in riket.rule
    assert {"network_adverts", "mobile_profiles", "flows"} <= disclosure.SIGNAL_MEASURES
    assert "active_adverts" not in disclosure.SIGNAL_MEASURES
