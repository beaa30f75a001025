"""`lagesbild serve`: the dashboard and API (web.app) with uvicorn, in the foreground until Ctrl-C."""
from __future__ import annotations

import ipaddress
import socket
import threading

import click

from config.settings import load_settings


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.BadParameter(f"cannot resolve {host!r}: {exc.strerror}", param_hint="--host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (use a reverse proxy with TLS in front of anything but 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0 picks a free one).")
@click.option("--demo", is_flag=True,
              help="Demo mode: listen on 127.0.0.1 only and let local visitors in as the analyst 'demo' "
                   "without a login.")
def serve_command(host: str, port: int, demo: bool) -> None:
    """Serve the dashboard and API until Ctrl-C.  Example: lagesbild serve --port 8000

    Everyone logs in (accounts: `lagesbild users add`), except local visitors in --demo mode.
    """
    import uvicorn

    from store import accounts
    from web.app import app_from_settings

    settings = load_settings()
    if demo and not _loopback(host):
        raise click.UsageError("--demo serves only on 127.0.0.1 (without a login); drop --host or --demo")
    app = app_from_settings(settings, demo=demo)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Dashboard at http://{shown_host}:{bound_port}/ "
               + ("(demo mode: local visitors are the analyst 'demo')" if demo else "(login required)")
               + "; Ctrl-C stops.", nl=True)
    if not demo and not accounts.list_users(app.state.store):
        click.echo("No users yet: add one with `lagesbild users add NAME --role analyst`.")
    # Protect the tables in the background, so the first visitor does not wait for it.
    source = app.state.source

    def warm() -> None:
        try:
            for kind in ("month", "week"):
                source.family(kind)
            for kind in ("month", "week"):
                source.signal_table("riket", kind)
                source.flows("polisregion", kind)
        except Exception as exc:  # the page that needs the tables reports it properly
            click.echo(f"could not prepare the tables yet: {type(exc).__name__}", err=True)

    threading.Thread(target=warm, name="warm-tables", daemon=True).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False,
                            server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.store.close()
