"""Serving the dashboard: a listening socket, the tables protected in the background, and uvicorn."""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading

import uvicorn

from config.errors import BadInput

log = logging.getLogger(__name__)


class CannotListen(Exception):
    """The address could not be resolved or bound."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening, inheritable socket (port 0: a free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BadInput(f"--host: cannot resolve {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def warm_tables(source) -> None:
    """Protect the tables the first pages need, so the first visitor does not wait for them."""
    try:
        for kind in ("month", "week"):
            source.family(kind)
        for kind in ("month", "week"):
            source.signal_table("riket", kind)
            source.flows("polisregion", kind)
    except Exception as exc:  # the page that needs the tables reports it properly
        log.warning("could not prepare the tables yet: %s", type(exc).__name__)


def run_dashboard(app, sock: socket.socket) -> None:
    """Warm the tables in the background and serve `app` on `sock` until Ctrl-C."""
    threading.Thread(target=warm_tables, args=(app.state.source,), name="warm-tables", daemon=True).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False, server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        app.state.store.close()
