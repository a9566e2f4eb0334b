"""Client authentication at the OAuth endpoints (RFC 6749 §2.3), one way for token, revocation and
introspection.

``client_secret_basic`` (id and secret form-urlencoded, then base64, in the Basic header) and
``client_secret_post`` (``client_id`` and ``client_secret`` in the body) for confidential clients; ``none`` (only
``client_id`` in the body) for public clients. Two methods at once are refused. A failure is 401
``invalid_client`` with ``WWW-Authenticate: Basic``, one answer for an unknown id and a wrong secret.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from fastapi import Request
from fastapi.responses import JSONResponse

from tokenward.api.problems import problem_response
from tokenward.domain.clients import Client, ClientRegistry
from tokenward.errors import InvalidClient, InvalidRequest

BASIC_CHALLENGE = 'Basic realm="tokenward", charset="UTF-8"'


def basic_credentials(authorization: str) -> tuple[str, str]:
    """``(client_id, secret)`` from an HTTP Basic header (each form-urlencoded, RFC 6749 §2.3.1)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise InvalidClient("Use HTTP Basic client authentication")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("Malformed Basic credentials") from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise InvalidClient("Malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def client_credentials(
    authorization: str | None, parameters: dict[str, str]
) -> tuple[str, str | None] | None:
    """``(client_id, secret)`` as the request presents them in its ``Authorization`` header or its body (secret
    ``None``: a public client naming itself), or ``None`` when the request names no client."""
    in_body = "client_id" in parameters or "client_secret" in parameters
    if authorization and in_body and "client_secret" in parameters:
        raise InvalidRequest("Use one client authentication method, not two")
    if authorization and authorization.lower().startswith("basic"):
        client_id, secret = basic_credentials(authorization)
        if parameters.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id differs from the authenticated client")
        return client_id, secret
    if authorization and in_body:
        raise InvalidRequest("Use one client authentication method, not two")
    if authorization:
        return basic_credentials(authorization)
    if in_body:
        return parameters.get("client_id", ""), parameters.get("client_secret")
    return None


async def authenticate_client(
    clients: ClientRegistry, credentials: tuple[str, str | None] | None
) -> Client | None:
    """The authenticated client, ``None`` when none was named, ``InvalidClient`` when it failed."""
    if credentials is None:
        return None
    client_id, secret = credentials
    if secret is None:
        return await clients.identify_public(client_id)
    return await clients.authenticate(client_id, secret)


def client_error(error: InvalidClient, request: Request) -> JSONResponse:
    response = problem_response(error, request)
    response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
    return response
