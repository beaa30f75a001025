"""Fixtures of the output tests: the synthetic market (webdata) in a store, users of every role, the app."""
from __future__ import annotations

import pytest

from config.settings import Settings
from store import open_store
from web import auth

from webdata import GEO, PASSWORDS, ROLES, TODAY, fill_market


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2id with small parameters, so the many logins of these tests stay fast (the format is the same)."""
    from argon2 import PasswordHasher

    saved = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    yield
    auth._hasher = saved


@pytest.fixture(scope="session")
def market(tmp_path_factory):
    """(store, settings) of a SQLite database with the synthetic market and one user per role."""
    home = tmp_path_factory.mktemp("market")
    settings = Settings(home=home)
    store = open_store(settings.resolved_database_url)
    fill_market(store)
    for name, password in PASSWORDS.items():
        auth.add_user(store, name, password, ROLES[name])
    yield store, settings
    store.close()


@pytest.fixture(scope="session")
def web_app(market):
    from web.app import create_app

    store, settings = market
    return create_app(store, settings, GEO, secret="test-secret-" + "x" * 40, today=lambda: TODAY)


@pytest.fixture
def client(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client
