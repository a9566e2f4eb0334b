"""Posting logout tokens to clients (OpenID Back-Channel Logout 1.0 §2.5): ``logout_token=<JWT>`` as a form,
to the URI the operator registered for the client.

Redirects are not followed (the token goes only to the registered URI, and a redirect cannot turn the server
into a proxy for requests elsewhere); each attempt has a short timeout, and a connection failure, a timeout
or a 5xx gets one more attempt. A 2xx is success (the spec asks for 200; 204 is accepted too); any other answer
is final. The token itself is never logged.
"""

from __future__ import annotations

import httpx

from tokenward.adapters.logging import get_logger

#: seconds per attempt: a logout waits for this at most twice
ATTEMPT_TIMEOUT_SECONDS = 2.0
ATTEMPTS = 2


class HttpLogoutTokenSender:
    def __init__(
        self, *, timeout: float = ATTEMPT_TIMEOUT_SECONDS, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._log = get_logger("tokenward.oidc")

    async def send(self, uri: str, logout_token: str) -> bool:
        outcome = "no attempt"
        async with httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, transport=self._transport
        ) as client:
            for _ in range(ATTEMPTS):
                try:
                    response = await client.post(
                        uri,
                        data={"logout_token": logout_token},
                        headers={"Cache-Control": "no-store"},
                    )
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                    continue
                if response.is_success:
                    return True
                outcome = f"HTTP {response.status_code}"
                if response.status_code < 500:
                    break
        self._log.warning("backchannel_logout_failed", uri=uri, outcome=outcome)
        return False
