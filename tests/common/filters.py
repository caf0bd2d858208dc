"""Filters every Users search must accept: validated in the unit tests, run on each database."""

from livepreso_scim_addon.scim.schemas import CORE_USER, ENTERPRISE_USER

VALID_USER_FILTERS = [
    'userName eq "x"',
    'externalId eq "00u1"',
    'id eq "abc"',
    'emails eq "x@y.com"',
    'emails co "@example.com"',
    'emails[type eq "work"].value eq "x@y.com"',
    'emails[type eq "work" and primary eq true]',
    "active eq true",
    "not (active eq false)",
    "active ne false",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.created le "2011-05-13"',
    f'{ENTERPRISE_USER}:manager.value eq "m"',
    f'{ENTERPRISE_USER}:employeeNumber eq "7"',
    f'{CORE_USER}:userName sw "j"',
    "name pr",
    "emails pr",
    'name.familyName eq "Doe" or name.givenName co "an"',
    'groups.value eq "g1"',
    "active eq null",
    "userName ne null",
]
