"""Study periods end to end: after `keys destroy`, re-crawled ads share no token with the old period."""
from __future__ import annotations

from datetime import timedelta

from config import clock
from store import open_store
from store.observations import iter_observation_rows
from store.runs import list_runs
from support import init_keys, run_cli


def tokens_by_period(home) -> dict[str, dict[str, set[str]]]:
    store = open_store(f"sqlite:///{home / 'lagesbild.db'}")
    period_of_run_start = {run.observed_at: run.key_period for run in list_runs(store, last=None)}
    found: dict[str, dict[str, set[str]]] = {}
    for row in iter_observation_rows(store):
        kinds = found.setdefault(period_of_run_start[row.observed_at], {"ad": set(), "profile": set(), "phone": set()})
        kinds["ad"].add(row.ad_token)
        kinds["profile"].add(row.profile_token)
        kinds["phone"].add(row.phone_token)
    return found


def test_destroyed_period_tokens_do_not_link_to_new_ones(sandbox, tmp_path):
    init_keys(tmp_path)
    assert run_cli("crawl", "--site", "nattsida", home=tmp_path, sandbox_url=sandbox.url).returncode == 0
    [first] = tokens_by_period(tmp_path)
    rotated = run_cli("keys", "rotate", home=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    destroyed = run_cli("keys", "destroy", first, "--yes", home=tmp_path)
    assert destroyed.returncode == 0, destroyed.stderr
    assert not (tmp_path / "keys" / f"period-{first}.key").exists()
    later = (clock.now() + timedelta(hours=1)).isoformat()  # the frozen clock: a crawl an hour later
    assert run_cli("crawl", "--site", "nattsida", home=tmp_path, sandbox_url=sandbox.url, now=later).returncode == 0

    periods = tokens_by_period(tmp_path)
    [second] = set(periods) - {first}
    for kind in ("ad", "profile", "phone"):
        old, new = periods[first][kind] - {None}, periods[second][kind] - {None}
        assert old and new and len(old) == len(new)  # the same ads, seen again ...
        assert old.isdisjoint(new)  # ... but nothing links them
    status = run_cli("keys", "status", home=tmp_path).stdout
    assert "destroyed" in status and second in status


def test_crawling_without_a_key_is_a_clear_error(sandbox, tmp_path):
    result = run_cli("crawl", "--site", "nattsida", home=tmp_path, sandbox_url=sandbox.url)
    assert result.returncode == 1 and "keys init" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "keys").exists()


def test_a_failing_crawl_never_shows_key_material(tmp_path):
    init_keys(tmp_path)
    result = run_cli("crawl", "--site", "nattsida", home=tmp_path, sandbox_url="http://127.0.0.1:9")  # nothing listens
    assert result.returncode == 1
    [key_file] = (tmp_path / "keys").glob("period-*.key")
    key_hex = key_file.read_text().strip()
    texts = [result.stdout, result.stderr] + [p.read_text(errors="ignore") for p in (tmp_path / "logs").glob("*.log")]
    assert not any(key_hex[:16] in text for text in texts)
    raw = bytes.fromhex(key_hex)
    assert not any(raw in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != key_file)
