"""What the commands share: the consoles, the data-store opener and the window, level and period options."""
from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console

from analysis.counts import LEVELS
from analysis.periods import PERIODS
from config.settings import Settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def day(value: datetime | None) -> date | None:
    return value.date() if value else None


def open_settings_store(settings: Settings):
    from store.db import open_store  # not at start-up: `lagesbild --help` loads no database library

    return open_store(settings.resolved_database_url)


def window_options(command):
    """--from and --to (YYYY-MM-DD), shared by the table commands; --from after --to is a usage error."""
    @functools.wraps(command)
    def checked(*args, since=None, until=None, **kwargs):
        if since and until and since > until:
            raise click.BadParameter("--from is after --to", param_hint="--from")
        return command(*args, since=since, until=until, **kwargs)

    checked = click.option("--to", "until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")(checked)
    return click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")(checked)


level_option = functools.partial(click.option, "--level", type=click.Choice(LEVELS), show_default=True,
                                 help="Regional level.")  # level_option(default="kommun")
period_option = click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Time period.")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                             callback=lambda _c, _p, path: _existing_folder(path), help="File to write (in an existing folder).")


def _existing_folder(path: Path) -> Path:  # -o: a typo never creates folders anywhere
    if path.parent.is_dir():
        return path
    raise click.BadParameter(f"the folder {path.parent} does not exist; create it first", param_hint="-o")


def parse_as_of(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date or time like 2026-07-22 or 2026-07-22T03:00",
                                 param_hint=option) from None
    if moment.tzinfo is None:  # naive times are Swedish local time
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    return moment
