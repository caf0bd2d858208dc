"""SCIM errors (RFC 7644 §3.12), raised by the protocol core and the services."""

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """An error that becomes a SCIM error body with ``status`` and ``scimType``."""

    def __init__(self, status: int, scim_type: str | None, detail: str):
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail

    def body(self) -> dict:
        """The RFC 7644 §3.12 error document; ``status`` is a string there."""
        body = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, "invalidValue", detail)


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, "invalidFilter", detail)


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, "invalidPath", detail)


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, "invalidSyntax", detail)


def no_target(detail: str) -> ScimError:
    return ScimError(400, "noTarget", detail)


def mutability(detail: str) -> ScimError:
    return ScimError(400, "mutability", detail)


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, "uniqueness", detail)
