"""Tables the add-on owns: the per-instance switch, tokens and the SCIM view of users.

Host tables (instances, HQ users) are reached only through ``host.py``: the add-on
keeps host ids as plain integers, with no foreign key into a schema it does not own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..scim.schemas import MAX_STRING_LENGTH
from .meta import Base

#: A column holding a SCIM string: the request's validation (or the audit trail's
#: truncation) keeps it within MAX_STRING_LENGTH. On PostgreSQL it declares no length:
#: until a table has statistics the planner guesses a row's width from declared lengths
#: (516 bytes for any varchar of over 250 characters), two dozen of those make a
#: scim_users row wider than a page, and it then takes the table for empty at any size
#: and picks among its indexes at random (walking an instance's whole user list to find
#: one id). SQLite ignores declared lengths; its schema keeps them, so no migration has
#: to rebuild its tables.
SCIM_STRING = String(MAX_STRING_LENGTH).with_variant(String(), "postgresql")


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no time zone, so both backends store UTC without one."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ScimInstance(Base):
    """Support's per-instance switch: no row, or ``enabled`` false, and SCIM is absent."""

    __tablename__ = "scim_instances"

    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ScimToken(Base):
    """A bearer token: its public id travels in the token, its secret only as a hash."""

    __tablename__ = "scim_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ScimUser(Base):
    """The SCIM representation of one HQ user of one instance (RFC 7643 §4.1, §4.3)."""

    __tablename__ = "scim_users"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    #: The host's key for this person: opaque text, at most 255 characters (the host
    #: contract; the reference HQ's integer ids as decimal text). Like SCIM_STRING, no
    #: declared length on PostgreSQL (migration scim_0008).
    host_user_id: Mapped[str] = mapped_column(String(255).with_variant(String(), "postgresql"))
    user_name: Mapped[str] = mapped_column(SCIM_STRING)
    # userName is caseExact false: its key (scim.text.user_name_key: NFC and case
    # folding) carries the per-instance uniqueness constraint and the index behind
    # Okta's existence check. Migration scim_0009 may leave a colliding user's old
    # lower-cased value here (see that migration).
    user_name_ci: Mapped[str] = mapped_column(SCIM_STRING)
    external_id: Mapped[str | None] = mapped_column(SCIM_STRING)
    display_name: Mapped[str | None] = mapped_column(SCIM_STRING)
    nick_name: Mapped[str | None] = mapped_column(SCIM_STRING)
    title: Mapped[str | None] = mapped_column(SCIM_STRING)
    user_type: Mapped[str | None] = mapped_column(SCIM_STRING)
    preferred_language: Mapped[str | None] = mapped_column(SCIM_STRING)
    locale: Mapped[str | None] = mapped_column(SCIM_STRING)
    timezone: Mapped[str | None] = mapped_column(SCIM_STRING)
    # NULL: the client never said (or removed it); HQ treats that as active.
    active: Mapped[bool | None] = mapped_column(Boolean)
    name_formatted: Mapped[str | None] = mapped_column(SCIM_STRING)
    name_family: Mapped[str | None] = mapped_column(SCIM_STRING)
    name_given: Mapped[str | None] = mapped_column(SCIM_STRING)
    name_middle: Mapped[str | None] = mapped_column(SCIM_STRING)
    name_prefix: Mapped[str | None] = mapped_column(SCIM_STRING)
    name_suffix: Mapped[str | None] = mapped_column(SCIM_STRING)
    employee_number: Mapped[str | None] = mapped_column(SCIM_STRING)
    cost_center: Mapped[str | None] = mapped_column(SCIM_STRING)
    organization: Mapped[str | None] = mapped_column(SCIM_STRING)
    division: Mapped[str | None] = mapped_column(SCIM_STRING)
    department: Mapped[str | None] = mapped_column(SCIM_STRING)
    manager_id: Mapped[str | None] = mapped_column(SCIM_STRING)
    #: the IdP's "sub" for this person, linked at their first SSO sign-in
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def is_active(self) -> bool:
        """Only an explicit ``active: false`` deactivates (RFC 7643 §4.1.1)."""
        return self.active is not False

    #: Loaded only if asked for: users are read and written as rows (models/reading.py,
    #: services/users.py); the ORM entity serves the SSO sign-in, which needs none of them.
    values: Mapped[list[ScimUserValue]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="ScimUserValue.position",
        passive_deletes=True,
    )

    __table_args__ = (
        Index("uq_scim_users_instance_user_name", "instance_id", "user_name_ci", unique=True),
        Index("ix_scim_users_instance_pk", "instance_id", "pk"),
        Index("ix_scim_users_instance_external_id", "instance_id", "external_id"),
        Index("ix_scim_users_instance_host_user", "instance_id", "host_user_id"),
        Index("uq_scim_users_instance_oidc_subject", "instance_id", "oidc_subject", unique=True),
    )


def with_ids(model: type[ScimUser] | type[ScimGroup], instance_id: int, ids: list[str]):
    """``model.id IN ids`` within one instance, planned on the unique index on ``id``.

    Beside a long IN list, SQLite without statistics (it never gathers them itself)
    prefers an equality on ``instance_id`` and walks the instance's whole index: 1,000
    ids at 100,000 users took 43 ms that way and 4 ms by ``id``. ``instance_id + 0``
    still keeps every other instance's rows out, but is no column an index can serve,
    so SQLite has only ``id`` to choose. PostgreSQL chooses by its statistics: with the
    ones a migration leaves it reads by ``id`` (3 ms at 100,000 users) either way.
    """
    return (model.instance_id + 0 == instance_id) & model.id.in_(ids)


