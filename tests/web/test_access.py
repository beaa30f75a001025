"""Who may open what: login, the three roles, demo mode, HTTP Basic for scripts, and the audit log."""
from __future__ import annotations

import base64
import re
import os
import stat

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from store import accounts
from web import auth

from webdata import PASSWORDS, ROLES, login

# One working URL per GET route; a new route must be added here, so it cannot escape the checks below.
SAMPLES = {
    "/": "/",
    "/polisregion/{code}": "/polisregion/V%C3%A4st",
    "/lan/{code}": "/lan/14",
    "/kommun/{code}": "/kommun/1480",
    "/regioner": "/regioner",
    "/metod": "/metod",
    "/api-dokumentation": "/api-dokumentation",
    "/korningar": "/korningar",
    "/logg": "/logg",
    "/openapi.json": "/openapi.json",
    "/api/v1/regioner": "/api/v1/regioner",
    "/api/v1/counts/{level}/{period}": "/api/v1/counts/kommun/month",
    "/api/v1/series/{level}/{code}/{period}": "/api/v1/series/polisregion/V%C3%A4st/month",
    "/api/v1/quality/{period}": "/api/v1/quality/month",
    "/api/v1/export/{level}/{filename}": "/api/v1/export/kommun/month.csv",
    "/api/v1/runs": "/api/v1/runs",
    "/signaler": "/signaler",
    "/floden": "/floden",
    "/api/v1/signals/{level}/{filename}": "/api/v1/signals/polisregion/quarter.csv",
    "/api/v1/flows/{level}/{filename}": "/api/v1/flows/polisregion/quarter.csv",
    "/api/v1/demand/{level}/{filename}": "/api/v1/demand/kommun/month.csv",
}
PUBLIC = {"/logga-in"}
ANALYST_ONLY = {"/korningar", "/logg", "/api/v1/runs"}
EXPORT_ROLE = {"/api-dokumentation", "/openapi.json"} | {path for path in SAMPLES if path.startswith("/api/")}


def get_routes(app) -> set[str]:
    paths = set()
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        if isinstance(route, (APIRoute, Route)) and "GET" in (route.methods or set()):
            paths.add(route.path)
    return paths


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_every_get_route_has_a_sample(web_app):
    assert get_routes(web_app) - PUBLIC == set(SAMPLES)


@pytest.mark.parametrize("route", sorted(SAMPLES))
def test_without_login_every_page_redirects_and_every_api_answers_401(client, route):
    response = client.get(SAMPLES[route])
    if route.startswith("/api/") or route == "/openapi.json":
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic")
        assert response.json() == {"detail": "Inloggning krävs."}
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/logga-in?next=")
    assert ".." not in response.text and "aktiva_annonser" not in response.text


def test_the_login_page_and_static_files_are_open(client):
    page = client.get("/logga-in")
    assert page.status_code == 200 and '<label for="username">' in page.text and '<label for="password">' in page.text
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize("name", ["anna", "kim", "kommun"])
def test_each_role_opens_exactly_its_routes(client, name):
    login(client, name)
    role = ROLES[name]
    for route, url in SAMPLES.items():
        response = client.get(url)
        if role == "analyst":
            allowed = True
        elif role == "coordinator":
            allowed = route not in ANALYST_ONLY
        else:
            allowed = route in EXPORT_ROLE and route not in ANALYST_ONLY
        assert response.status_code == (200 if allowed else 403), (name, route, response.status_code)


def test_a_coordinator_sees_no_per_site_run_details(client):
    login(client, "kim")
    for url in ("/", "/polisregion/V%C3%A4st", "/kommun/1480", "/metod", "/api/v1/quality/month",
                "/api/v1/counts/riket/month"):
        text = client.get(url).text
        # site names appear only with run details (as words: the methods text says "betalar bra")
        assert not re.search(r"\b(alpha|beta)\b", text, re.IGNORECASE), url
    assert "Insamlingar</a>" not in client.get("/").text  # no link to the analysts' run page
    assert client.get("/korningar").status_code == 403
    assert client.get("/api/v1/runs").status_code == 403
    assert "Täckning per sajt" not in client.get("/kommun/0180").text
    login(client, "anna")
    runs = client.get("/korningar").text
    assert "alpha" in runs and "beta" in runs and "failed" in runs
    completeness = client.get("/kommun/0180").text
    assert "Täckning per sajt" in completeness and "alpha" in completeness  # analysts see it per site


def test_wrong_password_is_refused_and_logout_ends_the_session(client):
    response = client.post("/logga-in", data={"username": "kim", "password": "fel-lösenord", "next": "/"})
    assert response.status_code == 401 and "Fel användarnamn eller lösenord" in response.text
    assert client.get("/").status_code == 303
    login(client, "kim")
    assert client.get("/").status_code == 200
    assert client.post("/logga-ut").status_code == 303
    assert client.get("/").status_code == 303


def test_login_redirects_only_within_the_site(client):
    response = client.post("/logga-in", data={"username": "kim", "password": PASSWORDS["kim"],
                                              "next": "//evil.example/"})
    assert response.headers["location"] == "/"
    response = client.post("/logga-in", data={"username": "kim", "password": PASSWORDS["kim"],
                                              "next": "/\\evil.example/"})
    assert response.headers["location"] == "/"
    response = client.post("/logga-in", data={"username": "kim", "password": PASSWORDS["kim"],
                                              "next": "/kommun/1480"})
    assert response.headers["location"] == "/kommun/1480"


