"""The sandbox HTTP server: serves the fictional sites from one loopback-only, silent http.server.

Optionally with a `FaultPlan` (sandbox.faults): error statuses, silence, slow or cut bodies,
redirect loops, endless pagination, huge pages and tab-crashing pages, for reliability tests. Each
request runs in its own thread, so a held or slow response never blocks the others.
"""
from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.faults import CutOff, FaultPlan, Hold, Stream, Trickle, respond
from sandbox.market import Market
from sandbox.simulation import build_market
from sandbox.sites.pages import HTML_TYPE, Response

_POLL_INTERVAL_S = 0.05
_TRICKLE_PIECES = 40


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SandboxHandler(BaseHTTPRequestHandler):
    server: "_SandboxHTTPServer"
    server_version = "lagesbild-sandbox"
    sys_version = ""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        market, plan = self.server.current()  # one consistent market for the whole request
        try:
            result = respond(market, self.path, plan)
        except Exception:  # a sandbox bug must not kill the connection silently
            result = Response(500, HTML_TYPE, b"<!DOCTYPE html><html lang=\"sv\"><h1>500</h1></html>")
        try:
            if isinstance(result, Response):
                self._send(result, send_body)
            elif isinstance(result, Hold):
                self._hold(result.seconds)
            elif isinstance(result, Trickle):
                self._trickle(result, send_body)
            elif isinstance(result, CutOff):
                self._headers(result.response, len(result.response.body))
                if send_body:
                    self.wfile.write(result.response.body[: result.keep_bytes])
                self._drop_connection()
            elif isinstance(result, Stream):
                self._stream(result, send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _headers(self, response: Response, length: int | None) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, response: Response, send_body: bool) -> None:
        self._headers(response, len(response.body))
        if send_body:
            self.wfile.write(response.body)

    def _hold(self, seconds: float) -> None:
        """Say nothing until `seconds` pass, the client hangs up or the server stops; then close."""
        deadline = time.monotonic() + seconds
        while not self.server.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._client_gone(min(left, 0.2)):
                break
        self._drop_connection()

    def _client_gone(self, wait_s: float) -> bool:
        readable, _, _ = select.select([self.connection], [], [], wait_s)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _trickle(self, action: Trickle, send_body: bool) -> None:
        if action.delay_s and self.server.stopping.wait(action.delay_s):
            return self._drop_connection()
        body = action.response.body
        self._headers(action.response, len(body))
        if not send_body:
            return
        pieces = max(1, min(_TRICKLE_PIECES, len(body)))
        size = -(-len(body) // pieces)
        pause = action.duration_s / pieces
        for start in range(0, len(body), size):
            if start and self.server.stopping.wait(pause):
                return self._drop_connection()
            self.wfile.write(body[start : start + size])

    def _stream(self, action: Stream, send_body: bool) -> None:
        response = Response(action.status, action.content_type, b"")
        self._headers(response, action.size if action.declare_length else None)
        if not action.declare_length:
            self.close_connection = True  # the end of the body is the end of the connection
        if not send_body:
            return
        for chunk in action.chunks():
            if self.server.stopping.is_set():
                return self._drop_connection()
            self.wfile.write(chunk)

    def _drop_connection(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        # Never log: request lines carry ad paths, pages carry (fictional) phone numbers.
        pass


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], market: Market, faults: FaultPlan | None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self._lock = threading.Lock()
        self._market = market
        self._faults = faults
        self.stopping = threading.Event()
        super().__init__(address, _SandboxHandler)

    def current(self) -> tuple[Market, FaultPlan | None]:
        with self._lock:
            return self._market, self._faults

    def replace(self, *, market: Market | None = None, faults: FaultPlan | None | bool = False) -> None:
        with self._lock:
            if market is not None:
                self._market = market
            if faults is not False:
                self._faults = faults  # type: ignore[assignment]

    def server_bind(self) -> None:
        # Like HTTPServer.server_bind, minus the reverse-DNS lookup (socket.getfqdn) that can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # stay silent; the default prints tracebacks to stderr


class SandboxServer:
    """Serves the sandbox sites for one market (seed, as_of, or a given Market), optionally with faults.

    The socket is bound on construction, so ``url`` is known before ``start()``. ``set_market()`` and
    ``set_faults()`` swap what is served while running (each request sees one market and one plan).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        as_of: datetime | str | None = None,
        *,
        faults: FaultPlan | None = None,
        market: Market | None = None,
        allow_non_loopback: bool = False,
    ) -> None:
        if not allow_non_loopback and not is_loopback_host(host):
            raise ValueError(f"refusing to serve the sandbox on non-loopback host {host!r}")
        self.seed = seed if market is None else market.seed
        market = market if market is not None else build_market(seed, as_of)
        self._httpd: _SandboxHTTPServer | None = _SandboxHTTPServer((host, port), market, faults)
        self._state = self._httpd  # what is served stays readable after stop()
        self._thread: threading.Thread | None = None

    @property
    def market(self) -> Market:
        return self._current()[0]

    @property
    def faults(self) -> FaultPlan | None:
        return self._current()[1]

    @property
    def as_of(self) -> datetime:
        return self.market.as_of

    @property
    def port(self) -> int:
        return self._bound().server_address[1]

    @property
    def url(self) -> str:
        host = self._bound().server_address[0]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def truth(self) -> dict[str, Any]:
        return self.market.truth_dict()

    def set_market(self, market: Market) -> None:
        """Serve another market from the next request on (thread-safe; requests under way finish on the old one)."""
        self._state.replace(market=market)
        self.seed = market.seed

    def set_faults(self, faults: FaultPlan | None) -> None:
        """Inject another fault plan (None: none) from the next request on."""
        self._state.replace(faults=faults)

    def start(self) -> "SandboxServer":
        """Serve in a daemon thread; returns self."""
        httpd = self._bound()
        if self._thread is None:
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL_S},
                name="lagesbild-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice. Held and slow responses are cut short."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        if self._thread is not None:
            httpd.shutdown()
            self._thread.join()
            self._thread = None
        httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt, then close."""
        httpd = self._bound()
        if self._thread is not None:
            raise RuntimeError("sandbox server is already running in a background thread")
        try:
            httpd.serve_forever(poll_interval=_POLL_INTERVAL_S)
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd = None
            httpd.stopping.set()
            httpd.server_close()

    def _current(self) -> tuple[Market, FaultPlan | None]:
        return self._state.current()

    def _bound(self) -> _SandboxHTTPServer:
        if self._httpd is None:
            raise RuntimeError("sandbox server has been stopped")
        return self._httpd

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
