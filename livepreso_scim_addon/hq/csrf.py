"""HQ's CSRF protection: Pyramid's double-submit cookie, no server-side session needed."""

from __future__ import annotations

from pyramid.csrf import CookieCSRFStoragePolicy


class CookieCSRFPolicy(CookieCSRFStoragePolicy):
    """Pyramid's double-submit CSRF cookie, ``Secure`` whenever the request came over https.

    Pyramid's ``secure`` option is fixed at start-up; one HQ answers on http in
    development and, behind a TLS proxy, on https in production.
    """

    def new_csrf_token(self, request):
        token = self._token_factory()
        request.cookies[self.cookie_name] = token
        secure = request.scheme == "https"
        request.add_response_callback(
            lambda _request, response: self.cookie_profile.set_cookies(response, token, secure=secure)
        )
        return token
