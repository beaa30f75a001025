"""Protected tables written to files: with the crawl-quality flags and coverage of their periods, atomically,
and noted in the audit log of what left lagesbild."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from analysis.disclosure import PublishedTable
from config.geo import Geography
from web.auth import Principal, log_event
from web.exports import write_export
from web.source import runs_context


def write_protected_file(table: PublishedTable, geography: Geography, store, path: Path, fmt: str = "csv", *,
                         excel: bool = False, who: Principal | None = None, channel: str = "cli",
                         detail: str = "", create_folder: bool = True) -> int:
    """Write `table` to `path` (a reader never sees half a file); log it for `who` when given. Returns the rows.

    The folder is created when missing (the data folder's exports/), unless `create_folder` is False (a path a
    user typed: the command line requires its folder to exist)."""
    context = runs_context(store, table.period, {row.period for row in table.rows}, excel=excel)
    if create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        rows = write_export(table, geography, Path(temporary), fmt, context)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if who is not None:
        log_event(store, who, channel, "export", detail)
    return rows
