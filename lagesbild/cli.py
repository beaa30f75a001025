"""The `lagesbild` command: the top-level group, every command group registered by name, and the entry point."""
from __future__ import annotations

import sys

import click

from lagesbild.commands.audit import audit_disclosure, audit_pii
from lagesbild.commands.crawl import crawl_command
from lagesbild.commands.db import db_group
from lagesbild.commands.demo import demo_command
from lagesbild.commands.evaluate import evaluate_command
from lagesbild.commands.keys import keys_group
from lagesbild.commands.places import geo_group, places_group
from lagesbild.commands.purge import purge_command
from lagesbild.commands.report import report_command
from lagesbild.commands.runs import runs_command
from lagesbild.commands.sandbox import sandbox_group
from lagesbild.commands.schedule import schedule_group, scheduler_group
from lagesbild.commands.serve import serve_command
from lagesbild.commands.signals import flows_command, signals_command
from lagesbild.commands.sites import sites_group
from lagesbild.commands.status import status_command
from lagesbild.commands.tables import counts_command, export_command
from lagesbild.commands.trends import trends_command
from lagesbild.commands.users import users_group
from lagesbild.errors import USER_ERRORS
from lagesbild.options import err_console

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
COMMANDS = (
    sites_group, sandbox_group, crawl_command, counts_command, export_command, trends_command, signals_command,
    flows_command, report_command, runs_command, status_command, places_group, geo_group, db_group, keys_group,
    purge_command, audit_disclosure, audit_pii, schedule_group, scheduler_group, serve_command, users_group,
    demo_command, evaluate_command,
)


@click.group(context_settings=CONTEXT)
def app() -> None:
    """lagesbild: anonymised trend monitoring of the online escort-ad market."""


for command in COMMANDS:
    app.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors become one line on stderr and a non-zero exit."""
    try:
        code = app.main(args=argv, prog_name="lagesbild", standalone_mode=False)
    except click.UsageError as exc:
        err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        sys.exit(2)
    except click.ClickException as exc:
        err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except click.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except tuple(USER_ERRORS) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(USER_ERRORS[type(exc)])
    except OSError as exc:  # a data folder or file the user pointed at is not usable
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"error: {where}{exc.strerror or exc}", markup=False, highlight=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
