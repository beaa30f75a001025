"""Errors of bad input: a configuration or a request the user can fix, told in one line (exit code 2)."""
from __future__ import annotations


class BadInput(Exception):
    """Input the user gave that cannot be used; the message says what to change."""


class ConfigError(BadInput):
    """A configuration problem, named by file and field so the user can fix it."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")
