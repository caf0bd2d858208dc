"""The reference HQ's tables: a small stand-in for LivePreso HQ's own models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Constraint and index names the migrations in ``hq/alembic`` rely on (the same
#: convention as the add-on's, so the names already in databases stay).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no time zone, so both backends store UTC without one."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class HqBase(DeclarativeBase):
    """Separate metadata: a real HQ drops these tables, the add-on's stay."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Instance(HqBase):
    __tablename__ = "hq_instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LicenseSeats(HqBase):
    """Seats an instance has paid for, per license type; ``seats`` NULL is unlimited."""

    __tablename__ = "hq_license_seats"

    instance_id: Mapped[int] = mapped_column(ForeignKey("hq_instances.id", ondelete="CASCADE"), primary_key=True)
    license: Mapped[str] = mapped_column(String(16), primary_key=True)
    seats: Mapped[int | None] = mapped_column(Integer)


class HqUser(HqBase):
    __tablename__ = "hq_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("hq_instances.id", ondelete="CASCADE"))
    login: Mapped[str] = mapped_column(String(1024))
    login_ci: Mapped[str] = mapped_column(String(1024))
    email: Mapped[str | None] = mapped_column(String(1024))
    given_name: Mapped[str | None] = mapped_column(String(1024))
    family_name: Mapped[str | None] = mapped_column(String(1024))
    display_name: Mapped[str | None] = mapped_column(String(1024))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: A manager made by LivePreso support (``livepreso-hq manager create``), who keeps HQ
    #: access without the Manager license: the way in when the identity provider is out.
    #: Everyone else is a manager by holding a license that grants HQ access
    #: (``hq/licenses.py``).
    break_glass_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    scim_managed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("uq_hq_users_instance_login", "instance_id", "login_ci", unique=True),)


class UserLicense(HqBase):
    """Licenses HQ has granted; the add-on's license hook writes these."""

    __tablename__ = "hq_user_licenses"

    user_id: Mapped[int] = mapped_column(ForeignKey("hq_users.id", ondelete="CASCADE"), primary_key=True)
    license: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class HqSession(HqBase):
    """A signed-in browser. Server-side, so deactivation can end it at once."""

    __tablename__ = "hq_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("hq_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: the last request that used the session, to within a minute (the idle timeout)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class HqLoginFailure(HqBase):
    """A failed password sign-in, kept while it counts towards throttling, then pruned.

    The account is stored as a hash of instance and typed login: what people type into
    the login field is sometimes their password, and it is never needed in clear here.
    """

    __tablename__ = "hq_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_addr: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
