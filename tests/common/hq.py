"""The reference HQ as a person uses it: signing in, and what SCIM did to HQ's people."""

from __future__ import annotations

from sqlalchemy import select

from livepreso_scim_addon.hq.models import HqUser
from livepreso_scim_addon.models.scim import ScimUser

#: The password of every HQ person the factories make.
PASSWORD = "a long enough password"


def sign_in(browser, slug, login, password=PASSWORD, status=303, **kw):
    """Fill in and submit HQ's sign-in form in ``browser`` (a webtest app); the answer."""
    form = browser.get(f"/hq/{slug}/login").forms[0]
    form["login"], form["password"] = login, password
    return form.submit(status=status, **kw)


def hq_user(dbsession, user_id) -> HqUser:
    """The HQ person behind a SCIM user, as the requests so far left it."""
    dbsession.rollback()  # end the last read: see what the requests committed since
    scim_user = dbsession.scalar(select(ScimUser).where(ScimUser.id == user_id))
    return dbsession.get(HqUser, scim_user.host_user_id)
