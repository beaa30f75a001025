"""The dashboard and API (FastAPI, server-rendered Jinja2 pages in Swedish), built on web.source, web.navigation
and the page modules web.region_page and web.signal_pages.

Pages: / (riket), /polisregion/{namn}, /lan/{kod}, /kommun/{kod} (supply, signals, flows and the demand
side), /metod, /api-dokumentation,
/korningar and /logg (analysts), /logga-in. API under /api/v1/ (OpenAPI at /openapi.json), with a
session cookie or HTTP Basic. Every number comes from web.source's protected tables; every export,
download and API export is written to the audit log. No page loads anything from another host.
"""
from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Callable
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from analysis.completeness import CAVEAT as COMPLETENESS_CAVEAT
from analysis.counts import LEVELS
from analysis.periods import PERIODS
from store import accounts
from web import auth, exports
from web.auth import API, DOWNLOADS, PAGES, RUNS, Principal
from web.exports import FORMATS, UnsupportedExport, json_document, render_export
from web.quality import BADGES
from web.render import STATIC, make_environment
from web.source import PublishedSource, filter_rows
from web.navigation import LEVEL_LABELS, NotFound, find_region, hierarchy
from web.region_page import region_page
from web.signal_pages import (
    FEATURES, FLOW_LEVEL_LABELS, MOBILITY, ORGANISATION, SIGNAL_LEVELS, SIGNAL_SHORT, flows_page, signals_page,
)

SESSION_COOKIE = "lagesbild_session"
SESSION_MAX_AGE_S = 8 * 3600
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


RegionFilter = Annotated[str | None, Query(
    description="En region på nivån: kod eller namn (t.ex. 1480, Göteborg, 14, Väst).")]
WithinLevel = Annotated[str | None, Query(description="Bara regioner inom en region på denna nivå, t.ex. polisregion.")]
Within = Annotated[str | None, Query(description="Regionen att filtrera inom (kod eller namn), tillsammans med within_level.")]
Since = Annotated[str | None, Query(alias="from", description="Första period, t.ex. 2026-01, 2026-Q1 eller 2026-W05.")]
Until = Annotated[str | None, Query(alias="to", description="Sista period (inklusive).")]
Excel = Annotated[bool, Query(description="CSV för svensk Excel: BOM, semikolon och decimalkomma.")]


class LoginRequired(Exception):
    def __init__(self, area: str) -> None:
        self.area = area


class Forbidden(Exception):
    def __init__(self, principal: Principal, area: str) -> None:
        self.principal, self.area = principal, area


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


