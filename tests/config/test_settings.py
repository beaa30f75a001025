"""LAGESBILD_* settings: every bad value is named by its variable, in one line, exit 2 — ports range-checked and a
bad database URL named as LAGESBILD_DATABASE_URL before anything tries to open it."""
from __future__ import annotations

import pytest

from config.errors import ConfigError
from config.settings import load_settings
from support import run_cli


@pytest.mark.parametrize("variable, value, problem", [
    ("SMTP_PORT", "99999", "must be a port number from 1 to 65535"),
    ("SMTP_PORT", "0", "must be a port number from 1 to 65535"),
    ("DATABASE_URL", "postgresql://127.0.0.1:abc/test", "is not a database URL"),
    ("DATABASE_URL", "postgresql://127.0.0.1:99999/test", "port must be from 1 to 65535"),
    ("DATABASE_URL", "mysql://127.0.0.1/x", "unsupported database 'mysql'"),
    ("DATABASE_URL", "nonsense", "is not a database URL"),
    ("SANDBOX_URL", "http://127.0.0.1:99999", "is not a URL"),
    ("SANDBOX_URL", "127.0.0.1:8765", "must be an http:// URL"),
])
def test_a_bad_value_names_its_variable(monkeypatch, variable, value, problem):
    monkeypatch.setenv(f"LAGESBILD_{variable}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"environment: LAGESBILD_{variable}: ") and problem in str(caught.value)


def test_every_bad_value_is_named_not_only_the_first(monkeypatch):
    monkeypatch.setenv("LAGESBILD_SMTP_PORT", "99999")
    monkeypatch.setenv("LAGESBILD_LEASE_TTL_S", "0")
    monkeypatch.setenv("LAGESBILD_RETENTION_DAYS", "many")
    message = str(pytest.raises(ConfigError, load_settings).value)
    for variable in ("LAGESBILD_SMTP_PORT", "LAGESBILD_LEASE_TTL_S", "LAGESBILD_RETENTION_DAYS"):
        assert variable in message


def test_the_cli_names_a_bad_database_url_in_one_line_without_a_traceback(tmp_path):
    result = run_cli("runs", home=tmp_path, database_url="postgresql://127.0.0.1:abc/test")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: environment: LAGESBILD_DATABASE_URL: is not a database URL")
