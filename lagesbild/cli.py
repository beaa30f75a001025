"""The `lagesbild` command: the top-level group, every command group registered by name, and the entry point."""
from __future__ import annotations

import importlib
import sys

import click

from lagesbild.errors import USER_ERRORS, exit_code
from lagesbild.options import err_console

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Every command group in the order `--help` lists them: name -> (module of lagesbild.commands, object, the
# line `--help` shows). A module is imported only when its command runs, so `lagesbild --help` stays fast.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "crawl": ("crawl", "crawl_command", "Crawl sites now and store anonymised observations."),
    "counts": ("tables", "counts_command", "Protected counts per region and period in the terminal."),
    "export": ("tables", "export_command", "Write protected counts keyed by SCB codes to a file."),
    "trends": ("trends", "trends_command", "One region's series: change, slope, trend test, change points, flags."),
    "signals": ("signals", "signals_command", "Organisation, mobility and ad-feature signals (signal threshold)."),
    "flows": ("signals", "flows_command", "Flows of profiles between regions (signal threshold)."),
    "report": ("report", "report_command", "Write a lägesbild for one region and period (PDF or HTML)."),
    "runs": ("runs", "runs_command", "Recent crawl runs: status, health, fill rates and coverage."),
    "status": ("status", "status_command", "Sites, last runs, schedules, database, keys and retention."),
    "sites": ("sites", "sites_group", "Configured sites."),
    "places": ("places", "places_group", "Place resolution: from ad location texts to kommun codes."),
    "geo": ("places", "geo_group", "Geography tables: kommuner, län, police regions and population."),
    "schedule": ("schedule", "schedule_group", "Persistent crawl and maintenance schedules."),
    "scheduler": ("schedule", "scheduler_group", "The scheduler process (one per database)."),
    "serve": ("serve", "serve_command", "Serve the dashboard and API."),
    "users": ("users", "users_group", "Accounts of the dashboard and API."),
    "keys": ("keys", "keys_group", "Study-period keys (HMAC master keys outside the database)."),
    "purge": ("purge", "purge_command", "Delete data older than the retention time, keeping frozen counts."),
    "audit-disclosure": ("audit", "audit_disclosure", "Try to recover suppressed cells from published files."),
    "audit-pii": ("audit", "audit_pii", "Scan the data folder and database for known plaintext."),
    "db": ("db", "db_group", "Database schema."),
    "sandbox": ("sandbox", "sandbox_group", "The simulated market's sites on 127.0.0.1."),
    "demo": ("demo", "demo_command", "Back-fill crawls of the simulated market and print the tables."),
    "evaluate": ("evaluate", "evaluate_command", "Score what the pipeline stored against the simulation's truth."),
}


class CommandLine(click.Group):
    """The top-level group: commands are looked up in COMMANDS and imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"lagesbild.commands.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


@click.group(cls=CommandLine, context_settings=CONTEXT)
def app() -> None:
    """lagesbild: anonymised trend monitoring of the online escort-ad market."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: library errors become one line on stderr and a non-zero exit."""
    try:
        code = app.main(args=argv, prog_name="lagesbild", standalone_mode=False)
    except click.ClickException as exc:  # a usage error exits 2
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
        sys.exit(exit_code(exc))
    except OSError as exc:  # a data folder or file the user pointed at is not usable
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"error: {where}{exc.strerror or exc}", markup=False, highlight=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
