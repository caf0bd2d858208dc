from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as readme:
    long_description = readme.read()

requires = [
    "pyramid>=2.0,<3",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    # Request-scoped services: views ask request.find_service (see README, Dependencies).
    "pyramid_services>=2.2",
    "zope.sqlalchemy>=3.0",
    "transaction>=4.0",
    "SQLAlchemy>=2.0,<3",
    "colander>=2.0",
    "python-jose[cryptography]>=3.5",
    # Fernet encrypts the SSO client secrets at rest (already python-jose's backend).
    "cryptography>=42",
    "alembic>=1.13",
    "waitress>=3.0",
    "plaster_pastedeploy>=1.0",
    # Templates for the reference HQ pages (see README, Dependencies).
    "pyramid_jinja2>=2.10",
    # Password hashing for the reference HQ's manager login (see README, Dependencies).
    "argon2-cffi>=23.1",
]

extras = {
    "postgres": ["psycopg[binary]>=3.3"],
    # several worker processes on a multi-core host (README, "Running in production")
    "serve": ["gunicorn>=23"],
    "testing": [
        "WebTest>=3.0",
        "pytest>=8.0",
        # Property-based tests of the filter parser, SQL compiler and PATCH engine (tests/common/properties.py).
        "hypothesis>=6.100",
        # The import contracts in .importlinter: one seam between the add-on and its host.
        "import-linter>=2.1",
        "psycopg[binary]>=3.3",
        # A real SCIM client that checks protocol compliance (see README, Dependencies).
        "scim2-tester[httpx2]>=0.5",
        # Drives Debian's chromium through chromedriver for the HQ page tests.
        "selenium>=4.20",
        # A real OpenID Connect provider (Canaille) inside the test suite, for the SSO flow.
        "pytest-iam>=0.3",
        # Generated requests against a live server, checked against the served OpenAPI document.
        "schemathesis>=4.0,<5",
        # Validates the OpenAPI 3.1 document itself (tests/functional/test_openapi.py).
        "openapi-spec-validator>=0.7",
    ],
}

setup(
    name="livepreso_scim_addon",
    version="0.1.0",
    description="SCIM 2.0 provisioning (Okta, Entra ID) for LivePreso HQ, as a Pyramid add-on",
    long_description=long_description,
    long_description_content_type="text/markdown",
    classifiers=[
        "Programming Language :: Python :: 3.11",
        "Framework :: Pyramid",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Application",
    ],
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    zip_safe=False,
    install_requires=requires,
    extras_require=extras,
    entry_points={
        "paste.app_factory": ["main = livepreso_scim_addon.hq:main"],
        "console_scripts": [
            "livepreso-scim = livepreso_scim_addon.scripts.cli:main",
            # The reference HQ's own commands (instances, managers, passwords, the demo).
            "livepreso-hq = livepreso_scim_addon.hq.scripts:main",
        ],
    },
)
