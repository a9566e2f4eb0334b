"""The OAuth endpoints' form reader (``oauth_parameters._form``) against Starlette's form parser it replaced.

The previous reader, kept here as the specification, parsed the body with Starlette's ``Request.form`` (python-
multipart) and refused a repeated parameter. Both read generated bodies made of the characters that matter
(separators, ``=``, ``+``, percent escapes whole and broken, UTF-8 and Latin-1 bytes, ``;``) and must give the
same parameters or the same refusal, word for word: too many fields, a field too large, a repeated parameter.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tokenward.api.routes import oauth_parameters
from tokenward.api.routes.oauth_parameters import MAX_PARAMETERS
from tokenward.errors import InvalidRequest


async def _starlette_form(body: bytes) -> dict[str, Any]:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "app": object(),  # as under an application: a refusal is an HTTPException
    }
    request = Request(scope, receive)
    try:
        form = await request.form(max_files=0, max_fields=MAX_PARAMETERS)
    except HTTPException as exc:
        raise InvalidRequest(str(exc.detail)) from None
    values: dict[str, Any] = {}
    for key in form:
        items = form.getlist(key)
        if len(items) > 1:
            raise InvalidRequest(f"Parameter {key} was given more than once")
        values[key] = items[0]
    return values


def _outcome(read: Any) -> Any:
    try:
        return ("parameters", read())
    except InvalidRequest as refused:
        return ("refused", refused.detail)


def _reference(body: bytes) -> Any:
    return _outcome(lambda: asyncio.run(_starlette_form(body)))


_PIECES = st.sampled_from(
    [
        b"a",
        b"b",
        b"grant_type",
        b"=",
        b"&",
        b"&&",
        b"+",
        b"%20",
        b"%2",
        b"%",
        b"%C3%A9",
        b"%FF",
        b"\xc3\xa9",
        b"\xff",
        b";",
        b" ",
        b"%26",
        b"%3D",
        b"x" * 10,
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=60).map(b"".join))
def test_the_reader_reads_every_body_as_starlette_did(body: bytes) -> None:
    assert _outcome(lambda: oauth_parameters._form(body)) == _reference(body)


def test_the_refusals_are_the_same_word_for_word() -> None:
    many = b"&".join(b"p%d=1" % n for n in range(MAX_PARAMETERS + 1))
    large = b"a=" + b"x" * (1024 * 1024)
    for body in (many, large, b"a=1&a=2", b"a&a", b"=1&=2"):
        fast = _outcome(lambda body=body: oauth_parameters._form(body))
        assert fast[0] == "refused"
        assert fast == _reference(body)
