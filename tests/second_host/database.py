"""The CRM's own database wiring: its engine, and ``request.dbsession`` joined to ``request.tm``.

The add-on is told so (``scim.dbsession_provided``) and works in the CRM's session: its
writes and the CRM's commit or roll back together. As in Pyramid's cookiecutter.
"""

from __future__ import annotations

import sqlalchemy as sa
import zope.sqlalchemy
from sqlalchemy.orm import sessionmaker


def make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers beside one writer (the live server)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def includeme(config):
    settings = config.get_settings()
    config.include("pyramid_tm")
    engine = make_engine(settings["crm.database_url"])
    factory = sessionmaker(bind=engine)
    config.registry["crm.engine"] = engine

    def dbsession(request):
        session = factory(info={"request": request})
        zope.sqlalchemy.register(session, transaction_manager=request.tm)
        return session

    config.add_request_method(dbsession, reify=True)
