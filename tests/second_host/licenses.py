"""What the CRM sells: three products, one of which opens the workspace's admin pages."""

from __future__ import annotations

from livepreso_scim_addon.host import License

PRODUCTS: tuple[License, ...] = (
    License("basic", "Members"),
    License("pro", "Power Users"),
    License("admin", "Administrators", grants_hq_access=True),
)

#: Each product's bit in ``crm_people.products``.
BITS: dict[str, int] = {"basic": 1, "pro": 2, "admin": 4}
#: The bits that make a person an administrator of their workspace.
ADMIN_BITS: int = sum(BITS[p.type] for p in PRODUCTS if p.grants_hq_access)
