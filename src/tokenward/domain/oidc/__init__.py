"""OpenID Connect provider: authorization requests, single-use codes with PKCE S256, ID tokens, consent,
userinfo and RP-initiated logout; RFC 9700 (OAuth 2.0 Security Best Current Practice) is the rule book."""

from tokenward.domain.oidc.codes import AuthorizationCode, Redemption
from tokenward.domain.oidc.consents import AppAccess, Consent, Consents
from tokenward.domain.oidc.id_tokens import IdTokenHint, IdTokenIssuer, IdTokenSettings
from tokenward.domain.oidc.ports import AuthorizationCodeRepository, ConsentRepository
from tokenward.domain.oidc.provider import BrowserSignIn, LogoutRequest, OidcProvider
from tokenward.domain.oidc.requests import (
    LOGIN_AFTER,
    AuthorizationRequest,
    BadClient,
    RedirectableError,
    client_and_redirect,
    prompt_answered,
    read_request,
)

__all__ = [
    "LOGIN_AFTER",
    "AppAccess",
    "AuthorizationCode",
    "AuthorizationCodeRepository",
    "AuthorizationRequest",
    "BadClient",
    "BrowserSignIn",
    "Consent",
    "ConsentRepository",
    "Consents",
    "IdTokenHint",
    "IdTokenIssuer",
    "IdTokenSettings",
    "LogoutRequest",
    "OidcProvider",
    "Redemption",
    "RedirectableError",
    "client_and_redirect",
    "prompt_answered",
    "read_request",
]
