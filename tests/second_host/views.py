"""The CRM's pages of a workspace: who am I, and where to sign in (single sign-on only)."""

from __future__ import annotations

from pyramid.authorization import Allow, Everyone
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther, HTTPUnauthorized
from pyramid.response import Response
from pyramid.security import forget
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import select

from livepreso_scim_addon import api
from livepreso_scim_addon.host import HostInstance

from .models import Workspace


class WorkspaceContext:
    """``/crm/{workspace}/...``: people of the workspace see it; anyone may sign in."""

    def __init__(self, request):
        row = request.dbsession.execute(
            select(Workspace.number, Workspace.handle, Workspace.title).where(
                Workspace.handle == request.matchdict["workspace"]
            )
        ).first()
        if row is None:
            raise HTTPNotFound()
        self.instance = HostInstance(id=row.number, slug=row.handle, name=row.title)
        self.__acl__ = [(Allow, f"crm-workspace:{row.number}", "crm:view"), (Allow, Everyone, "crm:sign-in")]


def includeme(config):
    config.add_route("crm.me", "/crm/{workspace}/me", factory=WorkspaceContext)
    config.add_route("crm.sign_in", "/crm/{workspace}/sign-in", factory=WorkspaceContext)
    config.add_route("crm.sign_out", "/crm/{workspace}/sign-out", factory=WorkspaceContext)
    config.scan(".views")


@view_config(route_name="crm.me", renderer="json", permission="crm:view")
def me(context, request):
    identity = request.identity
    return {"uid": identity.uid, "login": identity.login, "admin": identity.admin}


@view_config(route_name="crm.sign_in", permission="crm:sign-in")
def sign_in_page(context, request):
    url = api.sso_sign_in_url(request, context.instance)
    text = f"Sign in with your identity provider: {url}" if url else "Single sign-on is not set up for this workspace."
    return Response(text, content_type="text/plain")


@view_config(route_name="crm.sign_out", request_method="POST", permission="crm:sign-in", require_csrf=False)
def sign_out(context, request):
    return HTTPSeeOther(request.route_url("crm.sign_in", workspace=context.instance.slug), headers=forget(request))


# The add-on's own SCIM page (/crm/{workspace}/scim) has its forbidden view.
@forbidden_view_config(path_info=r"^/crm/[^/]+/(?!scim(/|$))")
def crm_forbidden(exc, request):
    return HTTPUnauthorized() if request.identity is None else HTTPForbidden()
