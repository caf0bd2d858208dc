"""The shipped ini files: production takes its database from the environment, holds no secret."""

from __future__ import annotations

import configparser
import os

import pytest
from pyramid.paster import get_appsettings

from livepreso_scim_addon.models import database_url
from tests.common import ROOT


def test_production_reads_the_database_url_from_the_environment(monkeypatch):
    settings = get_appsettings(os.path.join(ROOT, "production.ini"))
    monkeypatch.setenv("SCIM_DATABASE_URL", "postgresql+psycopg://scim:pw@db.internal/livepreso")
    assert database_url(settings) == "postgresql+psycopg://scim:pw@db.internal/livepreso"
    monkeypatch.delenv("SCIM_DATABASE_URL")
    with pytest.raises(RuntimeError, match="SCIM_DATABASE_URL"):
        database_url(settings)


@pytest.mark.parametrize("name", ["development.ini", "production.ini"])
def test_no_secret_and_no_debug_toolbar_in_ini_files(name):
    parser = configparser.RawConfigParser()
    parser.read(os.path.join(ROOT, name))
    app = dict(parser.items("app:main"))
    assert "pyramid_debugtoolbar" not in app.get("pyramid.includes", "")
    assert "sqlalchemy.url" not in app or "@" not in app["sqlalchemy.url"]  # no credentials
    for key in app:
        assert not any(word in key for word in ("secret", "password")), key


def test_development_sqlite_is_set_up_for_parallel_requests():
    settings = get_appsettings(os.path.join(ROOT, "development.ini"))
    assert settings["sqlalchemy.url"].startswith("sqlite:///")
    assert int(settings["scim.sqlite_busy_timeout_ms"]) >= 10000


def test_ini_files_name_the_public_url(monkeypatch):
    from livepreso_scim_addon.settings import load_settings

    development = get_appsettings(os.path.join(ROOT, "development.ini"))
    assert load_settings(development).public_url == "http://127.0.0.1:6543"
    monkeypatch.setenv("SCIM_PUBLIC_URL", "https://hq.example.com")
    assert load_settings(get_appsettings(os.path.join(ROOT, "production.ini"))).public_url == "https://hq.example.com"
