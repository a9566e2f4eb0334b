"""Reading an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) in the order §4.1.2.1
requires: first the client and the redirect URI, whose failure must never redirect anywhere (``BadClient``:
the user sees an error page), then everything else, whose failure goes back to the client's redirect URI
(``RedirectableError``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from tokenward.domain.clients import Client
from tokenward.domain.oidc.pkce import check_code_challenge
from tokenward.errors import InvalidRequest

MAX_STATE = 1024
MAX_NONCE = 512
PROMPTS = frozenset({"login", "none", "consent"})
#: the internal parameter of a request returning from a forced sign-in: a sign-in at or after this moment
LOGIN_AFTER = "login_after"


class BadClient(InvalidRequest):
    """Unknown client, or a redirect URI it did not register: shown to the user, never redirected."""


@dataclass(frozen=True, slots=True)
class RedirectableError(Exception):
    """An error to send to the client's (valid) redirect URI: RFC 6749 §4.1.2.1 / OpenID Core §3.1.2.6."""

    error: str
    description: str
    redirect_uri: str
    state: str | None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    nonce: str | None
    code_challenge: str
    #: the ``prompt`` values (a space-separated list, OpenID Core §3.1.2.1); ``none`` only ever alone
    prompts: frozenset[str]
    max_age: int | None
    login_after: int | None

    @property
    def scope(self) -> str:
        return " ".join(sorted(self.scopes))

    def error(self, error: str, description: str) -> RedirectableError:
        return RedirectableError(error, description, self.redirect_uri, self.state)


async def client_and_redirect(
    params: Mapping[str, str], find_client: Callable[[str], Awaitable[Client | None]]
) -> tuple[Client, str]:
    client = await find_client(params.get("client_id", ""))
    if client is None:
        raise BadClient("The application that sent you here is not registered (unknown client_id)")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise BadClient("The application did not say where to send you back (redirect_uri is required)")
    if not client.accepts_redirect_uri(redirect_uri):
        raise BadClient("The application asked to send you back to an address it did not register")
    return client, redirect_uri


def _optional_int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 15:
        raise InvalidRequest(f"{name} must be a non-negative integer")
    return int(value)


def _bounded(params: Mapping[str, str], name: str, limit: int) -> str | None:
    value = params.get(name)
    if value is not None and (len(value) > limit or not value.isprintable()):
        raise InvalidRequest(f"{name} must be at most {limit} printable characters")
    return value


def _prompts(value: str | None) -> frozenset[str]:
    prompts = frozenset((value or "").split())
    if not prompts <= PROMPTS:
        raise InvalidRequest("prompt must be none, or any of login and consent")
    if "none" in prompts and len(prompts) > 1:
        # OpenID Core §3.1.2.1: none with any other value is an error
        raise InvalidRequest("prompt=none cannot be combined with other values")
    return prompts


def prompt_answered(params: Mapping[str, str], answered: str) -> dict[str, str]:
    """The request's parameters once the hosted pages answered one ``prompt`` value (``login``: the user
    signed in; ``consent``: the user allowed the client): the request goes back to the authorization
    endpoint without it, so it is not asked again, and with the values still to be answered."""
    again = dict(params)
    remaining = " ".join(sorted(frozenset(again.pop("prompt", "").split()) - {answered}))
    if remaining:
        again["prompt"] = remaining
    return again


def read_request(params: Mapping[str, str], client: Client, redirect_uri: str) -> AuthorizationRequest:
    """The checked request; ``RedirectableError`` for anything wrong once the redirect URI is trusted."""
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE:
        raise RedirectableError("invalid_request", "state is too long", redirect_uri, None)

    def fail(error: str, description: str) -> RedirectableError:
        return RedirectableError(error, description, redirect_uri, state)

    for unsupported, error in (
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ):
        if unsupported in params:
            raise fail(error, f"The {unsupported} parameter is not supported")
    response_type = params.get("response_type")
    if not response_type:
        raise fail("invalid_request", "response_type is required")
    if response_type != "code":
        raise fail("unsupported_response_type", "Only response_type=code is supported")
    scopes = frozenset(params.get("scope", "").split())
    if not scopes or not scopes <= client.scopes:
        raise fail("invalid_scope", f"Ask for some of the client's scopes: {' '.join(sorted(client.scopes))}")
    try:
        challenge = check_code_challenge(params.get("code_challenge"), params.get("code_challenge_method"))
        prompts = _prompts(params.get("prompt"))
        return AuthorizationRequest(
            client=client,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            nonce=_bounded(params, "nonce", MAX_NONCE),
            code_challenge=challenge,
            prompts=prompts,
            max_age=_optional_int(params.get("max_age"), "max_age"),
            login_after=_optional_int(params.get(LOGIN_AFTER), LOGIN_AFTER),
        )
    except InvalidRequest as exc:
        raise fail("invalid_request", exc.detail) from None
