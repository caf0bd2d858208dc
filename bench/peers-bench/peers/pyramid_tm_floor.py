"""Stack floor: pyramid-floor's route inside the stack the add-on must use for every request.

The design card requires pyramid_tm + zope.sqlalchemy + SQLAlchemy 2 on every request, so
no add-on GET can cost less than: a transaction from pyramid_tm, a SQLAlchemy Session
joined to it by zope.sqlalchemy (the Pyramid cookiecutter's ``request.dbsession``), and
one statement -- here a prebuilt Core primary-key lookup on a one-row table, the least a
token check can cost. The answer is pyramid_floor's (same route, same fixed JSON, only the
id substituted), so "add-on ÷ this" is how far the add-on is from the cheapest request its
required stack allows, and "this ÷ pyramid-floor" is what the stack itself costs.

Database from ``FLOOR_DATABASE_URL`` (``sqlite:///path`` or ``postgresql+psycopg://...``);
``make_app()`` creates the table and its row if missing. Serve from bench/peers-bench:
    FLOOR_DATABASE_URL=sqlite:////tmp/floor.sqlite \\
    waitress-serve --listen=127.0.0.1:6640 --threads=8 --call peers.pyramid_tm_floor:make_app
"""
import os

import sqlalchemy as sa
import transaction
import zope.sqlalchemy
from pyramid.config import Configurator
from sqlalchemy.orm import sessionmaker

from peers.pyramid_floor import get_user

TOKEN_ID = "floor-token"
_tokens = sa.Table("floor_tokens", sa.MetaData(),
                   sa.Column("id", sa.String, primary_key=True), sa.Column("instance_id", sa.Integer))
_TOKEN_BY_ID = sa.select(_tokens.c.instance_id).where(_tokens.c.id == sa.bindparam("id"))


def get_user_checked(request):
    request.dbsession.connection().execute(_TOKEN_BY_ID, {"id": TOKEN_ID}).scalar_one()
    return get_user(request)


def make_app():
    engine = sa.create_engine(os.environ["FLOOR_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA journal_mode=WAL"))
    _tokens.metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(_TOKEN_BY_ID, {"id": TOKEN_ID}).first() is None:
            conn.execute(_tokens.insert().values(id=TOKEN_ID, instance_id=1))
    factory = sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    zope.sqlalchemy.register(factory, transaction_manager=transaction.manager)

    def dbsession(request):
        return factory()

    # tm.annotate_user off, as the add-on sets it (no security policy to ask here anyway).
    with Configurator(settings={"tm.annotate_user": "false"}) as config:
        config.include("pyramid_tm")
        config.add_request_method(dbsession, reify=True)
        config.add_route("user", "/scim/v2/Users/{id}")
        config.add_view(get_user_checked, route_name="user", request_method="GET")
        return config.make_wsgi_app()
