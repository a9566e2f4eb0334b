"""Reading form fields with the API's own bounds (a passkey's response too), and the allow-list check of return
URLs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tokenward.api.browser import BrowserConfig
from tokenward.api.schemas import MAX_CODE_CHARS, MAX_PASSWORD_CHARS, MAX_TOKEN_CHARS
from tokenward.errors import InvalidPasskey, InvalidRequest
from tokenward.pages.oidc import is_authorization_return

#: the same bounds as the API's request bodies (api.schemas)
LIMITS = {
    "email": 320,
    "new_email": 320,
    "password": MAX_PASSWORD_CHARS,
    "current_password": MAX_PASSWORD_CHARS,
    "new_password": MAX_PASSWORD_CHARS,
    "code": MAX_CODE_CHARS,
    #: the current factor the account page's protected forms ask for (``pages.step_up``)
    "step_up_code": MAX_CODE_CHARS,
    "step_up_method": 16,
    "token": MAX_TOKEN_CHARS,
    "display_name": 200,
    "session_id": 64,
    "client_id": 64,
    #: a WebAuthn response as JSON (attestation certificates can make it a few KiB)
    "credential": 32768,
    "webauthn": 32768,
    "passkey_id": 1400,
    "passkey_name": 200,
}
MISSING = {
    "email": "Enter your e-mail address",
    "new_email": "Enter the new e-mail address",
    "password": "Enter your password",
    "current_password": "Enter your current password",
    "new_password": "Enter a new password",
    "code": "Enter the code",
    "token": "The code from the link is missing: open the link from the e-mail again",
}


def read_fields(
    form: Mapping[str, str], names: tuple[str, ...], optional: tuple[str, ...] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """The named fields (whitespace kept: it may belong to a password) and an error per field that is wrong."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        if len(value) > LIMITS[name]:
            errors[name] = f"Too long: at most {LIMITS[name]} characters"
        elif not value and name not in optional:
            errors[name] = MISSING.get(name, "This field is required")
        values[name] = value if len(value) <= LIMITS[name] else ""
    return values, errors


def passkey_credential(form: Mapping[str, str], name: str = "credential") -> dict[str, Any]:
    """The WebAuthn response the pages' script put into the form as JSON."""
    values, errors = read_fields(form, (name,))
    if errors:
        raise InvalidPasskey("The browser sent no passkey response")
    try:
        credential = json.loads(values[name])
    except ValueError as exc:
        raise InvalidPasskey("The passkey response is not JSON") from exc
    if not isinstance(credential, dict):
        raise InvalidPasskey("The passkey response is not a JSON object")
    return credential


class ReturnUrlRefused(InvalidRequest):
    def __init__(self) -> None:
        super().__init__(
            "The address to return to after signing in is not on this service's list of allowed addresses, "
            "so it was refused."
        )


def checked_return_to(value: str | None, config: BrowserConfig) -> str | None:
    """An exact entry of the allow-list, the authorization endpoint (which checks its request again), or
    ``None`` when none was asked for; anything else is refused."""
    if not value:
        return None
    if value in config.return_urls or is_authorization_return(value):
        return value
    raise ReturnUrlRefused()
