"""The disclosure audit: recovers cells from under-suppressed tables and files, and none from protected ones."""
from __future__ import annotations

import json
import random
from datetime import datetime

import pytest

from analysis import disclosure
from analysis.audit import AuditInputError, audit_files, audit_tables, audit_values
from analysis.counts import LEVELS, count_observations
from analysis.relations import CellRef
from config.geo import load_geography
from lagesbild.cli import main
from web.exports import write_export

from support import Obs

GEO = load_geography()


def market(seed: int = 5, n: int = 250, months=(10, 11, 12)) -> list[Obs]:
    """A small market over a few dozen kommuner: many cells from 1 to 4."""
    rng = random.Random(seed)
    codes = sorted(GEO.kommuner)[::5]
    return [Obs(f"a{i}", f"p{i}", f"t{i}", rng.choice(codes) if rng.random() > 0.04 else None,
                datetime(2026, rng.choice(months), 12)) for i in range(n)]


def tables(rows, periods=("month", "quarter", "year")):
    return [count_observations(rows, GEO, level, period) for period in periods for level in LEVELS]


def primary_only(rows, periods=("month", "quarter", "year")):
    """Each table protected on its own: primary suppression only, as lagesbild v1 did."""
    return [disclosure.protect(table) for table in tables(rows, periods)]


def write_all(published, folder, fmt="csv"):
    paths = []
    for table in published:
        path = folder / f"{table.level}-{table.period}.{fmt}"
        write_export(table, GEO, path, fmt)
        paths.append(path)
    return paths


# --- what the attacker takes from published numbers -------------------------------------------


def test_relations_that_the_published_numbers_show_not_to_add_up_are_not_trusted():
    # Distinct profiles: in Blekinge 6 + 7 profiles but a län total of 10 (three were active in both).
    # That refutes "län = Σ kommuner", so Kronoberg's lone suppressed kommun is not pinned by its total.
    values = {("p", CellRef("kommun", code, "2026-11")): 0 for code in GEO.kommuner}
    values.update({("p", CellRef("lan", code, "2026-11")): 0 for code in GEO.lan})
    values[("p", CellRef("kommun", "1080", "2026-11"))] = 6
    values[("p", CellRef("kommun", "1081", "2026-11"))] = 7
    values[("p", CellRef("lan", "10", "2026-11"))] = 10
    values[("p", CellRef("kommun", "0780", "2026-11"))] = None
    values[("p", CellRef("kommun", "0764", "2026-11"))] = 8
    values[("p", CellRef("lan", "07", "2026-11"))] = 11
    assert not audit_values(values, GEO)
    values[("p", CellRef("lan", "10", "2026-11"))] = 13  # additive after all: 11 − 8 pins Växjö to 3
    found = audit_values(values, GEO)
    assert [(cell.region, i.low, i.high) for (_, cell), i in found.items()] == [("0780", 3, 3)]


# --- under-suppressed versus protected tables ----------------------------------------------------


def test_the_audit_recovers_cells_from_primary_suppression_only():
    found = audit_tables(primary_only(market()), GEO)
    assert found
    truth = {(m, CellRef(t.level, r.region_code, r.period)): r.values[m] for t in tables(market()) for r in t.rows
             for m in t.measures}
    for key, interval in found.items():
        assert interval.low <= truth[key] <= interval.high  # the attacker is right, not lucky


def test_the_audit_recovers_nothing_after_protection():
    assert not audit_tables(disclosure.protect_family(tables(market()), GEO), GEO)


def test_week_tables_are_protected_within_their_hierarchy():
    published = disclosure.protect_family(tables(market(months=(11,)), ("week",)), GEO)
    assert any(c.suppressed for t in published for r in t.rows for c in r.cells.values())
    assert not audit_tables(published, GEO)


# --- files ------------------------------------------------------------------------------------------