def need(area: str) -> Callable[[Request], Principal]:
    """A dependency: the caller's principal if it may open `area`; else 401/redirect or 403."""

    def dependency(request: Request) -> Principal:
        state = request.app.state
        credentials = _basic_credentials(request) if area in (API, DOWNLOADS) else None
        if credentials:  # explicit credentials win over a session cookie
            principal = None
            if not state.throttle.blocked(credentials[0].lower()):
                principal = auth.authenticate(state.store, *credentials)
                if principal is None:
                    state.throttle.failed(credentials[0].lower())
            request.state.channel = "api"
            if principal is None:
                raise LoginRequired(area)
        else:
            principal = auth.current_principal(state.store, request.session.get("user"))
        forwarded = "forwarded" in request.headers or "x-forwarded-for" in request.headers
        if (principal is None and state.demo and not forwarded
                and auth.is_loopback(request.client.host if request.client else None)):
            principal = Principal(auth.DEMO_USER, auth.ANALYST)
        if principal is None:
            raise LoginRequired(area)
        if not principal.may(area):
            raise Forbidden(principal, area)
        return principal

    return dependency


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def create_app(store, settings, geography, *, demo: bool = False, secret: str | None = None,
               today: Callable[[], date] | None = None, recheck_s: float = 10.0) -> FastAPI:
    """The dashboard and API on an open store. `secret` signs session cookies (see web.auth.session_secret)."""
    app = FastAPI(
        title="lagesbild API",
        version="1",
        summary="Skyddade tabeller över annonsmarknaden per kommun, län, polisregion och riket.",
        description=(
            "Alla värden har passerat röjandeskyddet: ett skyddat värde är `null` med status `\"..\"` i JSON "
            "och `..` i CSV och XLSX, aldrig 0. Logga in med sessionskaka eller HTTP Basic "
            "(`curl -u namn:lösenord …`). Adresserna under `/api/v1/` är stabila."),
        docs_url=None, redoc_url=None,  # the bundled Swagger UI loads from a CDN; /api-dokumentation is ours
        openapi_url=None,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.demo = demo
    app.state.source = PublishedSource(store, geography, settings, recheck_s=recheck_s, today=today)
    app.state.throttle = auth.LoginThrottle()
    app.add_middleware(SessionMiddleware, secret_key=secret or auth.session_secret(settings.resolved_home),
                       session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE_S, same_site="lax")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    env = make_environment()
    source: PublishedSource = app.state.source

    def page(request: Request, name: str, principal: Principal | None, status_code: int = 200, **context) -> HTMLResponse:
        template = env.get_template(name)
        html = template.render(request=request, principal=principal, demo=demo, path=request.url.path,
                               BADGES=BADGES, **context)
        return HTMLResponse(html, status_code=status_code)

    # --- errors ------------------------------------------------------------------------

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if _is_api(request):
            return JSONResponse({"detail": "Inloggning krävs."}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="lagesbild", charset="UTF-8"',
                                         **SECURITY_HEADERS})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/logga-in?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        message = f"Rollen {exc.principal.role_label} ger inte tillgång till den här sidan."
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=403)
        return page(request, "error.html", exc.principal, 403, title="Ingen behörighet", message=message)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        message = str(exc)
        return page(request, "error.html", None, 404, title="Hittades inte", message=message[:1].upper() + message[1:])

    @app.exception_handler(UnsupportedExport)
    async def unsupported(request: Request, exc: UnsupportedExport):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    # --- login ----------------------------------------------------------------------------

    def safe_next(target: str | None) -> str:
        safe = target and target.startswith("/") and not target.startswith("//") and "\\" not in target
        return target if safe else "/"

    @app.get("/logga-in", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str | None = None):
        return page(request, "login.html", None, next=safe_next(next), error=None)

    @app.post("/logga-in", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
        name = username.strip().lower()
        if app.state.throttle.blocked(name):
            return page(request, "login.html", None, 429, next=safe_next(next),
                        error="För många misslyckade försök. Vänta några minuter och försök igen.")
        principal = auth.authenticate(store, username, password)
        if principal is None:
            app.state.throttle.failed(name)
            return page(request, "login.html", None, 401, next=safe_next(next),
                        error="Fel användarnamn eller lösenord.")
        app.state.throttle.succeeded(name)
        request.session.clear()
        request.session["user"] = principal.username
        target = safe_next(next)
        if not principal.may(PAGES):
            target = "/api-dokumentation"
        return RedirectResponse(target, status_code=303)

    @app.post("/logga-ut", include_in_schema=False)
    def logout(request: Request):
        request.session.clear()
        return RedirectResponse("/logga-in", status_code=303)

    # --- pages ------------------------------------------------------------------------------

    def region_html(request: Request, principal: Principal, level: str, code: str, period: str,
                    visa: str | None) -> HTMLResponse:
        if period not in PERIODS:
            raise NotFound(f"okänd periodtyp {period!r}")
        view = region_page(source, level, code, period, visa or None)
        return page(request, "region.html", principal, view=view, period=period, PERIODS=PERIODS,
                    downloads=downloads_for(view), completeness_caveat=COMPLETENESS_CAVEAT)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, period: str = "month", visa: str | None = None,
             principal: Principal = Depends(need(PAGES))):
        return region_html(request, principal, "riket", "SE", period, visa)

    @app.get("/polisregion/{code}", response_class=HTMLResponse, include_in_schema=False)
    def polisregion_page(code: str, request: Request, period: str = "month", visa: str | None = None,
                         principal: Principal = Depends(need(PAGES))):
        return region_html(request, principal, "polisregion", code, period, visa)

    @app.get("/lan/{code}", response_class=HTMLResponse, include_in_schema=False)
    def lan_page(code: str, request: Request, period: str = "month", visa: str | None = None,
                 principal: Principal = Depends(need(PAGES))):
        return region_html(request, principal, "lan", code, period, visa)

    @app.get("/kommun/{code}", response_class=HTMLResponse, include_in_schema=False)
    def kommun_page(code: str, request: Request, period: str = "month", visa: str | None = None,
                    principal: Principal = Depends(need(PAGES))):
        return region_html(request, principal, "kommun", code, period, visa)

    @app.get("/signaler", response_class=HTMLResponse, include_in_schema=False)
    def signals_html(request: Request, niva: str = "polisregion", period: str = "quarter", visa: str | None = None,
                     principal: Principal = Depends(need(PAGES))):
        view = signals_page(source, niva, period, visa or None)
        return page(request, "signals.html", principal, view=view, PERIODS=PERIODS, LEVELS=SIGNAL_LEVELS,
                    SIGNAL_SHORT=SIGNAL_SHORT, ORGANISATION=ORGANISATION + MOBILITY, FEATURES=FEATURES)

    @app.get("/floden", response_class=HTMLResponse, include_in_schema=False)
    def flows_html(request: Request, niva: str = "polisregion", period: str = "quarter", visa: str | None = None,
                   principal: Principal = Depends(need(PAGES))):
        view = flows_page(source, niva, period, visa or None)
        return page(request, "flows.html", principal, view=view, PERIODS=PERIODS, FLOW_LEVELS=FLOW_LEVEL_LABELS)

    @app.get("/regioner", response_class=HTMLResponse, include_in_schema=False)
    def regions_page(request: Request, principal: Principal = Depends(need(PAGES))):
        return page(request, "regions.html", principal, tree=hierarchy(geography))

    @app.get("/metod", response_class=HTMLResponse, include_in_schema=False)
    def methods_page(request: Request, principal: Principal = Depends(need(PAGES))):
        table = source.table("riket", "month")
        return page(request, "methods.html", principal, rule=table.rule, method=table.method,
                    threshold=settings.small_cell_threshold, signal_threshold=settings.signal_threshold)

    @app.get("/api-dokumentation", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request, principal: Principal = Depends(need(API))):
        return page(request, "api.html", principal, schema=app.openapi(), FORMATS=FORMATS, LEVELS=LEVELS,
                    PERIODS=PERIODS)

    @app.get("/korningar", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request, principal: Principal = Depends(need(RUNS))):
        return page(request, "runs.html", principal, runs=source.runs()[:500])

    @app.get("/logg", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, principal: Principal = Depends(need(RUNS))):
        return page(request, "audit.html", principal, events=accounts.list_audit_events(store, last=500))

    # --- API ----------------------------------------------------------------------------------

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(principal: Principal = Depends(need(API))):
        return JSONResponse(app.openapi())

    def choose_rows(level: str, period: str, region: str | None, within_level: str | None, within: str | None,
                    since: str | None, until: str | None, tables=None):
        if level not in LEVELS:
            raise NotFound(f"okänd nivå {level!r}; välj {', '.join(LEVELS)}")
        if period not in PERIODS:
            raise NotFound(f"okänd periodtyp {period!r}; välj {', '.join(PERIODS)}")
        table = (tables or source.table)(level, period)
        codes = None
        if region:
            codes = {find_region(geography, level, region).code}
        elif within_level and within:
            parent = find_region(geography, within_level, within)
            codes = {code for code in _codes_within(parent.level, parent.code, level)}
        return filter_rows(table, lambda row: (codes is None or row.region_code in codes)
                           and (not since or row.period >= since) and (not until or row.period <= until))

    def _codes_within(parent_level: str, parent_code: str, level: str) -> set[str]:
        if LEVELS.index(level) < LEVELS.index(parent_level):
            raise NotFound(f"{LEVEL_LABELS[level]} ligger inte under {LEVEL_LABELS[parent_level].lower()}")
        kommuner = geography.kommun_codes_in(parent_level, None if parent_level == "riket" else parent_code)
        if level == "kommun":
            return set(kommuner)
        if level == "lan":
            return {geography.kommuner[k].lan_code for k in kommuner}
        if level == "polisregion":
            return {geography.polisregion_of(k) for k in kommuner}
        return {"SE"}

    @app.get("/api/v1/regioner", tags=["regioner"], summary="Polisregioner, län och kommuner med koder och folkmängd")
    def api_regions(principal: Principal = Depends(need(API))):
        return {"folkmangd_ar": geography.population_year, "polisregioner": hierarchy(geography)}

    @app.get("/api/v1/counts/{level}/{period}", tags=["antal"],
             summary="Skyddade antal per region och period (aktiva annonser, unika profiler, unika telefonnummer)")
    def api_counts(level: str, period: str, region: RegionFilter = None, within_level: WithinLevel = None,
                   within: Within = None, since: Since = None, until: Until = None,
                   principal: Principal = Depends(need(API))):
        table = choose_rows(level, period, region, within_level, within, since, until)
        labels = {row.period for row in table.rows}
        return json_document(table, geography, source.export_context(period, labels=labels))

    @app.get("/api/v1/series/{level}/{code}/{period}", tags=["trender"],
             summary="En regions tidsserie med förändring mot förra perioden och samma period förra året")
    def api_series(level: str, code: str, period: str, principal: Principal = Depends(need(API))):
        ref = find_region(geography, level, code)
        view = region_page(source, ref.level, ref.code, period)
        return series_json(view)

    @app.get("/api/v1/quality/{period}", tags=["kvalitet"], summary="Datakvalitet per period (insamlingarnas utfall)")
    def api_quality(period: str, principal: Principal = Depends(need(API))):
        if period not in PERIODS:
            raise NotFound(f"okänd periodtyp {period!r}")
        return {"perioder": [{"period": q.period, "kvalitet": q.flag, "tackning": q.coverage,
                              "marken": [{"kod": b.code, "text": b.label, "forklaring": b.explanation}
                                         for b in q.badges]}
                             for q in source.quality(period).values()]}

    @app.get("/api/v1/export/{level}/{filename}", tags=["export"],
             summary="Hela tabellen som fil: {periodtyp}.{format}, t.ex. month.csv, quarter.xlsx, year.kolada, "
                     "month.jsonstat",
             response_class=Response)
    def api_export(level: str, filename: str, request: Request, excel: Excel = False,
                   region: RegionFilter = None, within_level: WithinLevel = None, within: Within = None,
                   since: Since = None, until: Until = None, principal: Principal = Depends(need(DOWNLOADS))):
        period, _, fmt = filename.partition(".")
        if fmt not in FORMATS:
            raise NotFound(f"okänt format {fmt!r}; välj {', '.join(FORMATS)}")
        table = choose_rows(level, period, region, within_level, within, since, until)
        context = source.export_context(period, excel=excel and fmt == "csv",
                                        labels={row.period for row in table.rows})
        data, _ = render_export(table, geography, fmt, context)
        spec = exports.EXPORT_FORMATS[fmt]
        name = f"lagesbild-{level}-{period}" + (f"-{fmt}" if fmt in ("kolada", "jsonstat") else "") + spec.suffix
        channel = getattr(request.state, "channel", "web")
        detail = f"{fmt}{' excel' if excel and fmt == 'csv' else ''} {level} {period}"
        for key, value in (("region", region), ("inom", f"{within_level}:{within}" if within else None),
                           ("från", since), ("till", until)):
            if value:
                detail += f" {key}={value}"
        auth.log_event(store, principal, channel, "download", detail)
        return attachment(data, spec.media_type, name)

    def describe(kind: str, fmt: str, excel: bool, level: str, period: str, **filters) -> str:
        detail = f"{kind}{fmt}{' excel' if excel and fmt == 'csv' else ''} {level} {period}"
        return detail + "".join(f" {key}={value}" for key, value in filters.items() if value)

    @app.get("/api/v1/signals/{level}/{filename}", tags=["signaler"],
             summary="Signaler per region och period som fil: {periodtyp}.{format} (csv, xlsx, json, jsonstat)",
             response_class=Response)
    def api_signals(level: str, filename: str, request: Request, excel: Excel = False, region: RegionFilter = None,
                    within_level: WithinLevel = None, within: Within = None, since: Since = None,
                    until: Until = None, principal: Principal = Depends(need(DOWNLOADS))):
        period, _, fmt = filename.partition(".")
        if fmt not in ("csv", "xlsx", "json", "jsonstat"):
            raise NotFound(f"okänt format {fmt!r}; välj csv, xlsx, json eller jsonstat")
        table = choose_rows(level, period, region, within_level, within, since, until, source.signal_table)
        context = source.export_context(period, excel=excel and fmt == "csv",
                                        labels={row.period for row in table.rows})
        data, _ = render_export(table, geography, fmt, context)
        auth.log_event(store, principal, getattr(request.state, "channel", "web"), "download",
                       describe("signaler ", fmt, excel, level, period, region=region,
                                inom=f"{within_level}:{within}" if within else None, från=since, till=until))
        return attachment(data, exports.EXPORT_FORMATS[fmt].media_type,
                          f"lagesbild-signaler-{level}-{period}{exports.EXPORT_FORMATS[fmt].suffix}")

    @app.get("/api/v1/demand/{level}/{filename}", tags=["efterfrågan"],
             summary="Efterfrågan per region och period som fil: {periodtyp}.{format} (efterfrågeannonser, "
                     "recensioner, unika recensenter; csv, xlsx, json, kolada, jsonstat)",
             response_class=Response)
    def api_demand(level: str, filename: str, request: Request, excel: Excel = False, region: RegionFilter = None,
                   within_level: WithinLevel = None, within: Within = None, since: Since = None,
                   until: Until = None, principal: Principal = Depends(need(DOWNLOADS))):
        period, _, fmt = filename.partition(".")
        if fmt not in FORMATS:
            raise NotFound(f"okänt format {fmt!r}; välj {', '.join(FORMATS)}")
        table = choose_rows(level, period, region, within_level, within, since, until, source.demand_table)
        context = source.export_context(period, excel=excel and fmt == "csv",
                                        labels={row.period for row in table.rows})
        data, _ = render_export(table, geography, fmt, context)
        spec = exports.EXPORT_FORMATS[fmt]
        auth.log_event(store, principal, getattr(request.state, "channel", "web"), "download",
                       describe("efterfrågan ", fmt, excel, level, period, region=region,
                                inom=f"{within_level}:{within}" if within else None, från=since, till=until))
        suffix = (f"-{fmt}" if fmt in ("kolada", "jsonstat") else "") + spec.suffix
        return attachment(data, spec.media_type, f"lagesbild-efterfragan-{level}-{period}{suffix}")

    @app.get("/api/v1/flows/{level}/{filename}", tags=["signaler"],
             summary="Flöden mellan polisregioner eller län som fil: {periodtyp}.{format} (csv, xlsx, json)",
             response_class=Response)
    def api_flows(level: str, filename: str, request: Request, excel: Excel = False, since: Since = None,
                  until: Until = None, principal: Principal = Depends(need(DOWNLOADS))):
        period, _, fmt = filename.partition(".")
        if fmt not in exports.FLOW_FORMATS:
            raise NotFound(f"okänt format {fmt!r}; välj csv, xlsx eller json")
        if level not in FLOW_LEVEL_LABELS or period not in PERIODS:
            raise NotFound("flöden finns per polisregion eller län och period (week, month, quarter, year)")
        table = filter_rows(source.flows(level, period), lambda row: (not since or row.period >= since)
                            and (not until or row.period <= until))
        context = source.export_context(period, excel=excel and fmt == "csv")
        data = exports.render_flows(table, fmt, context)
        auth.log_event(store, principal, getattr(request.state, "channel", "web"), "download",
                       describe("flöden ", fmt, excel, level, period, från=since, till=until))
        suffix, media_type = exports.FLOW_FORMATS[fmt]
        return attachment(data, media_type, f"lagesbild-floden-{level}-{period}{suffix}")

    @app.get("/api/v1/runs", tags=["körningar"], summary="Insamlingskörningar per sajt (bara analytiker)")
    def api_runs(principal: Principal = Depends(need(RUNS))):
        return {"korningar": [{"id": r.id, "sajt": r.site, "status": r.status, "start": r.started_at.isoformat(),
                               "observerad": r.observed_at.isoformat(), "sidor": r.pages, "annonser": r.items,
                               "fel": r.errors, "tolkningsfel": r.parse_failures, "notering": r.note,
                               "halsa": list(r.health) if r.health is not None else None}
                              for r in source.runs()]}

    return app


