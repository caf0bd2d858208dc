"""The licenses the reference HQ sells, and which of them make a person an HQ manager."""

from __future__ import annotations

from livepreso_scim_addon.host import License

#: In the order HQ shows them (``ReferenceHost.licenses``).
LICENSES: tuple[License, ...] = (
    License("standard", "Salesperson"),
    License("prep", "Prep User"),
    License("hq", "Manager", grants_hq_access=True),
)

#: Holding one of these is what makes someone a manager of their instance in HQ: the
#: sign-in reads it with the session (``hq/security.py``), and losing it ends the
#: person's sessions (``ReferenceHost.license_revoked``).
HQ_ACCESS_LICENSES: frozenset[str] = frozenset(license.type for license in LICENSES if license.grants_hq_access)
