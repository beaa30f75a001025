"""How the crawl child's end is read: an address-space cap shows up as MemoryError or, when an allocation fails
inside the interpreter, as a SystemError with no exception set; both are the memory cap, other errors are not."""
from __future__ import annotations

import sys

import pytest

from config.settings import BUNDLED_SITES_DIR, Settings
from config.sites import get_site
from scheduler import child


@pytest.mark.parametrize("last_line, capped", [
    ("MemoryError", True),
    ("SystemError: error return without exception set", True),
    ("SystemError: <function _find_and_load at 0x7f> returned NULL without setting an exception", True),
    ("ImportError: libfoo.so: failed to map segment from shared object", True),
    ("ValueError: something else went wrong", False),
])
def test_an_out_of_memory_end_is_read_as_the_memory_cap(monkeypatch, tmp_path, last_line, capped):
    site = get_site(BUNDLED_SITES_DIR, "nattsida")  # plain HTTP: the address-space limit applies
    script = f"import sys; sys.stderr.write({last_line!r} + '\\n'); sys.exit(1)"
    monkeypatch.setattr(child, "crawl_command", lambda name: [sys.executable, "-c", script])
    result = child.run_crawl_process(site, Settings(home=tmp_path, crawl_memory_mb=512))
    assert result.returncode == 1 and result.memory_exceeded is capped
    assert ("memory cap" in result.describe()) is capped
