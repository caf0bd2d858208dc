"""INSERT ... ON CONFLICT, which both supported databases have but SQLAlchemy builds per dialect."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_or_update(db, model, values: dict, keys: list, set_: dict | None = None):
    """An INSERT of ``values`` that updates ``set_`` (default: every value not in ``keys``)
    where a row with the same ``keys`` exists; ``excluded`` in ``set_`` is a callable
    taking the statement's EXCLUDED row."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values)
    if set_ is None:
        set_ = {name: statement.excluded[name] for name in values if name not in {k.key for k in keys}}
    elif callable(set_):
        set_ = set_(statement.excluded)
    return statement.on_conflict_do_update(index_elements=keys, set_=set_)
