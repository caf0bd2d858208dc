"""Console scripts as support runs them: ini files, an app built once per ini file, the
installed scripts in a process of their own, and SQLite's write lock held beside them."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import threading
import time

import plaster
import pytest
import sqlalchemy as sa

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


def printed(console, ini, *args, status=0) -> str:
    """What ``console`` (a ``commands.Console``) prints for one command, in process; its
    exit status checked."""
    out = io.StringIO()
    assert console.run([ini, *args], out=out) == status
    return out.getvalue()


def one_line_failure(console, capsys, *argv) -> str:
    """Run a command that must fail: nothing on stdout, one line on stderr, status 2."""
    capsys.readouterr()
    out = io.StringIO()
    assert console.run(list(argv), out=out) == 2
    err = capsys.readouterr().err
    assert out.getvalue() == "" and err.startswith(f"{console.prog}: error: ") and err.count("\n") == 1, err
    return err


def console_script(name: str, *argv, timeout=60, **environ) -> subprocess.CompletedProcess:
    """The installed console script ``name`` in a shell like support's: no PYTHONWARNINGS
    (the Makefile sets one) and no database URL but the one given."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "SCIM_DATABASE_URL")}
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), name), *argv],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**env, **environ},
    )


# --- SQLite's write lock, as the server holds it while support runs a command ---------


@contextlib.contextmanager
def write_lock(database_path):
    """Another connection holding SQLite's write lock, as a server's writing request does."""
    holder = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.close()  # rolls back: nothing was written


def seconds_waited_for_the_write_lock(database_path, command, hold: float = 0.3) -> float:
    """Run ``command()`` while another connection takes SQLite's write lock the moment the
    command connects and releases it ``hold`` seconds later; how long after the lock was
    taken the command finished (a writer that waited: at least ``hold``)."""
    holder = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    locked_at, release = [], threading.Timer(hold, holder.execute, ("COMMIT",))

    def lock_before_the_command_begins(_connection):
        if not locked_at:
            holder.execute("BEGIN IMMEDIATE")
            locked_at.append(time.monotonic())
            release.start()

    sa.event.listen(sa.engine.Engine, "engine_connect", lock_before_the_command_begins)
    try:
        command()
        finished_at = time.monotonic()
    finally:
        sa.event.remove(sa.engine.Engine, "engine_connect", lock_before_the_command_begins)
        if locked_at:
            release.join(timeout=10)
        holder.close()
    assert locked_at, "the command never connected"
    return finished_at - locked_at[0]


class TypedWhileTheDatabaseIsFree(io.StringIO):
    """stdin that checks, as support types, that the command holds no write lock yet."""

    def __init__(self, text, database_path):
        super().__init__(text)
        self.database_path = database_path

    def readline(self, *args):
        probe = sqlite3.connect(self.database_path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # 'database is locked' at once if the command held it
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        return super().readline(*args)
