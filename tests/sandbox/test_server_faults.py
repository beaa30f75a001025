"""The sandbox server's fault injection: each fault does what it says on the wire, deterministically,
without blocking other requests; and the server can swap its market and fault plan while running."""
from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import tracemalloc

import pytest

from config.errors import ConfigError
from sandbox.faults import (
    CRASH_SCRIPT,
    LOOP_MARKER,
    CrashTabFault,
    EndlessPaginationFault,
    FaultPlan,
    HttpErrorFault,
    HugePageFault,
    RedirectLoopFault,
    SlowFault,
    TimeoutFault,
    TruncateFault,
    classify,
)
from sandbox.simulation import build_market
from sandbox.server import SandboxServer
from support import run_cli

AS_OF = "2026-03-04T03:00:00+01:00"


@pytest.fixture(scope="module")
def market():
    return build_market(1, AS_OF, scale=0.5)


@pytest.fixture
def serve(market):
    """serve(plan) -> a running SandboxServer on a free port with that fault plan; stopped afterwards."""
    servers = []

    def start(plan: FaultPlan | None) -> SandboxServer:
        server = SandboxServer(port=0, market=market, faults=plan).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def get(server: SandboxServer, path: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def detail_paths(market, site: str = "nattsida") -> list[str]:
    return [f"/{site}/annons/{listing.site_ad_id}" for listing in market.listings_on(site)]


def region_paths(market) -> list[str]:
    slugs = sorted({slug for listing in market.listings_on("nattsida") for slug in listing.region_pages})
    return [f"/nattsida/region/{slug}" for slug in slugs]


def faulted(plan: FaultPlan, paths: list[str]) -> set[str]:
    return {path for path in paths if plan.fault_for(classify(path)) is not None}


# --- the plan ------------------------------------------------------------------------------------


def test_pages_are_classified_by_site_kind_and_number():
    assert classify("/nattsida/annons/N1").kind == "detail"
    assert classify("/nattsida/profil/np1").kind == "profile"
    region = classify("/nattsida/region/stockholm?sida=3")
    assert (region.site, region.kind, region.number) == ("nattsida", "listing", 3)
    assert classify("/nattsida/region/stockholm").number == 1
    assert classify("/stjarnsida/").kind == "home"
    assert (classify("/stjarnsida/?sida=2").kind, classify("/stjarnsida/?sida=2").number) == ("listing", 2)
    assert classify("/stjarnsida/api/annonser?sida=4").kind == "api"
    assert classify("/nattsida/annonsera").kind == "other"
    looped = classify(f"/nattsida/annons/N1?{LOOP_MARKER}=1")
    assert looped.looped and looped.path == "/nattsida/annons/N1"
    for outside in ("/", "/robots.txt", "/_truth.json", "/favicon.ico"):
        assert classify(outside) is None


def test_shares_are_deterministic_and_follow_the_seed(market):
    paths = detail_paths(market)
    plan = FaultPlan(seed=3, sites={"nattsida": [HttpErrorFault(pages="detail", share=0.3)]})
    chosen = faulted(plan, paths)
    assert chosen == faulted(FaultPlan(seed=3, sites={"nattsida": [HttpErrorFault(pages="detail", share=0.3)]}), paths)
    assert 0 < len(chosen) < len(paths)
    assert chosen != faulted(FaultPlan(seed=4, sites={"nattsida": [HttpErrorFault(pages="detail", share=0.3)]}), paths)
    everything = FaultPlan(sites={"nattsida": [HttpErrorFault(pages="detail")]})
    assert faulted(everything, paths) == set(paths)
    assert not faulted(everything, region_paths(market))  # only the kinds asked for


def test_page_number_and_path_narrow_a_rule(market):
    plan = FaultPlan(sites={"nattsida": [HttpErrorFault(pages="listing", page_number=2)]})
    assert plan.fault_for(classify("/nattsida/region/skane?sida=2")) is not None
    assert plan.fault_for(classify("/nattsida/region/skane")) is None
    by_path = FaultPlan(sites={"*": [TimeoutFault(path=r"/region/skane\b")]})
    assert by_path.fault_for(classify("/nattsida/region/skane?sida=5")) is not None
    assert by_path.fault_for(classify("/nattsida/region/stockholm")) is None


def test_yaml_and_python_plans_are_the_same(tmp_path):
    path = tmp_path / "faults.yaml"
    path.write_text(
        "seed: 5\nsites:\n  nattsida:\n"
        "    - {fault: http_error, status: 503, pages: detail, share: 0.25, retry_after_s: 2}\n"
        "    - {fault: endless_pagination, path: stockholm}\n"
        "  '*':\n    - {fault: crash_tab, pages: [detail, profile]}\n",
        encoding="utf-8",
    )
    expected = FaultPlan(seed=5, sites={
        "nattsida": [HttpErrorFault(status=503, pages="detail", share=0.25, retry_after_s=2),
                     EndlessPaginationFault(path="stockholm")],
        "*": [CrashTabFault(pages=("detail", "profile"))],
    })
    assert FaultPlan.from_yaml(path) == expected


@pytest.mark.parametrize("text, field", [
    ("sites: {nattsida: [{fault: explode}]}", "sites.nattsida.0"),
    ("sites: {nattsida: [{fault: http_error, status: 200}]}", "sites.nattsida.0.status"),
    ("sites: {nattsida: [{fault: timeout, hold: 3}]}", "sites.nattsida.0.hold"),
    ("sites: {nattsida: [{fault: slow, share: 1.5}]}", "sites.nattsida.0.share"),
    ("sites: {nattsida: [{fault: slow, path: '(('}]}", "sites.nattsida.0.path"),
    ("sites: {ingen_sida: []}", "(top level)"),
    ("seed: [1", "line 1"),
    ("- 1\n- 2\n", "(top level)"),
])
def test_a_bad_fault_file_is_one_clear_config_error(tmp_path, text, field):
    path = tmp_path / "faults.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        FaultPlan.from_yaml(path)
    assert caught.value.file == str(path) and caught.value.field == field
    assert "\n" not in str(caught.value)


def test_sandbox_serve_rejects_a_bad_fault_file_in_one_line(tmp_path):
    path = tmp_path / "faults.yaml"
    path.write_text("sites: {nattsida: [{fault: http_error, status: 99}]}\n", encoding="utf-8")
    result = run_cli("sandbox", "serve", "--port", "0", "--faults", str(path), home=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sites.nattsida.0.status" in lines[0] and "Traceback" not in result.stderr


def test_bundled_example_fault_file_is_valid():
    from config.settings import PACKAGE_DIR

    plan = FaultPlan.from_yaml(PACKAGE_DIR / "sandbox" / "faults-example.yaml")
    assert plan.sites and all(plan.sites.values())


# --- on the wire ---------------------------------------------------------------------------------


def test_http_errors_on_chosen_pages_only(serve, market):
    server = serve(FaultPlan(sites={"nattsida": [HttpErrorFault(status=503, pages="detail", retry_after_s=7)]}))
    status, headers, _ = get(server, detail_paths(market)[0])
    assert status == 503 and headers["retry-after"] == "7"
    assert get(server, region_paths(market)[0])[0] == 200
    assert get(server, detail_paths(market, "stjarnsida")[0])[0] == 200  # another site is untouched
    assert get(server, "/robots.txt")[0] == 200 and get(server, "/_truth.json")[0] == 200


def test_timeout_holds_one_connection_without_blocking_others_or_stop(serve, market):
    server = serve(FaultPlan(sites={"nattsida": [TimeoutFault(pages="detail", hold_s=60)]}))
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        get(server, detail_paths(market)[0], timeout=1.0)
    assert time.monotonic() - started >= 1.0
    outcome: list[object] = []

    def wait_for_held_page() -> None:
        try:
            outcome.append(get(server, detail_paths(market)[1], timeout=30))
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    held = threading.Thread(target=wait_for_held_page)
    held.start()
    time.sleep(0.2)
    quick = time.monotonic()
    assert get(server, region_paths(market)[0])[0] == 200  # answered while another request is held
    assert time.monotonic() - quick < 2.0
    stopping = time.monotonic()
    server.stop()
    held.join(timeout=5)
    assert not held.is_alive() and time.monotonic() - stopping < 5.0
    assert len(outcome) == 1 and isinstance(outcome[0], (OSError, http.client.HTTPException))  # never a page


def test_slow_response_trickles_the_whole_page(serve, market):
    path = detail_paths(market)[0]
    normal = get(serve(None), path)[2]
    server = serve(FaultPlan(sites={"nattsida": [SlowFault(pages="detail", delay_s=0.3, duration_s=1.0)]}))
    started = time.monotonic()
    status, _, body = get(server, path)
    assert status == 200 and body == normal
    assert time.monotonic() - started >= 1.1


def test_truncation_drops_the_connection_or_cuts_the_document(serve, market):
    path = detail_paths(market)[0]
    normal = get(serve(None), path)[2]
    dropped = serve(FaultPlan(sites={"nattsida": [TruncateFault(pages="detail", keep=0.4)]}))
    connection = http.client.HTTPConnection("127.0.0.1", dropped.port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    assert int(response.getheader("Content-Length")) == len(normal)
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == normal[: int(len(normal) * 0.4)]
    connection.close()

    cut = serve(FaultPlan(sites={"nattsida": [TruncateFault(pages="detail", keep=0.6, declared="cut")]}))
    status, headers, body = get(cut, path)
    assert status == 200 and int(headers["content-length"]) == len(body)
    assert normal.startswith(body) and len(body) == int(len(normal) * 0.6) and b"</html>" not in body


def test_redirect_loop_goes_round_for_ever(serve, market):
    path = detail_paths(market)[0]
    server = serve(FaultPlan(sites={"nattsida": [RedirectLoopFault(pages="detail", status=301)]}))
    status, headers, _ = get(server, path)
    assert status == 301 and headers["location"] == f"{path}?{LOOP_MARKER}=1"
    status, headers, _ = get(server, headers["location"])
    assert status == 301 and headers["location"] == path


def test_endless_pagination_always_has_a_next_page(serve, market):
    region = region_paths(market)[0]
    server = serve(FaultPlan(sites={"*": [EndlessPaginationFault()]}))
    assert get(serve(None), f"{region}?sida=500")[0] == 404  # past the real end
    for number in (1, 500):
        status, _, body = get(server, f"{region}?sida={number}")
        links = re.findall(rb'<a [^>]*rel="next"[^>]*href="([^"]+)"', body)
        assert status == 200 and links == [f"{region}?sida={number + 1}".encode()]
    status, _, body = get(server, "/stjarnsida/api/annonser?sida=300")
    assert status == 200 and json.loads(body)["next"] == 301


def test_huge_page_is_streamed_to_its_full_size(serve, market):
    path = detail_paths(market)[0]
    server = serve(FaultPlan(sites={"nattsida": [HugePageFault(pages="detail", size_mb=50)]}))
    tracemalloc.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", path)
        response = connection.getresponse()
        assert int(response.getheader("Content-Length")) == 50 * 1024 * 1024
        total, first, last = 0, b"", b""
        while chunk := response.read(1 << 20):
            first = first or chunk
            last = (last + chunk)[-64:]
            total += len(chunk)
        connection.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 50 * 1024 * 1024
    assert first.startswith(b"<!DOCTYPE html>") and last.rstrip().endswith(b"</html>")
    assert peak < 10 * 1024 * 1024  # the server never held the page in memory (nor did this test)


def test_huge_page_without_length_ends_with_the_connection(serve, market):
    server = serve(FaultPlan(sites={"nattsida": [HugePageFault(pages="detail", size_mb=2, declare_length=False)]}))
    status, headers, body = get(server, detail_paths(market)[0])
    assert status == 200 and "content-length" not in headers and len(body) == 2 * 1024 * 1024


def test_crash_page_is_the_normal_page_plus_the_crashing_script(serve, market):
    path = detail_paths(market)[0]
    normal = get(serve(None), path)[2]
    body = get(serve(FaultPlan(sites={"nattsida": [CrashTabFault(pages="detail")]})), path)[2]
    assert CRASH_SCRIPT.encode() in body and body.replace(CRASH_SCRIPT.encode(), b"") == normal
    assert body.index(CRASH_SCRIPT.encode()) < body.index(b"<body>")  # runs before the page is shown


# --- swapping what is served ---------------------------------------------------------------------


def test_set_market_and_set_faults_swap_what_is_served(serve, market):
    server = serve(None)
    later = build_market(1, "2026-06-03T03:00:00+02:00", scale=0.5)
    before = json.loads(get(server, "/_truth.json")[2])
    assert before == json.loads(json.dumps(market.truth_dict()))
    server.set_market(later)
    assert server.market is later and server.truth() == later.truth_dict()
    assert json.loads(get(server, "/_truth.json")[2]) == json.loads(json.dumps(later.truth_dict()))
    path = detail_paths(later)[0]
    assert get(server, path)[0] == 200
    server.set_faults(FaultPlan(sites={"nattsida": [HttpErrorFault(pages="detail")]}))
    assert get(server, path)[0] == 500
    server.set_faults(None)
    assert get(server, path)[0] == 200


def test_set_market_is_safe_under_concurrent_requests(serve, market):
    server = serve(None)
    other = build_market(2, AS_OF, scale=0.5)
    truths = {json.dumps(m.truth_dict(), sort_keys=True) for m in (market, other)}
    seen: list[str] = []
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(15):
                seen.append(json.dumps(json.loads(get(server, "/_truth.json")[2]), sort_keys=True))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for index in range(20):
        server.set_market(other if index % 2 == 0 else market)
        time.sleep(0.005)
    for thread in threads:
        thread.join()
    assert not failures and seen and set(seen) <= truths  # every answer is one whole market