def test_audit_files_reads_csv_and_json_exports(tmp_path):
    under = write_all(primary_only(market(), ("month",)), tmp_path / "under")
    report = audit_files(under, GEO)
    assert report.recoverable and report.suppressed > 0
    finding = report.findings[0]
    assert finding.file in under and finding.line >= 2 and finding.low <= finding.high <= finding.low + 4
    protected = disclosure.protect_family(tables(market(), ("month",)), GEO)
    assert not audit_files(write_all(protected, tmp_path / "csv"), GEO).recoverable
    assert not audit_files(write_all(protected, tmp_path / "json", "json"), GEO).recoverable
    json_under = write_all(primary_only(market(), ("month",)), tmp_path / "json-under", "json")
    assert audit_files(json_under, GEO).recoverable


def test_a_cell_published_in_any_file_is_known(tmp_path):
    # A kommun table and a län table protected separately: each alone looks fine, together they leak.
    rows = [Obs(f"a{code}{i}", None, None, code, datetime(2026, 11, 3)) for code, n in (("1080", 20), ("1082", 3))
            for i in range(n)]
    published = [disclosure.protect(count_observations(rows, GEO, level, "month")) for level in ("kommun", "lan")]
    paths = write_all(published, tmp_path)
    assert not audit_files(paths[:1], GEO).recoverable
    report = audit_files(paths, GEO)
    assert [(f.region, f.low, f.high) for f in report.findings if f.measure == "aktiva_annonser"] == [("1082", 3, 3)]


def test_files_that_disagree_or_are_not_exports_are_refused(tmp_path):
    rows = [Obs(f"a{i}", None, None, "0180", datetime(2026, 11, 3)) for i in range(9)]
    first = write_all([disclosure.protect(count_observations(rows, GEO, "riket", "month"))], tmp_path / "a")
    second = write_all([disclosure.protect(count_observations(rows[:7], GEO, "riket", "month"))], tmp_path / "b")
    with pytest.raises(AuditInputError, match="different windows"):
        audit_files(first + second, GEO)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match="missing columns"):
        audit_files([bad], GEO)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(AuditInputError, match="not JSON"):
        audit_files([broken], GEO)
    weird = tmp_path / "weird.json"
    weird.write_text(json.dumps({"varden": [{"kommunkod": "0180", "period": "2026-11", "matt": "x", "varde": "x"}]}))
    with pytest.raises(AuditInputError, match="neither a count"):
        audit_files([weird], GEO)


# --- the command -------------------------------------------------------------------------------------


def run_main(args, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LAGESBILD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code, capsys.readouterr()


def test_audit_disclosure_command(tmp_path, monkeypatch, capsys):
    under = write_all(primary_only(market(), ("month",)), tmp_path / "under")
    code, out = run_main(["audit-disclosure", *map(str, under)], monkeypatch, tmp_path, capsys)
    assert code == 1 and "Celler som kan räknas fram" in out.out and "aktiva_annonser" in out.out
    protected = write_all(disclosure.protect_family(tables(market(), ("month",)), GEO), tmp_path / "ok")
    code, out = run_main(["audit-disclosure", *map(str, protected)], monkeypatch, tmp_path, capsys)
    assert code == 0 and "Ingen undertryckt cell" in out.out
    bad = tmp_path / "bad.csv"
    bad.write_text("nonsense\n", encoding="utf-8")
    code, out = run_main(["audit-disclosure", str(bad)], monkeypatch, tmp_path, capsys)
    assert code == 2 and out.err.strip().count("\n") == 0 and "missing columns" in out.err
    code, out = run_main(["audit-disclosure", str(tmp_path / "absent.csv")], monkeypatch, tmp_path, capsys)
    assert code == 2


def test_plain_linprog_gives_the_same_answers(monkeypatch):
    from analysis import attack

    published = primary_only(market(n=150), ("month",))
    fast = audit_tables(published, GEO)

    def unavailable(self):
        raise ImportError("no HiGHS model in this scipy")

    monkeypatch.setattr(attack._Solver, "_build_highs", unavailable)
    assert audit_tables(published, GEO) == fast and fast
