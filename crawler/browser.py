"""Finding a Chromium for browser-rendered sites: Playwright's own, else the system's, else install one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SYSTEM_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
INSTALL_HINT = (
    "no Chromium found for browser-rendered sites; install one with "
    "'apt-get install -y chromium' (Debian/Ubuntu) or 'playwright install chromium', "
    "or set LAGESBILD_CHROMIUM to its path"
)


class BrowserNotFound(Exception):
    """No usable Chromium on this machine."""


def _playwright_managed() -> Path | None:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not root.is_dir():
        return None
    patterns = ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell")
    for pattern in patterns:
        candidates = sorted(root.glob(pattern), reverse=True)
        for candidate in candidates:
            if os.access(candidate, os.X_OK):
                return candidate
    return None


def _system() -> Path | None:
    for name in SYSTEM_CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def find_chromium() -> Path:
    """The Chromium to launch: $LAGESBILD_CHROMIUM, Playwright's own, then a system one."""
    override = os.environ.get("LAGESBILD_CHROMIUM")
    if override:
        path = Path(override)
        if not os.access(path, os.X_OK):
            raise BrowserNotFound(f"LAGESBILD_CHROMIUM={override} is not an executable file")
        return path
    found = _playwright_managed() or _system()
    if found is None:
        raise BrowserNotFound(INSTALL_HINT)
    return found


def ensure_chromium() -> Path:
    """find_chromium(), installing Debian's chromium with apt-get when running as root."""
    try:
        return find_chromium()
    except BrowserNotFound:
        if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("Installing Debian's chromium with apt-get …", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return find_chromium()


def launch_options(executable: Path) -> dict:
    """Playwright launch options for a headless Chromium on a closed network."""
    return {"executable_path": str(executable), "headless": True, "args": list(CHROMIUM_ARGS)}


if __name__ == "__main__":  # used by `make`: python -m crawler.browser --ensure
    try:
        path = ensure_chromium() if "--ensure" in sys.argv else find_chromium()
    except (BrowserNotFound, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    print(path)
