"""Database wiring: one engine, one transaction-bound session per request (pyramid_tm)."""

import os
import sqlite3
import threading
import time
from dataclasses import dataclass

from sqlalchemy import engine_from_config, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import sessionmaker
import transaction
import zope.sqlalchemy
from pyramid_retry import mark_error_retryable

from ..settings import load_settings
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


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long a request may wait on PostgreSQL, in seconds (``scim.db_*`` settings).

    Okta gives up on a SCIM call after about 60 s and counts it failed; the add-on
    answers 503 well before. A request's worst case is a wait for a pooled connection
    (``sqlalchemy.pool_timeout``, 10 s by default), a new connection and one
    unanswered round trip: 10 + 5 + 16 s with the defaults.
    """

    #: The whole connection handshake (libpq ``connect_timeout``: whole seconds, at
    #: least 2).
    connect: int = 5
    #: Any statement, server side (PostgreSQL ``statement_timeout``). Client side, a
    #: round trip unanswered for this long plus ``ANSWER_GRACE`` ends the connection.
    statement: float = 15.0

    #: A pooled connection idle for longer is pinged before a request gets it
    #: (``_ping_when_idle``); 0 pings none.
    ping_after_idle: float = 2.0

    #: Time for the server's own statement_timeout error to reach us first.
    ANSWER_GRACE = 1.0

    @classmethod
    def from_settings(cls, settings):
        idle = settings.get("scim.db_ping_after_idle")
        return cls(
            connect=int(settings.get("scim.db_connect_timeout") or cls.connect),
            statement=float(settings.get("scim.db_statement_timeout") or cls.statement),
            ping_after_idle=float(idle) if idle not in (None, "") else cls.ping_after_idle,
        )


def get_engine(settings, prefix="sqlalchemy."):
    settings = {**settings, f"{prefix}url": database_url(settings)}
    is_psycopg = make_url(settings[f"{prefix}url"]).get_driver_name() == "psycopg"
    if is_psycopg:
        settings.setdefault(f"{prefix}pool_timeout", "10")  # SQLAlchemy's default is 30 s
    engine = engine_from_config(settings, prefix)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, busy_timeout_ms=int(settings.get("scim.sqlite_busy_timeout_ms", 30000)))
    elif is_psycopg:
        timeouts = DatabaseTimeouts.from_settings(settings)
        _bound_postgresql(engine, timeouts)
        pings_always = str(settings.get(f"{prefix}pool_pre_ping", "")).lower() in ("true", "1", "yes", "on")
        if not pings_always and timeouts.ping_after_idle > 0:
            _ping_when_idle(engine, timeouts.ping_after_idle)
    return engine


def _ping_when_idle(engine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it has been idle ``idle_seconds``.

    ``pool_pre_ping`` pings on every checkout: a round trip as long as a GET's own
    statement. A connection returned a moment ago is alive but for a server or proxy that
    restarted in that moment; its statement then fails, SQLAlchemy invalidates the pool
    and the request runs again on a new connection (``_bound_postgresql``). A connection
    idle for longer (the first request after a restart, a quiet night, a proxy that drops
    idle links) is pinged first and replaced if dead (the pool's DisconnectionError
    recipe). Either way nobody sees an error.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["scim_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("scim_idle_since")  # None: a new connection
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"a pooled connection idle for {idle_seconds:g} s or more was dead") from error


def _bound_postgresql(engine, timeouts: DatabaseTimeouts):
    """Every wait on PostgreSQL ends, and the server plans these short statements without JIT.

    ``statement_timeout`` only bounds what the server runs: a server or link that
    takes the query and never answers (a hung host, a firewall dropping replies)
    leaves the client waiting forever, and TCP keepalives do not help while the peer
    still acknowledges. psycopg's synchronous API has no query timeout, but every wait
    on a connection goes through ``Connection.wait``, which takes one: a subclass
    bounds them all (statements, commits, the pool's pre-ping, rollbacks) with no
    thread or timer per statement.

    JIT compilation costs tens of milliseconds and saves nothing on statements that
    run in a fraction of one; the planner reaches for it whenever statistics are
    missing or stale.
    """
    import psycopg  # the "postgres" extra

    if not hasattr(psycopg.errors, "_WaitTimeout"):  # Connection.wait takes a timeout since 3.3
        raise RuntimeError(f"livepreso_scim_addon needs psycopg 3.3 or newer, not {psycopg.__version__}")
    answer_timeout = timeouts.statement + timeouts.ANSWER_GRACE

    class BoundedConnection(psycopg.Connection):
        def wait(self, gen, *args, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = answer_timeout
            try:
                return super().wait(gen, *args, **kwargs)
            except psycopg.errors._WaitTimeout:  # internal: psycopg asks callers to convert it
                # The answer may still come, so the connection's state is unknown: it
                # is closed, and SQLAlchemy then drops it as disconnected.
                self.pgconn.finish()
                raise NoAnswer(f"the database did not answer within {answer_timeout:g} s") from None

    class NoAnswer(psycopg.OperationalError):
        """A round trip left unanswered: not worth running the request again."""

    @event.listens_for(engine, "handle_error")
    def _stale_connection_reruns_the_request(context):
        # A statement that found its pooled connection dead (a server or proxy restarted
        # since the connection was last used, within the idle ping's window): nothing it
        # sent took effect, and SQLAlchemy has invalidated the pool, so pyramid_retry
        # runs the request again on a new connection. A server that does not answer, or
        # one that refuses connections, is no reason: that request answers 503 at once.
        if context.is_disconnect and context.execution_context is not None and not isinstance(
            context.original_exception, NoAnswer
        ):
            mark_error_retryable(context.sqlalchemy_exception)

    server_options = f"-c statement_timeout={round(timeouts.statement * 1000)} -c jit=off"

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect, _record, cargs, cparams):
        # Keep the options the URL or connect_args set (a search_path, say); ours
        # come last so the scim.db_* settings win and match the client-side bound.
        cparams["options"] = " ".join(filter(None, [cparams.get("options"), server_options]))
        cparams["connect_timeout"] = timeouts.connect
        return BoundedConnection.connect(*cargs, **cparams)


def _tune_sqlite(engine, busy_timeout_ms):
    """Make the embedded database behave under Okta's parallel requests.

    WAL lets readers run beside one writer. A transaction that will write starts
    with BEGIN IMMEDIATE (see ``begin_writing``) so that two writers queue on the
    busy timeout instead of one failing with 'database is locked' when it upgrades
    a read lock (after the SQLAlchemy documentation's pysqlite recipe); reads
    begin DEFERRED and never wait. Nothing here changes what a query means: caseExact
    filters compare without LIKE (``models/filtering.py``), so a host's own SQLite
    engine answers them alike.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the "begin" event below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers of this process take turns on a lock of their own before BEGIN IMMEDIATE,
    # and each is woken the moment the one before it ends. Left to SQLite's busy handler
    # they would poll with growing sleeps (1, 2, 5, ... 100 ms): throughput holds, but at
    # eight parallel writers one in a hundred waited most of a second. Other processes
    # (support's commands, a second server) still queue on the busy timeout.
    writers = threading.Lock()
    wait = busy_timeout_ms / 1000

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        options = connection.get_execution_options()
        if options.get(_READ_OPTION):
            return  # each statement its own transaction (read_engine)
        if not options.get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        info = connection.connection.info
        if not info.get(_HOLDS_WRITERS_LOCK):
            if not writers.acquire(timeout=wait):
                raise sa_exc.OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked (by this process's writers)")
                )
            info[_HOLDS_WRITERS_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    def _release(info) -> None:
        if info.pop(_HOLDS_WRITERS_LOCK, False):
            writers.release()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        # The transaction has ended (committed, or rolled back on its way to the pool).
        _release(record.info)


_WRITE_OPTION = "scim_will_write"
_HOLDS_WRITERS_LOCK = "scim_holds_writers_lock"
_READ_OPTION = "scim_reads_only"


def read_engine(engine):
    """``engine`` for requests that only read: no BEGIN, no COMMIT, each statement on its own.

    A SCIM GET is a token check and a read; wrapped in a transaction it costs two more
    round trips to PostgreSQL (BEGIN, COMMIT) than the statements themselves. Under READ
    COMMITTED each statement sees its own snapshot anyway, so nothing a reader sees
    changes. The one write a GET may make (a token's use, once a minute) commits on its
    own. psycopg switches autocommit on the client, without a round trip, and SQLAlchemy
    sets it back when the connection returns to the pool. SQLite: no BEGIN is sent (see
    ``_tune_sqlite``), so its statements run in autocommit too.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{_READ_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{_READ_OPTION: True})


def is_autocommit(dbsession) -> bool:
    """Whether this session's statements commit one by one (a read-only request's)."""
    return bool(dbsession.get_bind().get_execution_options().get(_READ_OPTION))


def begin_writing(dbsession) -> None:
    """Start the session's transaction as one that will write.

    On SQLite this takes the write lock up front (BEGIN IMMEDIATE); elsewhere it is
    an ordinary BEGIN. Call it before the first statement of a writing request.
    """
    dbsession.connection(execution_options={_WRITE_OPTION: True})


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


#: Every transaction ends in COMMIT, an HQ page's reads too (SCIM reads have none:
#: ``read_engine``). zope.sqlalchemy would roll back a
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
    # pyramid_tm would authenticate every request (to note the user on the transaction,
    # which nothing here reads) outside Pyramid's exception views: a database fault
    # while it loads a token or a session would escape as a bare 500.
    settings.setdefault("tm.annotate_user", "false")
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
    # Both factories, for a test to bind to the one connection its savepoint is on.
    config.registry["joined_dbsession_factory"] = joined_factory

    # SCIM reads (GET and HEAD under the SCIM prefix) run without a transaction
    # (read_engine). Only there: an HQ or SSO page that answers a GET may write (the SSO
    # callback does), and its writes must commit whole or not at all.
    read_factory = get_session_factory(read_engine(engine))
    zope.sqlalchemy.register(read_factory, initial_state=_ENDS_IN_COMMIT, transaction_manager=transaction.manager)
    config.registry["read_dbsession_factory"] = read_factory
    # The add-on's includeme parsed the settings already; a host (or the benchmark's bare
    # app) may include the models alone.
    scim_settings = config.registry.get("scim.settings") or load_settings(settings)
    scim_paths = scim_settings.route_prefix + "/"

    def dbsession(request):
        # pyramid_tm puts request.tm in place; tests may hand in their own session.
        session = request.environ.get("app.dbsession")
        if session is None:
            reads_scim = request.method in ("GET", "HEAD") and request.path_info.startswith(scim_paths)
            if request.tm is transaction.manager:
                session = (read_factory if reads_scim else joined_factory)(info={"request": request})
            else:
                session = get_tm_session(session_factory, request.tm, request=request)
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                begin_writing(session)
        return session

    config.add_request_method(dbsession, reify=True)