def attachment(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})


def series_json(view) -> dict:
    """A region page's series as JSON: published values (null when suppressed), rates, quality, changes."""
    def ratio(r):
        if r is None:
            return None
        finite = (lambda x: None if x == float("inf") else round(x, 4))
        return {"kvot": finite(r.estimate), "lag": finite(r.low), "hog": finite(r.high),
                "p": round(r.p_value, 4), "konfidens": r.confidence}

    def change(c):
        return {"matt": exports.MEASURE_CODES[c.measure], "period": c.period, "varde": c.value,
                "jamforelseperiod": c.base_period, "jamforelsevarde": c.base_value, "skillnad": c.diff,
                "procent": c.percent}

    return {
        "niva": view.region.level, "kod": view.region.code, "namn": view.region.name, "periodtyp": view.period_kind,
        "metod": view.method, "regel": view.rule, "tackning": view.coverage,
        "serie": [{"period": p.period,
                   "varden": {exports.MEASURE_CODES[m]: p.cells[m].value for m in view.measures},
                   "status": {exports.MEASURE_CODES[m]: p.cells[m].status for m in view.measures},
                   "per_100k": {exports.MEASURE_CODES[m]: p.rates[m] for m in view.measures},
                   "kvalitet": p.quality.flag if p.quality else ""}
                  for p in view.points],
        "senaste_period": view.selected,
        "forandring_mot_foregaende": [change(c) for c in view.changes_previous],
        "forandring_mot_foregaende_ar": [change(c) for c in view.changes_year],
        "trend": None if view.trend is None else {
            "matt": exports.MEASURE_CODES[view.trend.measure],
            "perioder": [{"period": row.period, "jamforbar": row.comparable,
                          "mot_foregaende": ratio(row.previous), "mot_aret_innan": ratio(row.year),
                          "mot_overordnad_region": ratio(row.standing), "handelser": list(row.events)}
                         for row in view.trend.rows],
            "lutning": view.trend.slope_text, "trendtest": view.trend.test_text,
            "brytpunkter": view.trend.events_text},
    }


