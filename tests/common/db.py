"""Each test's database, and what a test may read of the statements the app sends.

By default a test runs inside a savepoint, as Warehouse's tests do: one connection
holds a transaction open for the whole test, the app's session factories are bound to
that connection with ``join_transaction_mode="create_savepoint"``, so every request's
session (and every factory's, and the test's own ``dbsession``) works in a SAVEPOINT
of its own; pyramid_tm's COMMIT becomes RELEASE SAVEPOINT, an abort becomes ROLLBACK TO
SAVEPOINT, and at the end the whole transaction is rolled back: nothing is left behind
and nothing needs emptying.

A test marked ``commits`` gets real commits instead, then empty tables: requests from
other threads (a live server), other processes or other connections (the CLI's own
app, a lock held from outside, query plans read beside the data) cannot see into the
test's transaction. On SQLite the savepoints need the pysqlite recipe the app already
follows (``models._tune_sqlite``: no implicit BEGIN, an explicit one on "begin").
"""

from __future__ import annotations

import contextlib
import re
from typing import NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

from livepreso_scim_addon.hq.models import HqBase
from livepreso_scim_addon.models import Base

#: The marker that asks for real commits (registered in pytest.ini).
COMMITS = "commits"

_TABLES = [*reversed(Base.metadata.sorted_tables), *reversed(HqBase.metadata.sorted_tables)]


def empty_tables(engine) -> None:
    """Delete every row a test committed (PostgreSQL: TRUNCATE, which also drops the
    planner's row estimates, so no test's rows bias another's query plans)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in _TABLES)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in _TABLES:
                connection.execute(table.delete())


def tables_with_rows(engine) -> list[str]:
    """The tables that hold any row, in one statement."""
    probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in _TABLES)
    with engine.connect() as connection:
        return list(connection.exec_driver_sql(probe).scalars())


def session_factories(registry) -> list:
    """The app's sessionmakers: requests on pyramid_tm's default manager use the joined one,
    SCIM reads the one without transactions (``models.read_engine``)."""
    return [registry["dbsession_factory"], registry["joined_dbsession_factory"], registry["read_dbsession_factory"]]


class CheckSession(Session):
    """The test's own session inside a savepoint test, on the test's connection.

    Requests release their savepoints inside this session's own (it stays open from its
    first read): rolling back to it would undo them. ``rollback()`` (which tests call to
    see what requests did since) keeps everything and forgets what was loaded instead.
    """

    def rollback(self) -> None:
        self.expunge_all()
        self.commit()


class TestTransaction:
    """The transaction a savepoint test runs in; ``bind(app)`` puts an app's sessions in it."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, engine):
        self.engine = engine
        self.connection = engine.connect()
        self._outer = self.connection.begin()
        self._bound: list[tuple[object, dict]] = []

    def bind(self, app) -> None:
        """Sessions of ``app`` (an app on the same database) join this test's transaction."""
        for factory in session_factories(app.registry):
            self._bound.append((factory, dict(factory.kw)))
            factory.configure(bind=self.connection, join_transaction_mode="create_savepoint")

    def session(self) -> Session:
        return CheckSession(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    @contextlib.contextmanager
    def nested(self):
        """The test connection inside a savepoint of its own, rolled back at the end of the block."""
        savepoint = self.connection.begin_nested()
        try:
            yield self.connection
        finally:
            savepoint.rollback()

    def close(self) -> None:
        for factory, kw in reversed(self._bound):
            factory.kw = kw
        self._outer.rollback()
        self.connection.close()


# --- what the app sends -----------------------------------------------------------------

_SAVEPOINT = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


class Sent(NamedTuple):
    statement: str
    parameters: object


@contextlib.contextmanager
def statements_sent(engine):
    """Every statement sent to ``engine`` while the block runs, in order, with its
    parameters; without the SAVEPOINT statements a savepoint test adds around requests."""
    sent: list[Sent] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not _SAVEPOINT.match(statement):
            sent.append(Sent(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
