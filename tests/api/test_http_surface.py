"""What every response carries: problem documents, security headers, size limits, discovery, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import STRONG_PASSWORD, TEST_AUDIENCE, TEST_ISSUER, RunningApp, bearer

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


@pytest.mark.threat("T-API-05")
async def test_security_headers_on_every_response(api: RunningApp) -> None:
    for path in ("/healthz", "/.well-known/jwks.json", "/no-such-page", "/v1/me"):
        response = await api.client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        # the issuer is https, so HSTS is sent
        assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.threat("T-API-01")
async def test_oversized_body_gets_413(api: RunningApp) -> None:
    """Attack: a huge JSON body to exhaust memory before validation."""
    big = "x" * (api.settings.max_body_bytes + 1)
    response = await api.client.post("/v1/login", json={"email": "a@example.com", "password": big})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.threat("T-API-01")
async def test_oversized_chunked_body_without_length_gets_413(api: RunningApp) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    response = await api.client.post(
        "/v1/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.threat("T-API-03")
async def test_errors_are_problem_documents_without_internals(api: RunningApp) -> None:
    response = await api.client.post(
        "/v1/login", json={"email": "a@example.com", "password": STRONG_PASSWORD, "x": 1}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "code"}
    assert body["status"] == 400
    assert STRONG_PASSWORD not in response.text
    assert "Traceback" not in response.text


@pytest.mark.threat("T-API-03")
async def test_invalid_bearer_token_is_not_echoed(api: RunningApp) -> None:
    token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
    response = await api.client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert token not in response.text


async def test_missing_token_is_authentication_required(api: RunningApp) -> None:
    response = await api.client.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"


@pytest.mark.threat("T-KEY-02")
async def test_jwks_publishes_only_public_members(api: RunningApp) -> None:
    response = await api.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert len(keys) >= 1
    for key in keys:
        assert not PRIVATE_JWK_MEMBERS & set(key)
        assert key["use"] == "sig"
        assert key["alg"] == "ES256"
        assert key["kid"]


async def test_discovery_document(api: RunningApp) -> None:
    body = (await api.client.get("/.well-known/openid-configuration")).json()
    assert body["issuer"] == TEST_ISSUER
    assert body["jwks_uri"] == f"{TEST_ISSUER}/.well-known/jwks.json"
    assert body["token_endpoint"] == f"{TEST_ISSUER}/oauth/token"
    assert body["revocation_endpoint"] == f"{TEST_ISSUER}/oauth/revoke"
    assert body["introspection_endpoint"] == f"{TEST_ISSUER}/oauth/introspect"


async def test_access_token_header_and_claims(api: RunningApp) -> None:
    import base64
    import json

    _, tokens = await api.new_user()
    header_b64, payload_b64, _ = tokens["access_token"].split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"] in {
        k["kid"] for k in (await api.client.get("/.well-known/jwks.json")).json()["keys"]
    }
    assert {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "scope", "amr", "auth_time"} <= set(
        payload
    )
    assert payload["iss"] == TEST_ISSUER
    assert TEST_AUDIENCE in (payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]])
    assert payload["exp"] - payload["iat"] == 600
    assert payload["amr"] == ["pwd"]
    assert "email" not in payload


async def test_health_and_readiness(api: RunningApp) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_openapi_declares_bearer_security_per_operation(api: RunningApp) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert spec["paths"]["/v1/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert spec["paths"]["/v1/me/password"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/v1/login"]["post"]
    assert "security" not in spec["paths"]["/v1/signup"]["post"]


async def test_unknown_route_is_a_problem_document(api: RunningApp) -> None:
    response = await api.client.get("/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.threat("T-API-01")
async def test_oversized_body_on_oauth_uses_the_rfc6749_shape(api: RunningApp) -> None:
    big = "x" * (api.settings.max_body_bytes + 1)
    response = await api.client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": big}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


async def test_patch_without_fields_changes_nothing(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    await api.client.patch("/v1/me", json={"display_name": "Grace"}, headers=bearer(tokens["access_token"]))
    response = await api.client.patch("/v1/me", json={}, headers=bearer(tokens["access_token"]))
    assert response.json()["display_name"] == "Grace"


async def test_wrong_current_password_is_not_a_bearer_challenge(api: RunningApp) -> None:
    _, tokens = await api.new_user()
    response = await api.client.post(
        "/v1/me/password",
        json={"current_password": "not the password", "new_password": "some new long passphrase"},
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 401
    assert "www-authenticate" not in response.headers


async def test_discovery_lists_the_algorithms_of_published_keys(api: RunningApp) -> None:
    body = (await api.client.get("/.well-known/openid-configuration")).json()
    assert body["access_token_signing_alg_values_supported"] == ["ES256"]


@pytest.mark.threat("T-API-01")
async def test_oversized_headers_get_431(api: RunningApp) -> None:
    """Attack: a huge header block to make every layer copy and scan it."""
    response = await api.client.get(
        "/healthz", headers={"X-Padding": "a" * (api.settings.max_header_bytes + 1)}
    )
    assert response.status_code == 431
    assert response.json()["code"] == "request_headers_too_large"
