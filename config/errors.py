"""The one error type raised for bad configuration."""
from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem, named by file and field so the user can fix it."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")
