"""The back-channel logout sender against a mock transport: the form it posts, what counts as delivered, the
one retry, and redirects never followed."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from tokenward.adapters.oidc.backchannel import ATTEMPTS, HttpLogoutTokenSender

URI = "https://rp.example/backchannel"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.e30.sig"


def _sender(*answers: int | Exception) -> tuple[HttpLogoutTokenSender, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    replies = list(answers)

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = replies.pop(0)
        if isinstance(answer, Exception):
            raise answer
        headers = {"Location": "https://elsewhere.example/"} if answer in (301, 302, 307, 308) else {}
        return httpx.Response(answer, headers=headers)

    return HttpLogoutTokenSender(transport=httpx.MockTransport(reply)), seen


async def test_the_token_is_posted_as_a_form_and_a_200_or_204_is_delivered() -> None:
    for status in (200, 204):
        sender, seen = _sender(status)
        assert await sender.send(URI, TOKEN) is True
        [request] = seen
        assert (request.method, str(request.url)) == ("POST", URI)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert parse_qs(request.content.decode()) == {"logout_token": [TOKEN]}


@pytest.mark.parametrize(
    "first", [500, 503, httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], ids=str
)
async def test_a_server_error_or_a_lost_connection_gets_one_more_attempt(first: int | Exception) -> None:
    sender, seen = _sender(first, 200)
    assert await sender.send(URI, TOKEN) is True
    assert len(seen) == ATTEMPTS


async def test_a_client_that_keeps_failing_is_given_up_on_without_raising() -> None:
    sender, seen = _sender(httpx.ConnectError("refused"), 502)
    assert await sender.send(URI, TOKEN) is False
    assert len(seen) == ATTEMPTS


@pytest.mark.threat("T-OIDC-14")
@pytest.mark.parametrize("status", [302, 307, 400, 401, 404])
async def test_a_redirect_or_a_refusal_is_final_and_never_followed(status: int) -> None:
    """Attack: a client's logout endpoint answers with a redirect to make the server post the token (or
    anything) to another address; the redirect is not followed and not retried."""
    sender, seen = _sender(status, 200)
    assert await sender.send(URI, TOKEN) is False
    assert [str(r.url) for r in seen] == [URI]
