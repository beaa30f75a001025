"""Isolated crawl processes: `lagesbild crawl --site NAME` in a child with a wall-clock timeout and a memory cap.

Twisted's reactor cannot restart in one process, and a crawl that hangs or leaks must not take
the scheduler down, so every scheduled crawl runs in its own process group:

- memory: RLIMIT_AS (address space) is set in the child before it starts, for HTTP sites; browser
  sites get a resident-memory watchdog over the whole process group instead, because Chromium
  reserves far more address space than it uses and refuses to start under RLIMIT_AS;
- time: after `crawl_timeout_s` the child gets SIGTERM (Scrapy stops gracefully and the run
  ends partial), then SIGKILL after a grace period;
- the child's stderr is read in memory and only its last line is kept, redacted.
"""
from __future__ import annotations

import logging
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from config.settings import Settings
from config.sites import SiteConfig
from crawler.logredact import redact

logger = logging.getLogger(__name__)

KILL_GRACE_S = 20.0  # SIGTERM first, SIGKILL this long after
POLL_S = 0.5
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# What a Python child says when its address space runs out: MemoryError, or, when the allocation fails inside
# the interpreter (often while importing), a SystemError with no exception set, or a failed shared-library map.
_OUT_OF_MEMORY = ("MemoryError", "Cannot allocate memory", "error return without exception set",
                  "returned NULL without setting an exception", "failed to map segment from shared object")

_running: dict[int, subprocess.Popen] = {}
_running_lock = threading.Lock()
_shutting_down = threading.Event()  # set by stop_all(): new children are not started


@dataclass(frozen=True)
class ChildResult:
    """How a crawl process ended."""

    site: str
    pid: int
    returncode: int
    started_at: datetime
    ended_at: datetime
    timed_out: bool = False
    memory_exceeded: bool = False
    last_error: str | None = None  # the last line the child wrote to stderr, redacted
    shutdown: bool = False  # stopped because the scheduler itself was stopping

    @property
    def signal_name(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    @property
    def abnormal(self) -> bool:
        """Ended other than by exiting 0 (a good run) or 1 (a run the crawl itself recorded as failed)."""
        return self.timed_out or self.memory_exceeded or self.shutdown or self.returncode not in (0, 1)

    def describe(self) -> str:
        """Why the process ended, in words (English; stored as a run note)."""
        if self.timed_out:
            return "crawl process killed after the wall-clock timeout"
        if self.shutdown:
            return "crawl process stopped: the scheduler was shutting down"
        if self.memory_exceeded:
            return "crawl process stopped at its memory cap (LAGESBILD_CRAWL_MEMORY_MB)"
        if self.signal_name:
            return f"crawl process ended by {self.signal_name}"
        if self.returncode not in (0, 1):
            return f"crawl process exited with code {self.returncode}"
        return "crawl process ended"


def uses_browser(site: SiteConfig) -> bool:
    """True when any of the site's pages is rendered in Chromium."""
    flag = getattr(site, "uses_browser", None)
    return bool(flag) if flag is not None else site.render != "http"


def crawl_command(site: str) -> list[str]:
    return [sys.executable, "-m", "lagesbild.cli", "crawl", "--site", site]


def _address_space_limit(limit_bytes: int):
    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def group_rss_bytes(pgid: int) -> int:
    """Resident memory of every process in process group `pgid` (Linux /proc; 0 elsewhere)."""
    total = 0
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid:  # fields after the command: state, ppid, pgrp, ...
                continue
            total += int((entry / "statm").read_text().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return total


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def run_crawl_process(site: SiteConfig, settings: Settings, *, env: dict[str, str] | None = None) -> ChildResult:
    """Crawl one site in a child process and wait for it (at most crawl_timeout_s plus a grace period)."""
    limit = settings.crawl_memory_mb * 1024 * 1024
    child_env = dict(os.environ if env is None else env)
    child_env["LAGESBILD_HOME"] = str(settings.resolved_home)  # the same data folder whatever the child's cwd
    child_env.setdefault("COLUMNS", "160")
    browser = uses_browser(site)
    started = datetime.now(timezone.utc)
    process = subprocess.Popen(
        crawl_command(site.name),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=child_env, start_new_session=True,
        preexec_fn=None if browser else _address_space_limit(limit),
    )
    with _running_lock:
        _running[process.pid] = process
        if _shutting_down.is_set():  # stop_all() ran while this child was starting
            _signal_group(process, signal.SIGTERM)
    lines: deque[str] = deque(maxlen=5)
    reader = threading.Thread(target=_read_lines, args=(process, lines), daemon=True)
    reader.start()
    logger.info("crawl of %s started in process %d", site.name, process.pid)
    timed_out = memory_exceeded = False
    deadline = time.monotonic() + settings.crawl_timeout_s
    try:
        while process.poll() is None:
            if time.monotonic() >= deadline:
                timed_out = True
                logger.error("crawl of %s ran longer than %d s: stopping it", site.name, settings.crawl_timeout_s)
                _stop(process)
                break
            if browser and group_rss_bytes(process.pid) > limit:
                memory_exceeded = True
                logger.error("crawl of %s uses more than %d MB: stopping it", site.name, settings.crawl_memory_mb)
                _stop(process)
                break
            time.sleep(POLL_S)
        process.wait()
    finally:
        with _running_lock:
            _running.pop(process.pid, None)
    reader.join(timeout=5)
    last = next((line for line in reversed(lines) if line.strip()), None)
    if not browser and any(sign in line for line in lines for sign in _OUT_OF_MEMORY):
        memory_exceeded = True  # the address-space limit: Python could not allocate
    result = ChildResult(site.name, process.pid, process.returncode, started, datetime.now(timezone.utc),
                         timed_out=timed_out, memory_exceeded=memory_exceeded,
                         last_error=None if last is None else _safe_error_line(last),
                         shutdown=(_shutting_down.is_set() and process.returncode not in (0, 1)
                                   and not (timed_out or memory_exceeded)))
    logger.info("crawl of %s ended (process %d, exit %s)", site.name, process.pid, process.returncode)
    return result


def _safe_error_line(line: str) -> str:
    """The child's last stderr line, fit for logs and alerts: the CLI's own one-line errors (which never
    hold ad data) redacted, and of anything else (a traceback) only the exception's type."""
    line = line.strip()
    if line.startswith("error: "):
        return redact(line)[:200]
    kind = re.match(r"^([A-Za-z_][\w.]*)(?=:|$)", line)
    return f"{kind.group(1)} in the crawl process" if kind else "unexpected output from the crawl process"


def _read_lines(process: subprocess.Popen, lines: deque[str]) -> None:
    assert process.stderr is not None
    for raw in process.stderr:
        lines.append(raw.decode("utf-8", errors="replace"))


def _stop(process: subprocess.Popen, grace_s: float = KILL_GRACE_S) -> None:
    """SIGTERM the child's process group, then SIGKILL it after `grace_s`."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
    else:
        _signal_group(process, signal.SIGKILL)  # a browser left behind in the group


def allow_new_children() -> None:
    """Undo stop_all() for a scheduler started again in the same process."""
    _shutting_down.clear()


def running_children() -> list[int]:
    with _running_lock:
        return list(_running)


def stop_all(grace_s: float = KILL_GRACE_S) -> None:
    """Stop every running crawl process (on scheduler shutdown): SIGTERM, then SIGKILL after `grace_s`."""
    with _running_lock:
        _shutting_down.set()
        processes = list(_running.values())
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
