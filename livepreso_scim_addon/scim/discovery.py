"""Discovery documents (RFC 7644 §4): what this service provider really implements."""

from __future__ import annotations

SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
DOCUMENTATION_URI = "https://github.com/livepreso/livepreso_scim_addon#readme"


def service_provider_config(location: str, max_results: int) -> dict:
    """ServiceProviderConfig (RFC 7643 §5): PATCH, filter, sort and ETag; no bulk, no password change."""
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": DOCUMENTATION_URI,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A token issued on the LivePreso HQ SCIM page, sent as Authorization: Bearer.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "documentationUri": DOCUMENTATION_URI,
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": location},
    }
