"""The reference HQ as a person uses it: signing in, and what SCIM did to HQ's people."""

from __future__ import annotations

from sqlalchemy import select

from livepreso_scim_addon.hq.models import HqUser, UserLicense
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
    return dbsession.get(HqUser, int(scim_user.host_user_id))  # HQ's integer id, as text in the contract


def licensed_logins(dbsession, license="standard") -> set[str]:
    """The logins (SCIM userNames) HQ has licensed, from its own tables: what the license
    hook wrote. HQ's keys are integers, the add-on's ``host_user_id`` their text: joined
    through HQ alone, no cast is needed on either database."""
    dbsession.rollback()  # end the last read: see what the requests committed since
    rows = dbsession.scalars(
        select(HqUser.login).join(UserLicense, UserLicense.user_id == HqUser.id).where(UserLicense.license == license)
    )
    return set(rows)