class ScimUserValue(Base):
    """One value of a multi-valued complex attribute: emails, phoneNumbers, addresses.

    Rows rather than JSON so that ``emails[type eq "work" and value co "@x"]``
    compiles to an EXISTS over indexed columns on SQLite and PostgreSQL alike.
    """

    __tablename__ = "scim_user_values"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("scim_users.pk", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[str | None] = mapped_column(SCIM_STRING)
    display: Mapped[str | None] = mapped_column(SCIM_STRING)
    type: Mapped[str | None] = mapped_column(SCIM_STRING)
    primary: Mapped[bool | None] = mapped_column(Boolean)
    formatted: Mapped[str | None] = mapped_column(SCIM_STRING)
    street_address: Mapped[str | None] = mapped_column(SCIM_STRING)
    locality: Mapped[str | None] = mapped_column(SCIM_STRING)
    region: Mapped[str | None] = mapped_column(SCIM_STRING)
    postal_code: Mapped[str | None] = mapped_column(SCIM_STRING)
    country: Mapped[str | None] = mapped_column(SCIM_STRING)

    user: Mapped[ScimUser] = relationship(back_populates="values")

    __table_args__ = (
        Index("ix_scim_user_values_user", "user_pk", "attribute"),
        Index("ix_scim_user_values_lower_value", "attribute", func.lower(value)),
    )


class ScimGroup(Base):
    """A SCIM Group of one instance (RFC 7643 §4.2).

    ``license`` marks the built-in license groups (Salesperson, Prep User, Manager):
    it survives any rename, so linking an Okta group keeps the license it grants.
    """

    __tablename__ = "scim_groups"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(SCIM_STRING)
    display_name_ci: Mapped[str] = mapped_column(SCIM_STRING)
    external_id: Mapped[str | None] = mapped_column(SCIM_STRING)
    license: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("uq_scim_groups_instance_display_name", "instance_id", "display_name_ci", unique=True),
        Index("ix_scim_groups_instance_pk", "instance_id", "pk"),
        Index("ix_scim_groups_instance_external_id", "instance_id", "external_id"),
        Index(
            "uq_scim_groups_instance_license",
            "instance_id",
            "license",
            unique=True,
            sqlite_where=license.is_not(None),
            postgresql_where=license.is_not(None),
        ),
    )


class ScimMembership(Base):
    """A user in a group; in a license group also their place in the license queue.

    ``queued_at`` is when the member asked for the license (NULL: not asking, as a
    deactivated user does); ``licensed_at`` is when they got it (NULL: waiting).
    """

    __tablename__ = "scim_memberships"

    group_pk: Mapped[int] = mapped_column(ForeignKey("scim_groups.pk", ondelete="CASCADE"), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("scim_users.pk", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    licensed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_scim_memberships_user", "user_pk"),
        Index("ix_scim_memberships_queue", "group_pk", "licensed_at", "queued_at"),
    )


class ScimEvent(Base):
    """One entry of the audit trail: a SCIM write, a license change, or a failed request.

    ``changes`` holds attribute names with their old and new values; secrets (passwords,
    tokens) never reach it.
    """

    __tablename__ = "scim_events"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    token_id: Mapped[str | None] = mapped_column(String(32))
    request: Mapped[str | None] = mapped_column(SCIM_STRING)
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str | None] = mapped_column(String(16))
    resource_id: Mapped[str | None] = mapped_column(String(36))
    #: the SCIM user concerned (the user itself, a member, a licensee): the HQ filter
    user_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)
    #: the events one request wrote share it: the HQ page tells them as one sentence
    request_id: Mapped[str | None] = mapped_column(String(32))
    #: names as they were when the event was written, so that a deleted user or group
    #: is still named: "Erin Evans (erin@acme.test)" for ``user_id``, the group's
    #: displayName (or the user's label) for ``resource_id``
    user_label: Mapped[str | None] = mapped_column(Text)
    resource_label: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_scim_events_instance_pk", "instance_id", "pk"),
        Index("ix_scim_events_instance_user_pk", "instance_id", "user_id", "pk"),
        # the events page's filters by group and by kind, newest first
        Index("ix_scim_events_instance_resource_pk", "instance_id", "resource_id", "pk"),
        Index("ix_scim_events_instance_action_pk", "instance_id", "action", "pk"),
    )


class ScimPageCursor(Base):
    """Where a page of an unfiltered, unsorted listing ended, for whichever process serves
    the next one (``models/listing.py``): Okta's import pages may land on any process."""

    __tablename__ = "scim_page_cursors"

    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: the startIndex of the page this cursor serves
    start_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    after_pk: Mapped[int] = mapped_column(Integer)
    #: the listing's row count and highest key when the cursor was saved: it holds only
    #: while both are unchanged
    total: Mapped[int] = mapped_column(Integer)
    max_pk: Mapped[int | None] = mapped_column(Integer)


class ScimTraffic(Base):
    """Requests per token and hour, for the SCIM page's connection health.

    Each process counts in memory and adds its count here when it writes the token's
    ``last_used_at`` (at most once a minute per token and process), so a GET stays a
    read; a count may lag by that minute.
    """

    __tablename__ = "scim_traffic"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    requests: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_scim_traffic_instance_hour", "instance_id", "hour"),)


class ScimSso(Base):
    """An instance's OpenID Connect client at its IdP, entered by support.

    The client secret is kept only encrypted (Fernet, with a key from the environment).
    """

    __tablename__ = "scim_sso"

    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    issuer: Mapped[str] = mapped_column(String(MAX_STRING_LENGTH))
    client_id: Mapped[str] = mapped_column(String(MAX_STRING_LENGTH))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ScimSsoLogin(Base):
    """A sign-in under way: its state (hashed), nonce and PKCE verifier; used once."""

    __tablename__ = "scim_sso_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