def test_export_role_lands_on_the_api_page(client):
    response = client.post("/logga-in", data={"username": "kommun", "password": PASSWORDS["kommun"], "next": "/"})
    assert response.headers["location"] == "/api-dokumentation"


def test_scripts_use_http_basic_on_the_api_only(client):
    ok = client.get("/api/v1/export/kommun/month.csv", headers=basic("kommun", PASSWORDS["kommun"]))
    assert ok.status_code == 200 and ok.text.startswith("kommunkod,")
    assert client.get("/api/v1/counts/kommun/month", headers=basic("kommun", "fel")).status_code == 401
    assert client.get("/", headers=basic("anna", PASSWORDS["anna"])).status_code == 303  # pages need a session
    assert client.get("/api/v1/counts/riket/month").status_code == 401  # no session was made


def test_a_removed_user_loses_access_at_once(client, market):
    store, _ = market
    auth.add_user(store, "tillfallig", "tillfälligt-lösen", "coordinator")
    response = client.post("/logga-in", data={"username": "tillfallig", "password": "tillfälligt-lösen", "next": "/"})
    assert response.status_code == 303 and client.get("/").status_code == 200
    assert accounts.remove_user(store, "tillfallig")
    assert client.get("/").status_code == 303


def test_repeated_failures_block_further_attempts(web_app, client, market):
    store, _ = market
    auth.add_user(store, "gissad", "rätt-lösenord-9", "coordinator")
    for _ in range(web_app.state.throttle.attempts):
        client.post("/logga-in", data={"username": "gissad", "password": "fel", "next": "/"})
    response = client.post("/logga-in", data={"username": "gissad", "password": "rätt-lösenord-9", "next": "/"})
    assert response.status_code == 429
    accounts.remove_user(store, "gissad")


def test_demo_mode_lets_only_local_visitors_in(market):
    from fastapi.testclient import TestClient

    from web.app import create_app
    from webdata import GEO, TODAY

    store, settings = market
    app = create_app(store, settings, GEO, demo=True, secret="s" * 48, today=lambda: TODAY)
    local = TestClient(app, client=("127.0.0.1", 40000), follow_redirects=False)
    page = local.get("/korningar")
    assert page.status_code == 200 and "demo (analytiker)" in page.text
    assert local.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 303  # behind a proxy
    remote = TestClient(app, client=("192.0.2.10", 40000), follow_redirects=False)
    assert remote.get("/").status_code == 303
    assert remote.get("/api/v1/runs").status_code == 401
    plain = create_app(store, settings, GEO, demo=False, secret="s" * 48, today=lambda: TODAY)
    assert TestClient(plain, client=("127.0.0.1", 40000), follow_redirects=False).get("/").status_code == 303


def test_downloads_and_api_exports_are_in_the_audit_log(client, market):
    store, _ = market
    login(client, "kim")
    assert client.get("/api/v1/export/lan/quarter.xlsx?within_level=polisregion&within=Syd").status_code == 200
    client.get("/api/v1/export/kommun/year.jsonstat", headers=basic("kommun", PASSWORDS["kommun"]))
    events = accounts.list_audit_events(store, last=2)
    assert (events[0].username, events[0].role, events[0].channel, events[0].action) == \
        ("kommun", "export", "api", "download")
    assert events[0].detail == "jsonstat kommun year"
    assert (events[1].username, events[1].channel) == ("kim", "web")
    assert events[1].detail == "xlsx lan quarter inom=polisregion:Syd"
    login(client, "anna")
    log = client.get("/logg").text
    assert "xlsx lan quarter inom=polisregion:Syd" in log and "kommun" in log


def test_passwords_are_stored_as_argon2_hashes(market):
    store, _ = market
    user = accounts.get_user(store, "anna")
    assert user.password_hash.startswith("$argon2id$") and PASSWORDS["anna"] not in user.password_hash
    assert auth.authenticate(store, "anna", PASSWORDS["anna"]) == auth.Principal("anna", "analyst")
    assert auth.authenticate(store, "anna", "nästan-rätt") is None
    assert auth.authenticate(store, "ingen-sådan", "vad-som-helst") is None


@pytest.mark.parametrize("name, password, role, message", [
    ("A", "långt-nog-lösen", "analyst", "user name"),
    ("ok-namn", "kort", "analyst", "at least"),
    ("ok-namn", "långt-nog-lösen", "admin", "unknown role"),
])
def test_bad_users_are_refused(market, name, password, role, message):
    store, _ = market
    with pytest.raises(auth.AuthError, match=message):
        auth.add_user(store, name, password, role)


def test_session_secret_file_is_private_and_reused(tmp_path):
    secret = auth.session_secret(tmp_path)
    path = tmp_path / auth.SESSION_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(secret) >= 48
    assert auth.session_secret(tmp_path) == secret
    os.chmod(path, 0o644)
    with pytest.raises(auth.AuthError, match="chmod 600"):
        auth.session_secret(tmp_path)


def test_pages_load_nothing_from_other_hosts(client):
    login(client, "anna")
    for url in SAMPLES.values():
        response = client.get(url)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        if response.headers["content-type"].startswith("text/html"):
            for marker in ('src="http', "src='http", 'href="http', "cdn", "@import"):
                assert marker not in response.text, (url, marker)
