"""Database wiring: one engine, one transaction-bound session per request (pyramid_tm)."""

import os

from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import sessionmaker
import transaction
import zope.sqlalchemy

from .meta import Base  # noqa: F401
from . import scim  # noqa: F401  (register the tables on Base.metadata)


def database_url(settings) -> str:
    """``sqlalchemy.url``, or the environment variable ``scim.database_url_env`` names.

    production.ini names a variable so that no password sits in an ini file.
    """
    variable = settings.get("scim.database_url_env")
    if variable:
        url = os.environ.get(variable)
        if not url:
            raise RuntimeError(f"set the environment variable {variable} to the database URL")
        return url
    return settings["sqlalchemy.url"]


def get_engine(settings, prefix="sqlalchemy."):
    settings = {**settings, f"{prefix}url": database_url(settings)}
    engine = engine_from_config(settings, prefix)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, busy_timeout_ms=int(settings.get("scim.sqlite_busy_timeout_ms", 30000)))
    return engine


def _tune_sqlite(engine, busy_timeout_ms):
    """Make the embedded database behave under Okta's parallel requests.

    WAL lets readers run beside one writer. A transaction that will write starts
    with BEGIN IMMEDIATE (see ``begin_writing``) so that two writers queue on the
    busy timeout instead of one failing with 'database is locked' when it upgrades
    a read lock (after the SQLAlchemy documentation's pysqlite recipe); reads
    begin DEFERRED and never wait. LIKE is made case-sensitive so that caseExact
    filters mean the same on SQLite as on PostgreSQL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the "begin" event below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_WRITE_OPTION = "scim_will_write"


def begin_writing(dbsession) -> None:
    """Start the session's transaction as one that will write.

    On SQLite this takes the write lock up front (BEGIN IMMEDIATE); elsewhere it is
    an ordinary BEGIN. Call it before the first statement of a writing request.
    """
    dbsession.connection(execution_options={_WRITE_OPTION: True})


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


#: Every transaction ends in COMMIT, reads too. zope.sqlalchemy would roll back a
#: session that wrote nothing, and psycopg forgets its prepared statements on each
#: ROLLBACK, so PostgreSQL would plan every request's statements again (the user read,
#: sixty-odd columns over three joins, takes ~1.8 ms to plan and ~0.1 ms to run).
#: A COMMIT costs the same round trip. It also means a write that zope.sqlalchemy
#: does not see (raw SQL) is never silently rolled back.
_ENDS_IN_COMMIT = zope.sqlalchemy.datamanager.STATUS_CHANGED


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to ``transaction_manager``: it commits or aborts with it."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, initial_state=_ENDS_IN_COMMIT, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    """Add ``request.dbsession``, unless the host already provides one.

    A host HQ that has its own session (and so its own engine) sets
    ``scim.dbsession_provided = true`` and the add-on uses the host's.
    """
    settings = config.get_settings()
    config.include("pyramid_tm")
    if settings.get("scim.dbsession_provided", "false").lower() in ("true", "1", "yes"):
        return
    engine = settings.get("scim.engine") or get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine
    # zope.sqlalchemy's listeners cost more to attach to each new session than a
    # query costs to run, so sessions for pyramid_tm's default, thread-local manager
    # come from a factory they were attached to once. A host that gives each request a
    # manager of its own (``tm.manager_hook``) gets sessions joined one by one.
    joined_factory = get_session_factory(engine)
    zope.sqlalchemy.register(joined_factory, initial_state=_ENDS_IN_COMMIT, transaction_manager=transaction.manager)

    def dbsession(request):
        # pyramid_tm puts request.tm in place; tests may hand in their own session.
        session = request.environ.get("app.dbsession")
        if session is None:
            if request.tm is transaction.manager:
                session = joined_factory(info={"request": request})
            else:
                session = get_tm_session(session_factory, request.tm, request=request)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                begin_writing(session)
        return session

    config.add_request_method(dbsession, reify=True)
