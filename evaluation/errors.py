"""What can go wrong in an evaluation before any scoring: light to import, for the command line's error map."""
from __future__ import annotations


class SeriesNotFound(Exception):
    """No back-filled series manifest where one was expected."""


class EvaluationFolderTaken(Exception):
    """The scratch folder exists and was not made by an evaluation: it is never wiped."""
