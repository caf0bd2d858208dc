"""The second host's tables: a small CRM, shaped unlike the reference HQ on purpose.

Its own declarative base and table names; people keyed by UUID text where the reference
HQ counts integers; a person's licenses held as bits of one integer column and a
workspace's paid seats as a JSON document in a text column (no license tables at all);
sessions ended by counting up an epoch the signed cookie must match (no session table).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ACTIVE, SUSPENDED = "active", "suspended"
#: Who made the person: the CRM's own people page, or SCIM (the add-on's provisioning).
LOCAL, SCIM = "crm", "scim"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_uid() -> str:
    return str(uuid.uuid4())


class CrmBase(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "crm_ix_%(table_name)s_%(column_0_name)s",
            "uq": "crm_uq_%(table_name)s_%(column_0_name)s",
            "fk": "crm_fk_%(table_name)s_%(column_0_name)s",
            "pk": "crm_pk_%(table_name)s",
        }
    )


class Workspace(CrmBase):
    """A customer: what the add-on calls an instance (its key stays an integer there)."""

    __tablename__ = "crm_workspaces"

    number: Mapped[int] = mapped_column("workspace_no", Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)  # the URL segment
    title: Mapped[str] = mapped_column(String(200))
    #: Paid seats per product, as JSON: {"basic": 12, "pro": null}; null is unlimited,
    #: a product missing is not sold (no seats).
    seat_plan: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CrmPerson(CrmBase):
    __tablename__ = "crm_people"

    uid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uid)
    workspace_no: Mapped[int] = mapped_column(ForeignKey("crm_workspaces.workspace_no", ondelete="CASCADE"))
    sign_in_name: Mapped[str] = mapped_column(String(1024))
    #: ``sign_in_name.casefold()``: unique within a workspace
    sign_in_key: Mapped[str] = mapped_column(String(1024))
    mail: Mapped[str | None] = mapped_column(String(1024))
    first_name: Mapped[str | None] = mapped_column(String(1024))
    last_name: Mapped[str | None] = mapped_column(String(1024))
    full_name: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    source: Mapped[str] = mapped_column(String(16), default=LOCAL)
    #: The products the person holds, one bit each (``licenses.BITS``).
    products: Mapped[int] = mapped_column(Integer, default=0)
    #: Sessions carry the epoch they began in; counting it up ends them all.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("crm_uq_people_sign_in", "workspace_no", "sign_in_key", unique=True),)
