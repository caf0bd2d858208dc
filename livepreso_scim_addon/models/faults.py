"""What a database error means, and how to say it in one line without leaking data.

Shared by the 503 views (``views/unavailable.py``), the audit trail's after-the-fact
writer (``views/errors.py``), the start-up check of license groups and the support CLI.
"""

from __future__ import annotations

import re
import sqlite3

from sqlalchemy import exc as sa_exc

#: SQLite reports mistakes in SQL as OperationalError too; only these (primary) result
#: codes mean the database could not be used just now: another writer held it past the
#: busy timeout, a locked table, I/O error, disk full, cannot open.
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}


def sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code behind ``exc``, or None if SQLite did not raise it."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve now (rather than a bug in a query)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:  # a lost connection
        return True
    if isinstance(exc, sa_exc.OperationalError):
        # PostgreSQL: no connection, no answer in time, statement_timeout, a lock or
        # serialization conflict, shutdown, out of resources: all of them transient.
        code = sqlite_code(exc)
        return code is None or code in _SQLITE_UNAVAILABLE
    return False


_NO_SUCH_TABLE_OR_COLUMN = re.compile(r"no such (table|column)")  # SQLite's words for it
_UNDEFINED_TABLE_OR_COLUMN = {"42P01", "42703"}  # PostgreSQL's SQLSTATEs


def is_missing_schema(exc: BaseException) -> bool:
    """Whether ``exc`` says a table or column is missing: the migrations have not run."""
    cause = getattr(exc, "orig", None)
    if cause is None:
        return False
    return getattr(cause, "sqlstate", None) in _UNDEFINED_TABLE_OR_COLUMN or bool(
        _NO_SUCH_TABLE_OR_COLUMN.match(str(cause))
    )


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def describe(exc: BaseException) -> str:
    """``Type: first line`` of what failed: for a database error the driver's message,
    never the statement or its parameters (SQLAlchemy's own message carries both, and
    they may hold personal data)."""
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    return ": ".join(filter(None, (type(cause).__name__, first_line(cause))))
