"""Deduplication of sightings into adverts: reposts, cross-posts and moves, and the raw vs deduplicated counts."""
from __future__ import annotations

import pytest

from analysis.dedup import (
    CROSS_POST_MIN_SIMILARITY,
    advert_clusters,
    advert_count_table,
    similar_pairs,
)
from config.geo import load_geography
from parsers.sketches import keyed_sketch
from signal_rows import KEY, WORDINGS, row, tok

GEO = load_geography()


def same_advert(clusters, *ads: str) -> bool:
    return len({clusters.advert_of[tok(a)] for a in ads}) == 1


def test_reposts_of_one_profile_one_after_the_other_are_one_advert():
    rows = [row("x1", at=0), row("x1", at=1), row("x2", at=2), row("x3", at=4)]  # x3 after a missed week
    clusters = advert_clusters(rows)
    assert same_advert(clusters, "x1", "x2", "x3") and clusters.adverts == 1


def test_two_live_adverts_of_one_profile_stay_two():
    rows = [row("x1", at=0), row("y1", at=0, wording="b"), row("x2", at=1), row("y2", at=1, wording="b")]
    clusters = advert_clusters(rows)
    assert clusters.adverts == 2 and same_advert(clusters, "x1", "x2") and same_advert(clusters, "y1", "y2")


def test_a_repost_chain_follows_drifting_wording_but_not_another_advert():
    title, text = WORDINGS["a"]
    drifted = (title, text.replace("Varmt välkommen!", "Turnerar: Umeå 12–14 jan."))
    rows = [row("x1", at=0), row("x2", at=1, wording=drifted), row("y1", at=1, wording="b")]
    clusters = advert_clusters(rows)
    assert same_advert(clusters, "x1", "x2") and not same_advert(clusters, "x1", "y1")


def test_a_repost_needs_the_same_profile():
    clusters = advert_clusters([row("x1", at=0, profile="p1"), row("x2", at=1, profile="p2")])
    assert clusters.adverts == 2


def test_cross_posts_on_other_sites_at_the_same_time_are_one_advert():
    rows = [row("n1", site="nattsida", profile="np", phone="t1"), row("s1", site="stjarnsida", profile="sp"),
            row("k1", site="kvallsida", profile="kp", phone="t1")]
    clusters = advert_clusters(rows)
    assert clusters.adverts == 1 and clusters.cross_post_links >= 2


@pytest.mark.parametrize("other", [
    {"phone": "t2"},  # both phones known, none in common
    {"at": 4},  # four weeks later
    {"wording": ("Hej", "Hej hej.")},  # too short to tell adverts apart
])
def test_cross_posts_need_agreeing_phones_close_times_and_enough_wording(other):
    base = {"wording": other.pop("wording")} if "wording" in other else {}
    rows = [row("n1", site="nattsida", profile="np", phone="t1", **base),
            row("s1", site="stjarnsida", profile="sp", **{"phone": None, **base, **other})]
    assert advert_clusters(rows).adverts == 2


def test_of_several_alike_candidates_only_the_most_alike_is_the_cross_post():
    # Two network adverts differing in one name: each links to its identical copy on the other site only.
    title, text = WORDINGS["c"]
    twin = (title, text.replace("Nora", "Vera"))
    rows = [row("n1", site="nattsida", profile="np1", phone="t", wording="c"),
            row("s1", site="stjarnsida", profile="sp1", phone="t", wording="c"),
            row("n2", site="nattsida", profile="np2", phone="t", wording=twin),
            row("s2", site="stjarnsida", profile="sp2", phone="t", wording=twin)]
    clusters = advert_clusters(rows)
    assert same_advert(clusters, "n1", "s1") and same_advert(clusters, "n2", "s2")
    assert not same_advert(clusters, "n1", "n2")


def test_an_advert_moving_to_another_site_keeps_its_identity():
    title, text = WORDINGS["d"]
    moved = (title, text.replace("Kram!", "Turnerar: Luleå 3–5 feb."))
    rows = [row("s1", site="stjarnsida", profile="sp", phone="t", at=0, wording="d"),
            row("s2", site="stjarnsida", profile="sp", phone="t", at=1, wording="d"),
            row("k1", site="kvallsida", profile="kp", phone="t", at=2, wording=moved)]
    assert advert_clusters(rows).adverts == 1
    # Under a phone two profiles of one site use at once (a shared phone), a move is not assumed.
    shared = rows + [row("s9", site="stjarnsida", profile="sp9", phone="t", at=1, wording="b")]
    assert not same_advert(advert_clusters(shared), "s2", "k1")


def test_ads_without_wording_stay_their_own_advert():
    rows = [row("x1", at=0, wording=None), row("x2", at=1, wording=None)]
    assert advert_clusters(rows).adverts == 2


def test_similar_pairs_keeps_pairs_at_the_threshold_and_drops_the_rest():
    words = [f"w{i}" for i in range(60)]
    base = {" ".join(words[i:i + 3]) for i in range(58)}
    near = set(sorted(base)[:56]) | {"x y z"}  # Jaccard 56/59
    far = set(sorted(base)[:20]) | {f"f{i} g h" for i in range(38)}  # Jaccard 20/96
    sketches = [keyed_sketch(KEY, s) for s in (base, near, far)]
    assert similar_pairs(sketches, 0.8) == [(0, 1)]
    assert (0, 2) not in similar_pairs(sketches, 0.5) and similar_pairs(sketches, 0.1)
    assert similar_pairs(sketches + ["garbage"], CROSS_POST_MIN_SIMILARITY) == similar_pairs(sketches, 0.9)


def test_count_table_reports_listings_and_adverts():
    rows = [row("n1", site="nattsida", profile="np", kommun="0180"), row("s1", site="stjarnsida", profile="sp",
            kommun="0180"), row("m1", profile="pm", wording="b", kommun="1280"),
            row("m2", profile="pm", wording="b", kommun="1280", at=1), row("u1", profile="pu", wording="c", kommun=None)]
    clusters = advert_clusters(rows)
    table = advert_count_table(rows, clusters, GEO, "polisregion", "quarter")
    assert table.measures == ("active_ads", "active_adverts")
    for region in ("Stockholm", "Syd"):
        assert [table.value("2026-Q1", region, m) for m in table.measures] == [2, 1]
    assert table.value("2026-Q1", "okand", "active_adverts") == 1 and table.value("2026-Q1", "Nord", "active_ads") == 0
    riket = advert_count_table(rows, clusters, GEO, "riket", "week")
    assert [r.values["active_adverts"] for r in riket.rows] == [3, 1]
    with pytest.raises(ValueError):
        advert_count_table(rows, clusters, GEO, "socken", "week")
