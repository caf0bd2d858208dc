"""Support's console scripts: one command, one transaction, one line when it fails.

``livepreso-scim`` (``scripts/cli.py``) and the reference HQ's ``livepreso-hq`` are both a
:class:`Console`; a host may build its own the same way (this module is one of the
add-on's public entry points, docs/INTEGRATING.md). A command is a function
``(env, args, out)``: ``env`` is what ``pyramid.paster.bootstrap`` returns, its request's
URLs are the public ones (``scim.public_url``) and its ``dbsession`` in the command's
transaction.

Each command is bootstrapped from an ini file like Pyramid's own scripts and runs in one
transaction; what it prints is shown once that transaction has committed. A command that
writes takes SQLite's write lock first, like the server's writing requests, so it waits on
the busy timeout while the server writes. A secret is read before the transaction begins.
Every failure is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass

from pyramid.request import Request
from pyramid.scripting import prepare
from pyramid.scripts.common import get_config_loader
from sqlalchemy.exc import DBAPIError

from .models import begin_writing
from .models.faults import describe, first_line, is_missing_schema, sqlite_code

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A problem with what support asked for: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are a :class:`CommandError` (one line, status 2)."""

    def error(self, message):
        raise CommandError(message)


def read_line(path: str, what: str) -> str:
    """The first line of a file, or of stdin for '-': secrets never come from the command line."""
    if path == "-":
        return sys.stdin.readline().rstrip("\n")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")
    except OSError as error:
        raise CommandError(f"cannot read the {what}: {error.strerror}: {path}") from None


@dataclass(frozen=True)
class Console:
    """A console script: its commands (set as ``run`` on each subparser, with an optional
    ``read_secret(args)``), which of them only read, and how its tables are made."""

    prog: str
    build_parser: Callable[[], argparse.ArgumentParser]
    #: Whose tables a missing table or column means, and the command that makes them
    #: ("{ini}" is the ini file): the one line support sees on an unmigrated database.
    tables: str
    migrate: str
    #: Commands that only read: their transaction begins DEFERRED and never waits for
    #: SQLite's write lock (WAL lets them read beside a writer). The others write.
    read_only: frozenset = frozenset()

    def main(self, argv=None):
        sys.exit(self.run(sys.argv[1:] if argv is None else argv))

    def run(self, argv, out=None) -> int:
        """Run one command; returns the exit status: 0, or 2 after one line on stderr."""
        out = out or sys.stdout
        try:
            args = self._parse(list(argv))
            output = self._execute(args)
        except CommandError as error:
            print(f"{self.prog}: error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{self.prog}: interrupted", file=sys.stderr)
            return 130
        out.write(output)
        return 0

    def _parse(self, argv: list[str]):
        parser = self.build_parser()
        commands = next(
            (action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction)), {}
        )
        if argv and argv[0] in commands and not os.path.exists(argv[0]):
            # argparse would say "invalid choice" about the second word.
            raise CommandError(f"the ini file comes first: {self.prog} production.ini {' '.join(argv)}")
        return parser.parse_args(argv)

    def _execute(self, args) -> str:
        """The command's output; any failure becomes a CommandError with a one-line message."""
        env = _bootstrap(args.config_uri)
        try:
            if "read_secret" in args:
                # Asked for before the transaction begins: no lock is held while someone types.
                args.secret = args.read_secret(args)
            output = io.StringIO()
            with env["request"].tm:
                if args.run not in self.read_only:
                    # BEGIN IMMEDIATE on SQLite: a transaction that began DEFERRED gets
                    # 'database is locked' at once when it comes to write while the server
                    # writes, instead of waiting on the busy timeout.
                    begin_writing(env["request"].dbsession)
                args.run(env, args, output)
            return output.getvalue()
        except CommandError:
            raise
        except DBAPIError as error:
            raise CommandError(self._database_problem(error, args.config_uri)) from None
        except Exception as error:
            log.debug("%s %s failed", self.prog, args.command, exc_info=True)
            raise CommandError(f"unexpected {describe(error)}") from None
        finally:
            env["closer"]()
            engine = env["registry"].get("db_engine")
            if engine is not None:
                engine.dispose()

    def _database_problem(self, error: DBAPIError, config_uri: str) -> str:
        """What went wrong with the database, for support: no SQL, no parameters, no URL."""
        if sqlite_code(error) == sqlite3.SQLITE_BUSY:
            return (
                "the database is still locked by another writer after the busy timeout "
                "(scim.sqlite_busy_timeout_ms); try again"
            )
        if is_missing_schema(error):
            migrate = self.migrate.format(ini=config_uri.partition("#")[0])
            return f"the database lacks {self.tables} tables or columns: run the migrations ({migrate})"
        if error.statement is None:  # SQLAlchemy wraps a failed connect without a statement
            return f"cannot connect to the database: {first_line(error.orig)}"
        return f"database error: {first_line(error.orig)}"


def _bootstrap(config_uri):
    """What ``pyramid.paster.bootstrap`` returns, with logging set up from the same file.

    One plaster loader serves both: finding it reads every installed distribution's
    entry points, which took half of a command's time when done twice.
    """
    if not os.path.isfile(config_uri.partition("#")[0]):
        raise CommandError(f"no such config file: {config_uri}")
    try:
        loader = get_config_loader(config_uri)
        loader.setup_logging()
        app = loader.get_wsgi_app()
    except Exception as error:  # a broken file, or a setting the app refuses: its message says which
        raise CommandError(f"cannot load {config_uri}: {describe(error)}") from None
    # URLs the commands print are built, as the server builds them, from scim.public_url.
    public_url = app.registry["scim.settings"].public_url
    return prepare(request=Request.blank("/", base_url=public_url) if public_url else None, registry=app.registry)
