"""The shipped ini files: production takes its database from the environment, holds no secret;
each Alembic history has its section."""

from __future__ import annotations

import configparser
import os

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from pyramid.paster import get_appsettings

from livepreso_scim_addon.models import database_url
from livepreso_scim_addon.models.migrations import ADDON, REFERENCE_HQ
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


@pytest.mark.parametrize("name", ["development.ini", "production.ini"])
def test_ini_files_hold_each_alembic_history_apart(name):
    """`make migrate`: `alembic -c INI upgrade head` runs the reference HQ's history (the
    default section, where a real HQ's own stands), `alembic -c INI -n scim_alembic upgrade
    head` the add-on's; each holds only its own revisions, on one line of descent."""
    path = os.path.join(ROOT, name)
    for section, history, prefix in (("alembic", REFERENCE_HQ, "hq_"), ("scim_alembic", ADDON, "scim_")):
        config = Config(path, ini_section=section)
        assert config.get_main_option("script_location") == history.script_location
        script = ScriptDirectory.from_config(config)
        assert len(script.get_heads()) == 1
        assert all(revision.revision.startswith(prefix) for revision in script.walk_revisions())


def test_rate_limits_are_off_in_development_and_on_in_production():
    """development.ini: no limit (make run, trials). production.ini: per token well above
    the 25 requests/s Entra's SCIM guidance asks an endpoint to sustain, with bursts, and
    a limit for requests without a valid token (ratelimit.py)."""
    from livepreso_scim_addon.ratelimit import rate_limits_from
    from livepreso_scim_addon.settings import load_settings

    development = load_settings(get_appsettings(os.path.join(ROOT, "development.ini")))
    assert rate_limits_from(development) is None
    production = load_settings(get_appsettings(os.path.join(ROOT, "production.ini")))
    assert production.rate_limit_per_minute >= 25 * 60
    assert production.rate_limit_burst >= 100
    assert production.rate_limit_unauthenticated_per_minute > 0
    limits = rate_limits_from(production)
    assert limits.tokens is not None and limits.addresses is not None
