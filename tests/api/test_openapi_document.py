"""What the OpenAPI document says about refusals, media types and security (the fuzz run checks the rest)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.harness import RunningApp
from tokenward.api.routing import JsonBodyRoute, takes_json_body


@pytest.fixture(scope="module")
async def document(api: RunningApp) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def error_codes(response: dict[str, Any]) -> list[str]:
    (content,) = response["content"].values()
    refined = content["schema"]["allOf"][1]["properties"]
    (member,) = refined
    codes: list[str] = refined[member]["enum"]
    return codes


def test_no_operation_documents_the_framework_validation_error(document: dict[str, Any]) -> None:
    """Validation errors are 400 problems here; FastAPI's 422 HTTPValidationError is never answered."""
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in operations(document):
        assert "HTTPValidationError" not in str(operation), (method, path)


def test_every_operation_with_a_body_documents_400_413_and_415(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if "requestBody" not in operation:
            continue
        responses = operation["responses"]
        assert {"400", "413", "415"} <= set(responses), (method, path)
        assert error_codes(responses["415"]) == (
            ["invalid_request"] if path.startswith("/oauth/") else ["unsupported_media_type"]
        )


#: the browser-facing OpenID Connect endpoints
BROWSER_PATHS = ("/oauth/authorize", "/oauth/logout")


def test_problem_answers_are_problem_json_and_oauth_answers_the_rfc_6749_object(
    document: dict[str, Any],
) -> None:
    for _method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or path == "/readyz":
                continue
            if path in BROWSER_PATHS and status == "400":
                # no client to send the browser back to: an HTML page (RFC 6749 §4.1.2.1)
                assert list(response["content"]) == ["text/html"]
                continue
            (media_type,) = response["content"]
            reference = response["content"][media_type]["schema"]["allOf"][0]["$ref"]
            if path.startswith("/oauth/"):
                assert (media_type, reference) == ("application/json", "#/components/schemas/OAuthError")
            else:
                assert (media_type, reference) == ("application/problem+json", "#/components/schemas/Problem")


def test_password_rejected_is_a_422_problem(document: dict[str, Any]) -> None:
    signup = document["paths"]["/v1/signup"]["post"]["responses"]
    assert list(signup["422"]["content"]) == ["application/problem+json"]
    assert error_codes(signup["422"]) == ["password_rejected"]
    password = document["components"]["schemas"]["SignupRequest"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 1024)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/v1/me", {"401", "503"}),
        ("post", "/v1/login", {"400", "401", "403", "413", "415", "429", "503"}),
        ("post", "/v1/me/mfa/totp", {"400", "401", "403", "413", "415", "429", "503"}),
        ("delete", "/v1/me/mfa/totp", {"400", "401", "403", "409", "413", "415", "429", "503"}),
        ("delete", "/v1/me/sessions/{session_id}", {"401", "404", "503"}),
        ("delete", "/v1/me", {"400", "401", "403", "413", "415", "429", "503"}),
        (
            "post",
            "/v1/me/passkeys/registration/options",
            {"400", "401", "403", "409", "413", "415", "429", "503"},
        ),
        ("post", "/oauth/token", {"400", "401", "403", "413", "415", "429", "503"}),
        ("post", "/oauth/introspect", {"400", "401", "413", "415", "429", "503"}),
        ("get", "/healthz", set()),
    ],
)
def test_each_operation_lists_the_refusals_it_raises(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    responses = document["paths"][path][method]["responses"]
    assert {status for status in responses if int(status) >= 400} == statuses


def test_erasure_documents_the_refusals_of_every_second_factor(document: dict[str, Any]) -> None:
    """``DELETE /v1/me`` takes any current factor, so it answers each factor's refusal."""
    responses = document["paths"]["/v1/me"]["delete"]["responses"]
    for code in ("invalid_mfa_code", "mfa_code_replayed", "mfa_code_expired", "passkey_unknown"):
        assert f"`{code}`" in responses["401"]["description"], code
    assert "`mfa_method_unavailable`" in responses["403"]["description"]


def test_refusals_name_their_headers(document: dict[str, Any]) -> None:
    login = document["paths"]["/v1/login"]["post"]["responses"]
    assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(login["429"]["headers"])
    assert "Accept-Post" in login["415"]["headers"]
    assert "WWW-Authenticate" in document["paths"]["/v1/me"]["get"]["responses"]["401"]["headers"]
    assert "Accept-Patch" in document["paths"]["/v1/me"]["patch"]["responses"]["415"]["headers"]


def test_revoke_answers_an_empty_200(document: dict[str, Any]) -> None:
    assert "content" not in document["paths"]["/oauth/revoke"]["post"]["responses"]["200"]


def test_client_authentication_is_declared(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ClientBasic"] == {
        "type": "http",
        "scheme": "basic",
        "description": schemes["ClientBasic"]["description"],
    }
    assert document["paths"]["/oauth/introspect"]["post"]["security"] == [{"ClientBasic": []}]
    # revocation works without client authentication too
    assert document["paths"]["/oauth/revoke"]["post"]["security"] == [{"ClientBasic": []}, {}]
    assert document["paths"]["/v1/me"]["get"]["security"] == [{"HTTPBearer": []}]


def test_oauth_request_schemas_say_what_is_refused(document: dict[str, Any]) -> None:
    for path, required in (("/oauth/introspect", "token"), ("/oauth/token", "refresh_token")):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/x-www-form-urlencoded", "application/json"}
        for media in content.values():
            schema = media["schema"]
            assert schema["properties"][required]["minLength"] == 1
            assert schema["properties"][required]["maxLength"] == 4096
            assert schema["additionalProperties"] == {"type": "string", "maxLength": 4096}
    introspect = document["paths"]["/oauth/introspect"]["post"]["requestBody"]["content"]["application/json"]
    assert introspect["schema"]["properties"]["token_type_hint"]["enum"] == ["access_token", "refresh_token"]
    assert introspect["schema"]["required"] == ["token"]
    logout = document["components"]["schemas"]["LogoutRequest"]
    assert (logout["properties"]["all"]["type"], logout["additionalProperties"]) == ("boolean", False)


def test_token_endpoint_documents_the_refresh_cookie_as_the_alternative(document: dict[str, Any]) -> None:
    """The cookie transport's refresh needs no ``refresh_token`` in the body: the cookie carries it, and a
    request with the cookie may be refused for CSRF."""
    token = document["paths"]["/oauth/token"]["post"]
    for media in token["requestBody"]["content"].values():
        assert media["schema"]["required"] == ["grant_type"]
        assert "__Host-tokenward-refresh" in media["schema"]["properties"]["refresh_token"]["description"]
    (cookie,) = token["parameters"]
    assert (cookie["name"], cookie["in"], cookie["required"]) == ("__Host-tokenward-refresh", "cookie", False)
    assert "X-Tokenward-CSRF" in cookie["description"]
    assert error_codes(token["responses"]["403"]) == ["csrf_failed"]


async def test_discovery_names_the_response_types(api: RunningApp) -> None:
    """RFC 8414 §2 requires the member: the authorization code flow is the one response type."""
    discovery = (await api.client.get("/.well-known/openid-configuration")).json()
    assert discovery["response_types_supported"] == ["code"]


def test_every_api_route_reads_its_body_with_the_one_decoder(
    api: RunningApp, document: dict[str, Any]
) -> None:
    """A router made without ``route_class=JsonBodyRoute`` would let FastAPI's own json.loads read bodies.
    (The HTML pages, outside the document, read forms.)"""
    routes = [
        route
        for route in iter_route_contexts(api.app.routes)
        if isinstance(route.original_route, APIRoute) and route.path_format in document["paths"]
    ]
    assert len(routes) == len(operations(document))
    assert any(takes_json_body(route) for route in routes)
    for route in routes:
        assert isinstance(route.original_route, JsonBodyRoute), route.path_format
