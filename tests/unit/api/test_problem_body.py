"""The one error-body builder, and the response headers each refusal carries itself."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message

from tokenward import http_server
from tokenward.api.middleware import EdgeMiddleware
from tokenward.api.problem_body import ProblemBody, is_oauth_path, problem_body
from tokenward.api.problems import _from_http_exception, install_error_handlers, problem_response
from tokenward.api.services import ApiConfig
from tokenward.errors import (
    AccountDisabled,
    AuthenticationRequired,
    DependencyUnavailable,
    InsufficientScope,
    InvalidCredentials,
    InvalidGrant,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    PasswordRejected,
    RateLimited,
    RequestHeadersTooLarge,
    RequestTooLarge,
    ServiceBusy,
    TokenwardError,
    TooManyAttempts,
)


def request_to(path: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""})


def test_a_problem_document_has_the_rfc_9457_members_and_the_stable_code() -> None:
    body = problem_body(InvalidCredentials(), oauth=False)
    assert body == ProblemBody(
        status=401,
        document={
            "type": "https://tokenward.dev/problems/invalid_credentials",
            "title": "Invalid e-mail or password",
            "status": 401,
            "detail": "Invalid e-mail or password",
            "code": "invalid_credentials",
        },
        media_type="application/problem+json",
    )


def test_extension_members_come_after_the_standard_ones() -> None:
    document = problem_body(PasswordRejected(["too short", "too common"]), oauth=False).document
    assert list(document) == ["type", "title", "status", "detail", "code", "reasons"]
    assert document["reasons"] == ["too short", "too common"]
    assert document["detail"] == "too short; too common"


def test_an_extension_cannot_override_a_standard_member() -> None:
    class Overreaching(AccountDisabled):
        def extensions(self) -> dict[str, Any]:
            return {"status": 200, "code": "fine", "hint": "kept"}

    document = problem_body(Overreaching(), oauth=False).document
    assert (document["status"], document["code"], document["hint"]) == (403, "account_disabled", "kept")


def test_the_oauth_shape_is_the_rfc_6749_error_and_description() -> None:
    body = problem_body(InvalidGrant("reused"), oauth=True)
    assert body == ProblemBody(
        status=400,
        document={"error": "invalid_grant", "error_description": "reused"},
        media_type="application/json",
    )


def test_a_failed_client_authentication_is_401_on_the_oauth_endpoints_whatever_its_status() -> None:
    class ClientRefusedAs400(TokenwardError):
        status = 400
        oauth_error = "invalid_client"

    assert problem_body(ClientRefusedAs400("no"), oauth=True).status == 401
    assert problem_body(ClientRefusedAs400("no"), oauth=False).status == 400


def test_encode_writes_the_document_as_json_bytes() -> None:
    body = problem_body(RequestTooLarge.beyond(10), oauth=False)
    assert json.loads(body.encode()) == body.document
    assert body.document["detail"] == "The request body exceeds 10 bytes"


@pytest.mark.parametrize(
    ("path", "oauth"),
    [("/oauth/token", True), ("/oauth/revoke", True), ("/v1/oauth/token", False), ("/oauthx", False)],
)
def test_only_paths_under_oauth_use_the_oauth_shape(path: str, oauth: bool) -> None:
    assert is_oauth_path(path) is oauth


@pytest.mark.parametrize(
    ("error", "headers"),
    [
        (InvalidCredentials(), {}),
        (ServiceBusy(3), {"Retry-After": "3"}),
        (TooManyAttempts(retry_after=0), {"Retry-After": "1"}),
        (DependencyUnavailable("Redis", retry_after=2), {"Retry-After": "2"}),
        (
            RateLimited(policy="login", limit=30, window=60, retry_after=41),
            {"Retry-After": "41", "RateLimit-Policy": '"login";q=30;w=60', "RateLimit": '"login";r=0;t=41'},
        ),
        (InvalidToken("expired"), {"WWW-Authenticate": 'Bearer error="invalid_token"'}),
        (InsufficientScope(), {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}),
        (AuthenticationRequired(), {"WWW-Authenticate": "Bearer"}),
        (MethodNotAllowed(allow="GET, POST"), {"Allow": "GET, POST"}),
        (MethodNotAllowed(), {}),
    ],
)
def test_each_refusal_carries_its_own_headers(error: TokenwardError, headers: dict[str, str]) -> None:
    assert error.headers() == headers


def test_the_handler_answer_is_never_cached_and_carries_the_error_headers() -> None:
    response = problem_response(ServiceBusy(5), request_to("/v1/login"))
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert json.loads(bytes(response.body))["code"] == "service_busy"


def test_the_handler_uses_the_oauth_shape_under_oauth() -> None:
    response = problem_response(InvalidGrant("expired"), request_to("/oauth/token"))
    assert response.headers["content-type"] == "application/json"
    assert json.loads(bytes(response.body)) == {"error": "invalid_grant", "error_description": "expired"}


def test_framework_http_errors_become_tokenward_errors_with_their_headers() -> None:
    not_allowed = _from_http_exception(HTTPException(405, headers={"Allow": "POST"}))
    assert isinstance(not_allowed, MethodNotAllowed)
    assert not_allowed.headers() == {"Allow": "POST"}
    assert not_allowed.detail == "Method Not Allowed"
    assert isinstance(_from_http_exception(HTTPException(404)), NotFound)
    assert _from_http_exception(HTTPException(413, detail="too big")).code == "request_too_large"
    other = problem_body(_from_http_exception(HTTPException(418, detail="teapot")), oauth=False)
    assert (other.status, other.document["code"], other.document["title"]) == (
        418,
        "http_error",
        "Http error",
    )


async def _middleware_refusal(path: str, limit: int) -> tuple[int, dict[bytes, bytes], bytes]:
    """What the size-limit middleware answers to a request head over ``limit`` bytes."""

    async def app_never_called(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the route must not run")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    config = ApiConfig(
        issuer="https://auth.example.test", audiences=("api",), max_body_bytes=1024, max_header_bytes=limit
    )
    middleware = EdgeMiddleware(app_never_called, config=config)
    scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"x-padding", b"a" * (limit + 1))]}
    await middleware(scope, receive, send)
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


async def test_the_three_places_that_refuse_a_large_head_answer_the_same_document() -> None:
    """The exception handler, the ASGI middleware and the HTTP protocol all use the one builder."""
    expected = problem_body(RequestHeadersTooLarge.beyond(64), oauth=False).document

    handler = problem_response(RequestHeadersTooLarge.beyond(64), request_to("/v1/me"))
    status, headers, content = await _middleware_refusal("/v1/me", 64)
    raw = http_server._too_large_response(64)
    head, _, protocol_body = raw.partition(b"\r\n\r\n")

    assert json.loads(bytes(handler.body)) == expected
    assert (status, json.loads(content)) == (431, expected)
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    assert json.loads(protocol_body) == expected
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"content-type: application/problem+json" in head


async def test_the_middleware_refusal_under_oauth_uses_the_oauth_shape() -> None:
    status, headers, content = await _middleware_refusal("/oauth/token", 64)
    assert status == 431
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(content) == {
        "error": "invalid_request",
        "error_description": "The request headers exceed 64 bytes",
    }


async def test_a_known_path_with_the_wrong_method_answers_405_with_allow() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/v1/thing")
    async def thing() -> dict[str, str]:
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/v1/thing")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["code"] == "method_not_allowed"
