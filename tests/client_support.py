"""The secret of a client created in a test: confidential clients have one, and a test that needs it says so."""

from __future__ import annotations

from tokenward.domain.clients import NewClient


def secret_of(created: NewClient) -> str:
    assert created.secret is not None, "a public client has no secret"
    return created.secret
