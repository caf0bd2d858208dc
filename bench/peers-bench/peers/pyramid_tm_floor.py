"""Stack floor: pyramid-floor's route inside the stack the add-on must use for every request.

The design card requires pyramid_tm + zope.sqlalchemy + SQLAlchemy 2 on every request, so
no add-on GET can cost less than: a transaction from pyramid_tm, a SQLAlchemy Session
joined to it by zope.sqlalchemy (the Pyramid cookiecutter's ``request.dbsession``), and
one statement -- here a prebuilt Core primary-key lookup on a one-row table, the least a
token check can cost. The answer is pyramid_floor's (same route, same fixed JSON, only the
id substituted), so "add-on ÷ this" is how far the add-on is from the cheapest request its
required stack allows, and "this ÷ pyramid-floor" is what the stack itself costs.

Writes the same way: POST /Users is the token read and one INSERT of the id and the
lower-cased userName (ON CONFLICT DO NOTHING: a taken name answers 409), PATCH /Users/{id}
the token read and one UPDATE of ``active`` (204), each in a transaction of its own, as
the least a create, a duplicate create or a deactivation can cost on this stack. GET does
not read these rows back (its answer stays pyramid_floor's), so the harness's check after
the deactivations reports them unverified.

Database from ``FLOOR_DATABASE_URL`` (``sqlite:///path`` or ``postgresql+psycopg://...``);
``make_app()`` creates the table and its row if missing. Serve from bench/peers-bench:
    FLOOR_DATABASE_URL=sqlite:////tmp/floor.sqlite \\
    waitress-serve --listen=127.0.0.1:6640 --threads=8 --call peers.pyramid_tm_floor:make_app
"""
import os

import sqlalchemy as sa
import transaction
import zope.sqlalchemy
import json
import uuid

from pyramid.config import Configurator
from pyramid.response import Response
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from peers.pyramid_floor import get_user

TOKEN_ID = "floor-token"
_tokens = sa.Table("floor_tokens", sa.MetaData(),
                   sa.Column("id", sa.String, primary_key=True), sa.Column("instance_id", sa.Integer))
_TOKEN_BY_ID = sa.select(_tokens.c.instance_id).where(_tokens.c.id == sa.bindparam("id"))


_users = sa.Table("floor_users", _tokens.metadata, sa.Column("id", sa.String, primary_key=True),
                  sa.Column("user_name_ci", sa.String, unique=True), sa.Column("active", sa.Boolean))
_INSERTS = {
    name: dialect.insert(_users).values(id=sa.bindparam("new_id"), user_name_ci=sa.bindparam("name"), active=True)
    .on_conflict_do_nothing().returning(_users.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_SET_ACTIVE = _users.update().where(_users.c.id == sa.bindparam("user_id")).values(active=sa.bindparam("is_active"))


def _checked(request):
    """The session's connection, once the token's row was read."""
    connection = request.dbsession.connection()
    connection.execute(_TOKEN_BY_ID, {"id": TOKEN_ID}).scalar_one()
    return connection


def get_user_checked(request):
    _checked(request)
    return get_user(request)


def create_user(request):
    connection = _checked(request)
    name = request.json_body["userName"]
    new_id = connection.execute(_INSERTS[connection.dialect.name], {"new_id": str(uuid.uuid4()), "name": name.lower()}).scalar()
    if new_id is None:
        body, status = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "uniqueness"}, 409
    else:
        body, status = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": new_id, "userName": name}, 201
    return Response(body=json.dumps(body).encode(), status=status, content_type="application/scim+json", charset=None)


def patch_user(request):
    active = request.json_body["Operations"][0]["value"]["active"]
    _checked(request).execute(_SET_ACTIVE, {"user_id": request.matchdict["id"], "is_active": active})
    return Response(status=204)


def make_app():
    engine = sa.create_engine(os.environ["FLOOR_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA journal_mode=WAL"))
    _tokens.metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(_TOKEN_BY_ID, {"id": TOKEN_ID}).first() is None:
            conn.execute(_tokens.insert().values(id=TOKEN_ID, instance_id=1))
    # Reads without a transaction, writes in one, as the add-on's SCIM requests.
    reads = sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
    writes = sessionmaker(bind=engine)
    # Every transaction ends in COMMIT, as the add-on's: zope.sqlalchemy would roll back a
    # session whose writes were Core statements it did not see.
    for factory in (reads, writes):
        zope.sqlalchemy.register(factory, initial_state=zope.sqlalchemy.datamanager.STATUS_CHANGED,
                                 transaction_manager=transaction.manager)

    def dbsession(request):
        return (reads if request.method == "GET" else writes)()

    # tm.annotate_user off, as the add-on sets it (no security policy to ask here anyway).
    with Configurator(settings={"tm.annotate_user": "false"}) as config:
        config.include("pyramid_tm")
        config.add_request_method(dbsession, reify=True)
        config.add_route("user", "/scim/v2/Users/{id}")
        config.add_route("users", "/scim/v2/Users")
        config.add_view(get_user_checked, route_name="user", request_method="GET")
        config.add_view(patch_user, route_name="user", request_method="PATCH")
        config.add_view(create_user, route_name="users", request_method="POST")
        return config.make_wsgi_app()
