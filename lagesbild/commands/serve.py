"""`lagesbild serve`: the dashboard and API (web.app) with uvicorn, in the foreground until Ctrl-C."""
from __future__ import annotations

import click

from config.settings import load_settings
from store import accounts
from web.app import app_from_settings
from web.server import CannotListen, is_loopback, listening_socket, run_dashboard


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
    settings = load_settings()
    if demo and not is_loopback(host):
        raise click.UsageError("--demo serves only on 127.0.0.1 (without a login); drop --host or --demo")
    app = app_from_settings(settings, demo=demo)
    try:
        sock = listening_socket(host, port)
    except CannotListen as exc:
        raise click.ClickException(str(exc)) from None
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Dashboard at http://{shown_host}:{sock.getsockname()[1]}/ "
               + ("(demo mode: local visitors are the analyst 'demo')" if demo else "(login required)")
               + "; Ctrl-C stops.")
    if not demo and not accounts.list_users(app.state.store):
        click.echo("No users yet: add one with `lagesbild users add NAME --role analyst`.")
    run_dashboard(app, sock)
