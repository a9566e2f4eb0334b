"""Redirect URIs: what may be registered, and exact matching with the loopback port exception."""

from __future__ import annotations

import pytest

from tokenward.domain.clients import check_redirect_uri, matches_redirect_uri
from tokenward.errors import InvalidRequest

REGISTERED = (
    "https://app.example/cb",
    "http://127.0.0.1/native",
    "http://[::1]:8000/native",
    "com.example.app:/cb",
)


@pytest.mark.threat("T-OIDC-02")
@pytest.mark.parametrize(
    "requested",
    [
        "https://app.example/cb/",
        "https://app.example/CB",
        "https://APP.example/cb",
        "https://app.example/cb?x=1",
        "https://app.example/cb#x",
        "https://app.example:443/cb",
        "https://app.example.evil/cb",
        "http://app.example/cb",
        "http://127.0.0.1:5000/native/",
        "http://127.0.0.1:5000/other",
        "http://localhost:5000/native",
        "https://127.0.0.1:5000/native",
        "http://127.0.0.1:50x/native",
        "com.example.app:/cb2",
    ],
)
def test_anything_but_the_exact_uri_is_refused(requested: str) -> None:
    assert not matches_redirect_uri(REGISTERED, requested)


@pytest.mark.parametrize(
    "requested",
    [
        "https://app.example/cb",
        "http://127.0.0.1/native",
        "http://127.0.0.1:51234/native",
        "http://[::1]:6000/native",
        "http://[::1]/native",
        "com.example.app:/cb",
    ],
)
def test_exact_uris_and_loopback_ports_match(requested: str) -> None:
    assert matches_redirect_uri(REGISTERED, requested)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "/relative",
        "javascript:alert(1)",
        "data:text/html,x",
        "http://app.example/cb",
        "https://app.example/cb#fragment",
        "https://user@app.example/cb",
        "https:///no-host",
        "myapp:/cb",
        "https://app.example/ cb",
    ],
)
def test_unsafe_uris_cannot_be_registered(uri: str) -> None:
    with pytest.raises(InvalidRequest):
        check_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri",
    ["https://app.example/cb", "http://127.0.0.1:8080/cb", "http://localhost/cb", "com.example.app:/cb"],
)
def test_https_loopback_and_app_uris_can_be_registered(uri: str) -> None:
    assert check_redirect_uri(uri) == uri
