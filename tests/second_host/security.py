"""The CRM's own sign-in: a signed cookie naming the person and the session epoch it began in.

Nothing of a session is stored: the cookie is signed (webob's ``SignedCookieProfile``),
and a session is live while its epoch equals the person's ``session_epoch`` and the person
is active. Counting the epoch up (``CrmHost.end_sessions``) ends every session of the
person at once. Administrators are whoever holds a product that grants admin access.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from webob.cookies import SignedCookieProfile

from .licenses import ADMIN_BITS
from .models import ACTIVE, CrmPerson

COOKIE = "crm_auth"


@dataclass(frozen=True)
class CrmIdentity:
    uid: str
    workspace_no: int
    login: str
    admin: bool

    def principals(self) -> list[str]:
        principals = [f"crm-person:{self.uid}", f"crm-workspace:{self.workspace_no}"]
        if self.admin:
            principals.append(f"crm-admin:{self.workspace_no}")
        return principals


_PERSON = select(
    CrmPerson.uid, CrmPerson.workspace_no, CrmPerson.sign_in_name, CrmPerson.status, CrmPerson.products,
    CrmPerson.session_epoch,
)


class CrmCookiePolicy:
    def __init__(self, secret: str, max_age: int = 8 * 3600):
        self.cookie = SignedCookieProfile(
            secret, "crm-session", COOKIE, max_age=max_age, httponly=True, samesite="Lax", path="/"
        )

    def identity(self, request) -> CrmIdentity | None:
        if "crm.identity" not in request.environ:
            request.environ["crm.identity"] = self._load(request)
        return request.environ["crm.identity"]

    def _load(self, request) -> CrmIdentity | None:
        value = self.cookie.bind(request).get_value()
        if not isinstance(value, dict):
            return None
        row = request.dbsession.execute(_PERSON.where(CrmPerson.uid == value.get("uid"))).first()
        if row is None or row.status != ACTIVE or row.session_epoch != value.get("epoch"):
            return None
        return CrmIdentity(row.uid, row.workspace_no, row.sign_in_name, bool(row.products & ADMIN_BITS))

    def principals(self, request) -> list[str]:
        identity = self.identity(request)
        return identity.principals() if identity else []

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return identity.uid if identity else None

    def permits(self, request, context, permission):  # pragma: no cover - the composite decides
        raise NotImplementedError

    def remember(self, request, userid, **kw):
        epoch = request.dbsession.scalar(select(CrmPerson.session_epoch).where(CrmPerson.uid == userid))
        if epoch is None:
            return []
        return self.cookie.bind(request).get_headers({"uid": userid, "epoch": epoch})

    def forget(self, request, **kw):
        return self.cookie.bind(request).get_headers(None)
