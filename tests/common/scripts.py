"""Console scripts as support runs them: ini files, an app built once per ini file, and
the installed scripts in a process of their own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import plaster
import pytest

from . import ROOT

LOGGING = (
    "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
    "[logger_root]\nlevel = WARN\nhandlers = console\n"
    "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
    "[formatter_generic]\nformat = %(message)s\n"
)


def write_ini(path, **settings) -> str:
    """An ini file for the reference HQ whose logging, like production.ini's, goes to stderr."""
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    path.write_text(f"[app:main]\nuse = egg:livepreso_scim_addon\n{lines}{LOGGING}")
    return str(path)


class _LoaderWithApp:
    """A plaster loader whose WSGI app is already built; the rest is the real loader's."""

    def __init__(self, loader, app):
        self._loader, self._app = loader, app

    def get_wsgi_app(self, name=None, defaults=None):
        return self._app

    def __getattr__(self, name):
        return getattr(self._loader, name)


@contextlib.contextmanager
def app_built_once(path: str):
    """Bootstrapping the ini file at ``path`` gets the same app each time (building one
    costs more than most commands); yields that app."""
    get_loader = plaster.get_loader
    loader = get_loader(path, protocols=["wsgi"])
    app = loader.get_wsgi_app()
    shared = _LoaderWithApp(loader, app)

    def loader_for(config_uri, protocols=None):
        return shared if config_uri == path else get_loader(config_uri, protocols=protocols)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(plaster, "get_loader", loader_for)  # what pyramid's get_config_loader calls
            yield app
    finally:
        app.registry["db_engine"].dispose()


def console_script(name: str, *argv, timeout=60, **environ) -> subprocess.CompletedProcess:
    """The installed console script ``name`` in a shell like support's: no PYTHONWARNINGS
    (the Makefile sets one) and no database URL but the one given."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "SCIM_DATABASE_URL")}
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), name), *argv],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**env, **environ},
    )
