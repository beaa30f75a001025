"""Which library errors become one-line CLI messages, and with which exit code."""
from __future__ import annotations

from config.errors import BadInput
from crawler.browser import BrowserNotFound
from crawler.keys import KeyFileError
from evaluation.errors import EvaluationFolderTaken, SeriesNotFound
from store.errors import StoreError
from store.errors import LeaseHeld

# Exit code 2 for bad input (config, arguments), 1 for everything the environment got wrong.
USER_ERRORS: dict[type[Exception], int] = {  # subclasses count as their base
    BadInput: 2,  # a broken config, an impossible schedule
    KeyFileError: 1,
    BrowserNotFound: 1,
    StoreError: 1,
    SeriesNotFound: 1,  # evaluate --demo before any demo
    EvaluationFolderTaken: 1,  # the scratch folder holds something else
    LeaseHeld: 1,  # a site another process is crawling, a second scheduler
}


def exit_code(error: Exception) -> int:
    return next(code for kind, code in USER_ERRORS.items() if isinstance(error, kind))
