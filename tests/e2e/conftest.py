"""End-to-end fixtures: the sandbox sites on 127.0.0.1 and a crawl of them into a fresh data folder."""
from __future__ import annotations

import pytest

from sandbox.server import SandboxServer
from support import init_keys, run_cli


@pytest.fixture(scope="session")
def sandbox():
    with SandboxServer(port=0).start() as server:
        yield server


@pytest.fixture(scope="session")
def truth(sandbox):
    return sandbox.truth()


@pytest.fixture(scope="session")
def crawled_home(sandbox, tmp_path_factory):
    """A data folder after `lagesbild crawl --all` of both sandbox sites."""
    home = tmp_path_factory.mktemp("home")
    init_keys(home)
    result = run_cli("crawl", "--all", home=home, sandbox_url=sandbox.url)
    assert result.returncode == 0, result.stdout + result.stderr
    return home
