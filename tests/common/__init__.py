"""What the tests share: helpers, factories and fixtures' machinery, in one place (as
Warehouse's ``tests/common``). Test modules import from here, never from each other;
conftest files keep only fixtures.

- ``scim``: SCIM bodies (``okta_user``, ``patch``), the tenant and its ``ScimClient``,
  group and membership steps, the error-body check;
- ``factories``: data arranged outside a request (instances, tokens, seats, SSO, HQ
  people): the only module that calls ``livepreso_scim_addon.services``;
- ``hq``: signing in to the reference HQ, reading what SCIM did to an HQ person;
- ``db``: per-test isolation (a savepoint, or real commits and emptied tables) and
  the statements the app sends;
- ``http``: plain HTTP calls and parallel requests against a live server;
- ``oidc``: signing keys and id_tokens, and a hand-made OpenID provider on 127.0.0.1;
- ``hosts``: the hosts the add-on is proven against (the reference HQ's kit adapter, the
  second host's), for the contract kit, the IdP replays and scim2-tester;
- ``filters``: the filters every Users search accepts (unit tests and each database);
- ``servers``: waitress in a thread, nginx in front, the TLS certificate;
- ``chromium``: headless Chromium;
- ``scripts``: console scripts: ini files, their app built once, the installed scripts;
- ``dblink``: a database link a test can cut.
"""

import os

#: The project's root (production.ini, docs/, bench/).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: A PostgreSQL server for the PostgreSQL half of the suite, or None.
POSTGRES_URL = os.environ.get("SCIM_TEST_POSTGRES_URL")
