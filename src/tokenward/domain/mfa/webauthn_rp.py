"""The WebAuthn relying party: ceremony options and response checks, on the ``webauthn`` library (py_webauthn).

Before the library verifies a response, ``read_client_data`` and ``check_rp_id`` check the two things the
browser and the authenticator bind into it, so each refusal has its own code: the page's origin must be one of
the configured origins (``passkey_origin_mismatch``), and the authenticator must have scoped the credential to
this RP id (``passkey_rp_id_mismatch``). The library then checks everything again, with the signature.

Sign counters are not left to the library: it is called with a stored count of 0 (which skips its check) and
``counter_went_backwards`` decides afterwards, once the signature is known to be good, so a forged response
cannot raise a false clone alarm.

Attestation is ``none``: Tokenward trusts a passkey because the user registered it after signing in, not
because of who made the authenticator; ``packed`` self-attestation and the other formats are still checked
when an authenticator sends one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authenticator_data,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tokenward.errors import InvalidPasskey, PasskeyOriginMismatch, PasskeyRpIdMismatch

#: how long the browser is told to wait for the user (a hint); the server's challenge lives 5 minutes
TIMEOUT_MS = 120_000


@dataclass(frozen=True, slots=True)
class RelyingParty:
    rp_id: str
    origins: tuple[str, ...]
    name: str


def relying_party_problems(rp_id: str, origins: Sequence[str]) -> list[str]:
    """What is wrong with an RP id and its origins, in plain words (checked when the settings are read).

    Each origin is ``scheme://host[:port]`` with no path, and its host is the RP id or a subdomain of it (the
    rule browsers enforce). That origins are https is a production rule (``Settings.insecure_settings``).
    """
    problems: list[str] = []
    if not rp_id or rp_id != rp_id.lower() or "/" in rp_id:
        problems.append(f"the WebAuthn RP id must be a lower-case host name, got {rp_id!r}")
    if not origins:
        problems.append("at least one WebAuthn origin is required")
    for origin in origins:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host or parts.path not in ("", "/") or parts.query:
            problems.append(f"the WebAuthn origin {origin!r} must be scheme://host[:port] without a path")
        elif host != rp_id and not host.endswith("." + rp_id):
            problems.append(f"the WebAuthn origin {origin!r} is not {rp_id} or a subdomain of it")
    return problems


def canonical_origin(origin: str) -> str:
    """``https://Example.com:443/`` -> ``https://example.com``: the form browsers put in clientDataJSON."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int
    backup_eligible: bool
    transports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assertion:
    credential_id: str
    sign_count: int
    user_verified: bool
    #: base64url user handle the authenticator returned (discoverable credentials), else ``None``
    user_handle: str | None


def registration_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    exclude: Sequence[str],
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` as JSON for ``navigator.credentials.create``: a discoverable
    credential (so it can sign in alone), user verification preferred, no attestation."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_name=user_name,
        user_id=user_handle,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in exclude],
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def authentication_options(
    rp: RelyingParty, *, challenge: bytes, allow: Sequence[tuple[str, Sequence[str]]], require_uv: bool
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` as JSON; an empty ``allow`` lets the authenticator offer any
    discoverable credential for this RP (passwordless sign-in)."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid), transports=_transports(transports))
            for cid, transports in allow
        ],
        user_verification=(
            UserVerificationRequirement.REQUIRED if require_uv else UserVerificationRequirement.PREFERRED
        ),
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def _transports(values: Sequence[str]) -> list[AuthenticatorTransport] | None:
    known = {t.value: t for t in AuthenticatorTransport}
    chosen = [known[v] for v in values if v in known]
    return chosen or None


def challenge_hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def read_client_data(rp: RelyingParty, credential: Mapping[str, Any], expected_type: str) -> bytes:
    """The challenge a response answers, after checking its type and the origin the browser reported."""
    try:
        response = credential["response"]
        client_data = json.loads(base64url_to_bytes(response["clientDataJSON"]))
        kind, origin, challenge = client_data["type"], client_data["origin"], client_data["challenge"]
        raw_challenge = base64url_to_bytes(challenge)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidPasskey("The credential's clientDataJSON is malformed") from exc
    if kind != expected_type:
        raise InvalidPasskey(f"The credential answers a {kind!r} ceremony, expected {expected_type!r}")
    if not isinstance(origin, str) or origin not in rp.origins:
        raise PasskeyOriginMismatch(f"The credential was made for the origin {str(origin)[:200]!r}")
    return raw_challenge


def check_rp_id(rp: RelyingParty, credential: Mapping[str, Any], *, registration: bool) -> None:
    """The authenticator scoped its data to ``rp.rp_id`` (SHA-256 of it heads the authenticator data)."""
    try:
        response = credential["response"]
        if registration:
            auth_data = parse_attestation_object(base64url_to_bytes(response["attestationObject"])).auth_data
        else:
            auth_data = parse_authenticator_data(base64url_to_bytes(response["authenticatorData"]))
    except (KeyError, TypeError, ValueError, WebAuthnException) as exc:
        raise InvalidPasskey("The credential's authenticator data is malformed") from exc
    if auth_data.rp_id_hash != hashlib.sha256(rp.rp_id.encode()).digest():
        raise PasskeyRpIdMismatch("The credential was made for another relying party id")


def verify_new_credential(rp: RelyingParty, credential: Mapping[str, Any], challenge: bytes) -> NewCredential:
    try:
        verified = verify_registration_response(
            credential=dict(credential),
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise InvalidPasskey("The registration response was refused") from exc
    raw_transports = credential.get("response", {}).get("transports") or []
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        backup_eligible=verified.credential_device_type is CredentialDeviceType.MULTI_DEVICE,
        transports=tuple(str(t)[:32] for t in raw_transports if isinstance(t, str))[:8],
    )


def verify_assertion(
    rp: RelyingParty,
    credential: Mapping[str, Any],
    challenge: bytes,
    public_key: bytes,
    *,
    require_uv: bool,
) -> Assertion:
    try:
        verified = verify_authentication_response(
            credential=dict(credential),
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
            credential_public_key=public_key,
            # 0 turns the library's counter check off; ``counter_went_backwards`` runs after the signature
            credential_current_sign_count=0,
            require_user_verification=require_uv,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise InvalidPasskey("The passkey's response was refused") from exc
    handle = credential.get("response", {}).get("userHandle")
    return Assertion(
        credential_id=bytes_to_base64url(verified.credential_id),
        sign_count=verified.new_sign_count,
        user_verified=verified.user_verified,
        user_handle=handle if isinstance(handle, str) and handle else None,
    )


def counter_went_backwards(stored: int, received: int) -> bool:
    """WebAuthn §6.1.1: an authenticator that keeps a counter must show a larger one each time; both 0 means
    it keeps none (synced passkeys), which is not a clone sign."""
    return (stored > 0 or received > 0) and received <= stored


def credential_id_of(credential: Mapping[str, Any]) -> str:
    value = credential.get("id")
    if not isinstance(value, str) or not value or len(value) > 1400:
        raise InvalidPasskey("The credential has no id")
    return value
