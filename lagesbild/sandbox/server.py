"""The sandbox HTTP server: serves both fictional sites from one loopback-only, silent http.server."""
from __future__ import annotations

import ipaddress
import socket
import socketserver
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lagesbild.sandbox.market import Market, build_market
from lagesbild.sandbox.sites import HTML_TYPE, Response, route

_POLL_INTERVAL_S = 0.05


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
        try:
            response = route(self.server.market, self.path)
        except Exception:  # a sandbox bug must not kill the connection silently
            response = Response(500, HTML_TYPE, b"<!DOCTYPE html><html lang=\"sv\"><h1>500</h1></html>")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        # Never log: request lines carry ad paths, pages carry (fictional) phone numbers.
        pass


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], market: Market) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.market = market
        super().__init__(address, _SandboxHandler)

    def server_bind(self) -> None:
        # Like HTTPServer.server_bind, minus the reverse-DNS lookup (socket.getfqdn) that can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # stay silent; the default prints tracebacks to stderr


class SandboxServer:
    """Serves nattsida and stjarnsida for one market (seed, as_of).

    The socket is bound on construction, so ``url`` is known before ``start()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        as_of: datetime | str | None = None,
        *,
        allow_non_loopback: bool = False,
    ) -> None:
        if not allow_non_loopback and not is_loopback_host(host):
            raise ValueError(f"refusing to serve the sandbox on non-loopback host {host!r}")
        self.seed = seed
        self.market = build_market(seed, as_of)
        self._httpd: _SandboxHTTPServer | None = _SandboxHTTPServer((host, port), self.market)
        self._thread: threading.Thread | None = None

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
        """Stop serving and release the port; safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
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
            httpd.server_close()

    def _bound(self) -> _SandboxHTTPServer:
        if self._httpd is None:
            raise RuntimeError("sandbox server has been stopped")
        return self._httpd

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
