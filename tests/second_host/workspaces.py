"""Opening a workspace and adding people: the CRM's own business (no contract method does it)."""

from __future__ import annotations

from sqlalchemy import select

from livepreso_scim_addon.host import HostConflict, HostInstance

from .models import ACTIVE, LOCAL, CrmPerson, Workspace


def open_workspace(db, handle: str, title: str, seat_plan: str = "{}") -> HostInstance:
    if db.scalar(select(Workspace.number).where(Workspace.handle == handle)) is not None:
        raise HostConflict(f"workspace {handle!r} exists")
    workspace = Workspace(handle=handle, title=title, seat_plan=seat_plan)
    db.add(workspace)
    db.flush()
    return HostInstance(id=workspace.number, slug=workspace.handle, name=workspace.title)


def add_person(db, workspace_no: int, sign_in_name: str, **fields) -> CrmPerson:
    """Someone the CRM's admins added by hand (before SCIM, say)."""
    person = CrmPerson(
        workspace_no=workspace_no,
        sign_in_name=sign_in_name,
        sign_in_key=sign_in_name.casefold(),
        status=ACTIVE,
        source=LOCAL,
        products=0,
        session_epoch=0,
        **fields,
    )
    db.add(person)
    db.flush()
    return person
