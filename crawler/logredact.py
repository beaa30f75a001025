"""A logging filter that keeps URL paths and phone-like numbers out of every log line."""
from __future__ import annotations

import logging
import re

_URL_PATH = re.compile(r"(?P<origin>https?://[^/\s'\"<>]+)(?P<path>/[^\s'\"<>]*)")
_PHONE_LIKE = re.compile(r"(?<![\d])(?:\+46|0046|0)[\s-]?\(?\d\)?(?:[\s.-]?\d){6,10}(?!\d)")


def redact(text: str) -> str:
    """Replace URL paths (which carry site ad ids) and phone-like digit runs."""
    text = _URL_PATH.sub(lambda m: f"{m['origin']}/…", text)
    return _PHONE_LIKE.sub("<nummer>", text)


class RedactingFilter(logging.Filter):
    """Formats each record once, redacted, so handlers never see the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its arguments either
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the type and a redacted message; drop the traceback text's locals-free frames.
            exc = record.exc_info[1]
            record.msg += f" [{type(exc).__name__}: {redact(str(exc))}]"
            record.exc_info = None
            record.exc_text = None
        return True