def _file_links(path: str, query: dict[str, str]) -> dict[str, str]:
    """CSV, XLSX and Excel-CSV links of one download."""
    suffix = f"?{urlencode(query)}" if query else ""
    return {"csv": f"{path}.csv{suffix}", "xlsx": f"{path}.xlsx{suffix}",
            "excel": f"{path}.csv?" + urlencode({**query, "excel": "true"})}


def downloads_for(view) -> dict[str, dict[str, str]]:
    """CSV and XLSX links of the tables on a region page."""
    level, kind = view.region.level, view.period_kind
    own = {"region": view.region.code} if level != "riket" else {}
    children = {"from": view.selected, "to": view.selected}
    if level != "riket":
        children.update(within_level=level, within=view.region.code)
    links = {"series": _file_links(f"/api/v1/export/{level}/{kind}", own)}
    if view.child_level and view.selected:
        links["children"] = _file_links(f"/api/v1/export/{view.child_level}/{kind}", children)
    if view.demand is not None:
        links["demand"] = _file_links(f"/api/v1/demand/{level}/{kind}", own)
        if view.demand.child_level and view.selected:
            links["demand_children"] = _file_links(f"/api/v1/demand/{view.demand.child_level}/{kind}", children)
    if view.selected:
        window = {"from": view.selected, "to": view.selected}
        links["signals"] = _file_links(f"/api/v1/signals/{level}/{kind}", {**own, **window})
        links["flows"] = _file_links(f"/api/v1/flows/{level}/{kind}", window)
    return links


def app_from_settings(settings, *, demo: bool = False) -> FastAPI:
    """The app on the configured database (what `lagesbild serve` runs)."""
    from config.settings import load_settings_geography
    from store import open_store

    store = open_store(settings.resolved_database_url)
    return create_app(store, settings, load_settings_geography(settings), demo=demo)

