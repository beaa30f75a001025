"""The output commands: users add/list/remove, export in every format, serve's options; and the account store."""
from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner

from analysis.audit import audit_files
from analysis.queries import load_published
from lagesbild.cli import app
from store import accounts
from web import auth

from webdata import GEO


def run(home, *args, input=None):
    return CliRunner().invoke(app, list(args), input=input,
                              env={"LAGESBILD_HOME": str(home), "LAGESBILD_DATABASE_URL": None})


def test_users_add_list_remove(tmp_path):
    result = run(tmp_path, "users", "add", "Sara", "--role", "coordinator", "--password-stdin",
                 input="ett-långt-lösenord\n")
    assert result.exit_code == 0, result.output
    assert "Added sara (coordinator)" in result.output
    listing = run(tmp_path, "users", "list")
    assert "sara" in listing.output and "coordinator" in listing.output and "lösenord" not in listing.output
    again = run(tmp_path, "users", "add", "sara", "--role", "export", "--password-stdin", input="ett-annat-lösen\n")
    assert again.exit_code == 2 and "already exists" in again.output
    short = run(tmp_path, "users", "add", "olle", "--role", "export", "--password-stdin", input="kort\n")
    assert short.exit_code == 2 and "at least" in short.output
    prompted = run(tmp_path, "users", "add", "olle", "--role", "analyst", input="hemligt-nog-1\nhemligt-nog-1\n")
    assert prompted.exit_code == 0, prompted.output
    assert run(tmp_path, "users", "remove", "sara").exit_code == 0
    missing = run(tmp_path, "users", "remove", "sara")
    assert missing.exit_code == 1 and "no user named" in missing.output
    assert "sara" not in run(tmp_path, "users", "list").output
    secrets_seen = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"ett-l\xc3\xa5ngt-l\xc3\xb6senord" not in secrets_seen and b"hemligt-nog-1" not in secrets_seen


def test_export_command_writes_every_format_with_context_and_logs_it(market, tmp_path):
    store, settings = market
    home = settings.resolved_home
    outputs = {}
    for fmt in ("csv", "xlsx", "json", "kolada", "jsonstat"):
        outputs[fmt] = tmp_path / f"kommun.{fmt}"
        result = run(home, "export", "--level", "kommun", "--period", "month", "--format", fmt,
                     "-o", str(outputs[fmt]))
        assert result.exit_code == 0, result.output
    excel = tmp_path / "kommun-excel.csv"
    assert run(home, "export", "--level", "kommun", "--excel", "-o", str(excel)).exit_code == 0
    published = load_published(store, GEO, "kommun", "month", settings=settings)
    rows = list(csv.DictReader(outputs["csv"].open(encoding="utf-8")))
    assert {r["kvalitet"] for r in rows if r["period"] == "2026-09"} == {"delvis täckning"}
    assert {r["kvalitet"] for r in rows if r["period"] == "2026-08"} == {""}
    assert all(r["tackning"].startswith(("4 insamlingar", "5 insamlingar", "8 insamlingar", "10 insamlingar"))
               for r in rows)
    for row in rows:
        measure = {"aktiva_annonser": "active_ads", "unika_profiler": "unique_profiles",
                   "unika_telefonnummer": "unique_phones"}[row["matt"]]
        code = row["kommunkod"] or "okand"
        assert row["varde"] == published.cell(row["period"], code, measure).display
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf") and b";" in excel.read_bytes().splitlines()[0]
    book = openpyxl.load_workbook(outputs["xlsx"], read_only=True)
    assert book.sheetnames == ["Data", "Om tabellen"]
    assert json.loads(outputs["kolada"].read_text(encoding="utf-8"))["values"][0]["values"][0]["gender"] == "T"
    assert json.loads(outputs["jsonstat"].read_text(encoding="utf-8"))["class"] == "dataset"
    assert not audit_files([outputs["csv"], outputs["json"]], GEO).recoverable
    events = accounts.list_audit_events(store, last=6)
    assert [e.detail for e in events][:2] == ["csv excel kommun month", "jsonstat kommun month"]
    assert {e.channel for e in events} == {"cli"} and {e.action for e in events} == {"export"}


@pytest.mark.parametrize("args, message", [
    (["--format", "xlsx", "--excel"], "--excel only applies"),
    (["--level", "polisregion", "--format", "kolada"], "no codes for police regions"),
    (["--format", "pdf"], "Invalid value"),
])
def test_export_command_refuses_bad_combinations(market, tmp_path, args, message):
    _, settings = market
    out = tmp_path / "x"
    result = run(settings.resolved_home, "export", *args, "-o", str(out))
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()


def test_serve_demo_refuses_other_hosts(tmp_path):
    result = run(tmp_path, "serve", "--demo", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "only on 127.0.0.1" in result.output


def test_accounts_store_on_every_database(store):
    user = accounts.add_user(store, "eva", "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "analyst")
    assert accounts.get_user(store, "eva") == user and [u.username for u in accounts.list_users(store)] == ["eva"]
    with pytest.raises(accounts.UserExists):
        accounts.add_user(store, "eva", "$argon2id$x", "export")
    accounts.record_login(store, "eva")
    assert accounts.get_user(store, "eva").last_login_at is not None
    first = accounts.add_audit_event(store, "eva", "analyst", "web", "download", "csv kommun month")
    second = accounts.add_audit_event(store, "eva", "analyst", "api", "download", "x" * 1000)
    events = accounts.list_audit_events(store)
    assert [e.id for e in events] == [second, first] and len(events[0].detail) == 400
    assert accounts.remove_user(store, "eva") and not accounts.remove_user(store, "eva")
    assert accounts.list_audit_events(store, last=1)[0].username == "eva"  # the log outlives the account


def test_real_hashes_verify_on_every_database(store):
    auth.add_user(store, "per", "ett-bra-lösenord", "export")
    assert auth.authenticate(store, "PER ", "ett-bra-lösenord") == auth.Principal("per", "export")
    assert auth.authenticate(store, "per", "ett-bra-lösenor") is None
