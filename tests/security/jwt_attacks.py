"""Forged and malformed access tokens, each with the exact ``InvalidToken.reason`` a verifier must give.

``build_attack_cases`` is shared: the domain verifier tests, the resource-server client tests and the server's
HTTP tests all run the same cases. It therefore knows nothing of any verifier class; it only needs the real
signing key (to make tokens whose *only* flaw is the attack), the published public JWK (the raw material of
key-confusion attacks), and the issuer, audience and time the verifier under test is configured with.

Assumptions about that verifier (Tokenward's defaults): every algorithm of ``SUPPORTED_ALGORITHMS`` allowed,
the legacy ``EdDSA`` label off, leeway at most 60 s, maximum lifetime 3600 s, maximum token size 8192 bytes.

Tokens are assembled by hand and signed through joserfc's algorithm objects directly, because the attacks
need headers that a well-behaved library refuses to produce (unknown members, duplicates, ``crit``...).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key
from joserfc.jws import JWSRegistry

from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.jwk import SigningKey
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState, StoredKey
from tokenward.domain.keys.ring import KeyRing
from tokenward_client.signatures import P256_ORDER, low_s

#: placeholder that removes a member from a header or a payload
DROP: Any = object()
#: allowed, but never the key's: algorithms an attacker may relabel a token with
UNSUPPORTED_LABELS = (
    "ES384",
    "ES512",
    "RS384",
    "RS512",
    "PS384",
    "PS512",
    "Ed448",
    "EdDSA",
    "ES256K",
    "es256",
)


@dataclass(frozen=True, slots=True)
class AttackCase:
    name: str
    threat: str
    token: str
    reason: str

    def __repr__(self) -> str:  # keeps a 1 MB token out of test reports
        return f"AttackCase({self.name!r}, {self.threat!r}, reason={self.reason!r})"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_text(value: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in value.items() if v is not DROP}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class TokenFactory:
    """Builds tokens that are valid except for what a case changes."""

    signing_key: SigningKey
    issuer: str
    audience: str
    now: int

    def header(self, **changes: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": self.signing_key.alg, "typ": "at+jwt", "kid": self.signing_key.kid}
        header.update(changes)
        return header

    def claims(self, **changes: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-0001",
            "aud": self.audience,
            "exp": self.now + 600,
            "iat": self.now,
            "nbf": self.now,
            "jti": secrets.token_urlsafe(16),
            "sid": "session-0001",
            "scope": "openid profile",
            "amr": ["pwd"],
            "auth_time": self.now,
        }
        claims.update(changes)
        return claims

    def sign(self, signing_input: bytes, alg: str | None = None) -> bytes:
        """Sign with the real key and its real algorithm (or ``alg``, for relabelling); ES256 with low ``s``,
        as Tokenward signs (``keys.signing``), so that only what a case changes is wrong."""
        alg = alg or self.signing_key.alg
        signature = JWSRegistry.algorithms[alg].sign(signing_input, self.signing_key.key)
        return low_s(signature) if alg == "ES256" else signature

    def raw(self, header_text: str, payload_text: str, signer: Callable[[bytes], bytes] | None = None) -> str:
        signing_input = f"{b64url(header_text.encode())}.{b64url(payload_text.encode())}"
        signature = (signer or self.sign)(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"

    def token(self, header: Mapping[str, Any] | None = None, claims: Mapping[str, Any] | None = None) -> str:
        return self.raw(json_text(header or self.header()), json_text(claims or self.claims()))

    def with_signature(self, signature: bytes, header: Mapping[str, Any] | None = None) -> str:
        header_segment = b64url(json_text(header or self.header()).encode())
        payload_segment = b64url(json_text(self.claims()).encode())
        return f"{header_segment}.{payload_segment}.{b64url(signature)}"


def public_key_serialisations(public_jwk: Mapping[str, Any]) -> dict[str, bytes]:
    """Every form of the published public key an HMAC key-confusion attack may try as the secret."""
    members = {k: v for k, v in public_jwk.items() if k in {"kty", "crv", "x", "y", "n", "e"}}
    key = import_key(members).public_key
    assert isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    forms = {
        "pem": pem,
        "pem_no_newline": pem.rstrip(b"\n"),
        "der_spki": key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk_json": json.dumps(dict(public_jwk)).encode(),
        "jwk_json_compact": json.dumps(dict(public_jwk), separators=(",", ":")).encode(),
        "openssh": key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH),
    }
    if isinstance(key, ec.EllipticCurvePublicKey):
        forms["raw_point"] = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    elif isinstance(key, ed25519.Ed25519PublicKey):
        forms["raw_bytes"] = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        forms["pkcs1_pem"] = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        forms["pkcs1_der"] = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return forms


def _attacker_key(alg: str) -> ECKey | OKPKey | RSAKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256")
    if alg == "Ed25519":
        return OKPKey.generate_key("Ed25519")
    return RSAKey.generate_key(2048)


def _attacker_certificate(now: dt.datetime) -> bytes:
    """A self-signed certificate for an attacker's key: what an ``x5c`` header would carry."""
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker.example")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def _noncanonical(segment: str) -> str | None:
    """The same bytes with the unused low bits of the last base64url character set, if it has any.

    Lenient decoders ignore those bits, so two different strings would carry one signature: a malleability
    that lets a replayed token slip past a deny-list keyed by the token string.
    """
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused_bits = {2: 4, 3: 2}.get(len(segment) % 4)
    if unused_bits is None:
        return None
    return segment[:-1] + alphabet[alphabet.index(segment[-1]) | ((1 << unused_bits) - 1)]


def build_attack_cases(
    signing_key: SigningKey, public_jwk: Mapping[str, Any], issuer: str, audience: str, now: dt.datetime
) -> list[AttackCase]:
    """Every attack as a token and the exact reason it must be refused with."""
    t = int(now.timestamp())
    f = TokenFactory(signing_key=signing_key, issuer=issuer, audience=audience, now=t)
    cases: list[AttackCase] = []

    def add(name: str, threat: str, token: str, reason: str) -> None:
        cases.append(AttackCase(name=name, threat=threat, token=token, reason=reason))

    valid = f.token()
    header_segment, payload_segment, signature_segment = valid.split(".")
    real_signature = base64.urlsafe_b64decode(signature_segment + "=" * (-len(signature_segment) % 4))

    # T-JWT-01: alg none, every casing, with an empty and with a garbage signature
    for label in ("none", "None", "NONE", "nOnE"):
        header = json_text(f.header(alg=label))
        add(
            f"alg_{label}_empty_signature",
            "T-JWT-01",
            f.raw(header, json_text(f.claims()), lambda _: b""),
            "alg_not_allowed",
        )
        add(
            f"alg_{label}_garbage_signature",
            "T-JWT-01",
            f.raw(header, json_text(f.claims()), lambda _: b"garbage"),
            "alg_not_allowed",
        )
    add("alg_missing", "T-JWT-01", f.token(header=f.header(alg=DROP)), "alg_not_allowed")
    add("alg_null", "T-JWT-01", f.token(header=f.header(alg=None)), "alg_not_allowed")

    # T-JWT-02: HMAC keyed with every serialisation of the published public key
    for form, secret in public_key_serialisations(public_jwk).items():
        for bits, digest in ((256, hashlib.sha256), (384, hashlib.sha384), (512, hashlib.sha512)):
            header = json_text(f.header(alg=f"HS{bits}"))

            def hs(signing_input: bytes, secret: bytes = secret, digest: Any = digest) -> bytes:
                return hmac.new(secret, signing_input, digest).digest()

            add(
                f"hmac_HS{bits}_keyed_with_{form}",
                "T-JWT-02",
                f.raw(header, json_text(f.claims()), hs),
                "alg_not_allowed",
            )

    # T-JWT-03: the real key's signature under another algorithm label
    for other in SUPPORTED_ALGORITHMS:
        if other == signing_key.alg:
            continue
        relabelled = b64url(json_text(f.header(alg=other)).encode())
        add(
            f"relabel_{other}_signature_kept",
            "T-JWT-03",
            f"{relabelled}.{payload_segment}.{signature_segment}",
            "alg_mismatch",
        )
        add(
            f"relabel_{other}_resigned_by_real_key",
            "T-JWT-03",
            f.raw(json_text(f.header(alg=other)), json_text(f.claims())),
            "alg_mismatch",
        )
    for label in UNSUPPORTED_LABELS:
        add(
            f"relabel_{label}_not_allowed",
            "T-JWT-03",
            f.raw(json_text(f.header(alg=label)), json_text(f.claims())),
            "alg_not_allowed",
        )

    # T-JWT-04 (ECDSA) and T-JWT-14: invalid signatures
    length = len(real_signature)
    if signing_key.alg == "ES256":
        half = length // 2
        r = int.from_bytes(real_signature[:half], "big")
        s = int.from_bytes(real_signature[half:], "big")
        order = P256_ORDER
        add("ecdsa_r_s_zero", "T-JWT-04", f.with_signature(bytes(64)), "bad_signature")
        add("ecdsa_all_ff", "T-JWT-04", f.with_signature(b"\xff" * 64), "bad_signature")
        add(
            "ecdsa_r_s_curve_order",
            "T-JWT-04",
            f.with_signature(order.to_bytes(32, "big") * 2),
            "bad_signature",
        )
        add(
            "ecdsa_r_zero_s_real",
            "T-JWT-04",
            f.with_signature(bytes(32) + real_signature[half:]),
            "bad_signature",
        )
        add(
            "ecdsa_truncated",
            "T-JWT-04",
            f"{header_segment}.{payload_segment}.{b64url(real_signature[:32])}",
            "bad_signature",
        )
        add(
            "ecdsa_der_encoded",
            "T-JWT-04",
            f"{header_segment}.{payload_segment}.{b64url(encode_dss_signature(r, s))}",
            "bad_signature",
        )
        add("ecdsa_der_r_s_zero", "T-JWT-04", f.with_signature(encode_dss_signature(0, 0)), "bad_signature")
        # T-JWT-15: the high-S twin (r, n - s) of the real signature, as valid to plain ECDSA as the original
        twin = real_signature[:half] + (order - s).to_bytes(half, "big")
        add(
            "ecdsa_high_s_twin",
            "T-JWT-15",
            f"{header_segment}.{payload_segment}.{b64url(twin)}",
            "bad_signature",
        )
    add("signature_empty", "T-JWT-14", f"{header_segment}.{payload_segment}.", "bad_signature")
    add("signature_zero_bytes", "T-JWT-14", f.with_signature(bytes(length)), "bad_signature")
    add("signature_all_ff", "T-JWT-14", f.with_signature(b"\xff" * length), "bad_signature")
    add(
        "signature_truncated",
        "T-JWT-14",
        f"{header_segment}.{payload_segment}.{b64url(real_signature[:-1])}",
        "bad_signature",
    )
    extended = b64url(real_signature + bytes(1))
    add("signature_extended", "T-JWT-14", f"{header_segment}.{payload_segment}.{extended}", "bad_signature")
    flipped = bytes([real_signature[0] ^ 0x01]) + real_signature[1:]
    add(
        "signature_bit_flipped",
        "T-JWT-14",
        f"{header_segment}.{payload_segment}.{b64url(flipped)}",
        "bad_signature",
    )

    # T-JWT-14: tampered payload under the original signature, and a signature spliced from another token
    escalated = b64url(json_text(f.claims(sub="admin", scope="admin openid profile")).encode())
    add("tampered_payload", "T-JWT-14", f"{header_segment}.{escalated}.{signature_segment}", "bad_signature")
    other_signature = f.token(claims=f.claims(sub="someone-else")).split(".")[2]
    add(
        "signature_spliced_from_other_token",
        "T-JWT-14",
        f"{header_segment}.{payload_segment}.{other_signature}",
        "bad_signature",
    )
    extended_exp = b64url(json_text(f.claims(exp=t + 3000)).encode())
    add("tampered_exp", "T-JWT-14", f"{header_segment}.{extended_exp}.{signature_segment}", "bad_signature")

    # T-JWT-05: the attacker names its own key, or where to fetch one
    attacker = _attacker_key(signing_key.alg)
    attacker_jwk = attacker.as_dict(private=False)
    attacker_header = json_text(f.header(jwk=attacker_jwk))
    add(
        "embedded_jwk_signed_by_attacker",
        "T-JWT-05",
        f.raw(
            attacker_header,
            json_text(f.claims()),
            lambda m: JWSRegistry.algorithms[signing_key.alg].sign(m, attacker),
        ),
        "forbidden_header",
    )
    attacker_kid_header = json_text(f.header(jwk=attacker_jwk, kid=attacker.thumbprint()))
    add(
        "embedded_jwk_with_its_own_kid",
        "T-JWT-05",
        f.raw(
            attacker_kid_header,
            json_text(f.claims()),
            lambda m: JWSRegistry.algorithms[signing_key.alg].sign(m, attacker),
        ),
        "forbidden_header",
    )
    certificate = _attacker_certificate(now)
    for name, value in (
        ("jku", "https://attacker.example/.well-known/jwks.json"),
        ("x5u", "https://attacker.example/cert.pem"),
        ("x5c", [base64.b64encode(certificate).decode("ascii")]),
        ("x5t", b64url(hashlib.sha1(certificate).digest())),  # noqa: S324 - the x5t definition (RFC 7515)
        ("x5t#S256", b64url(hashlib.sha256(certificate).digest())),
    ):
        add(
            f"header_{name}_signed_by_real_key",
            "T-JWT-05",
            f.token(header=f.header(**{name: value})),
            "forbidden_header",
        )

    # T-JWT-06: unknown or injected kid
    add(
        "kid_unknown",
        "T-JWT-06",
        f.token(header=f.header(kid=b64url(secrets.token_bytes(32)))),
        "unknown_kid",
    )
    for name, kid in (
        ("path_traversal", "../../../../etc/passwd"),
        ("sql_injection", "' OR '1'='1"),
        ("null_byte", f"{signing_key.kid}\x00"),
        ("empty", ""),
        ("too_long", "a" * 129),
        ("url", "https://attacker.example/key"),
        ("number", 1234),
        ("list", [signing_key.kid]),
    ):
        add(f"kid_{name}", "T-JWT-06", f.token(header=f.header(kid=kid)), "bad_kid")
    add("kid_missing", "T-JWT-06", f.token(header=f.header(kid=DROP)), "bad_kid")

    # T-JWT-07: critical extensions we do not understand
    add("crit_exp", "T-JWT-07", f.token(header=f.header(crit=["exp"], exp=t + 600)), "unsupported_crit")
    add("crit_b64_false", "T-JWT-07", f.token(header=f.header(crit=["b64"], b64=False)), "unsupported_crit")
    add(
        "crit_unknown_extension",
        "T-JWT-07",
        f.token(header=f.header(crit=["x-ext"], **{"x-ext": 1})),
        "unsupported_crit",
    )
    add("crit_empty_list", "T-JWT-07", f.token(header=f.header(crit=[])), "unsupported_crit")
    add("b64_false_without_crit", "T-JWT-07", f.token(header=f.header(b64=False)), "forbidden_header")

    # T-JWT-08: parser differentials
    flattened = {"payload": payload_segment, "protected": header_segment, "signature": signature_segment}
    add("json_serialization_flattened", "T-JWT-08", json.dumps(flattened), "malformed")
    general = {
        "payload": payload_segment,
        "signatures": [{"protected": header_segment, "signature": signature_segment}],
    }
    add("json_serialization_general", "T-JWT-08", json.dumps(general), "malformed")
    kid_json = json.dumps(signing_key.kid)
    add(
        "duplicate_alg_in_header",
        "T-JWT-08",
        f.raw(
            f'{{"alg":"{signing_key.alg}","alg":"none","typ":"at+jwt","kid":{kid_json}}}',
            json_text(f.claims()),
        ),
        "duplicate_member",
    )
    add(
        "duplicate_kid_in_header",
        "T-JWT-08",
        f.raw(
            f'{{"alg":"{signing_key.alg}","typ":"at+jwt","kid":{kid_json},"kid":"other"}}',
            json_text(f.claims()),
        ),
        "duplicate_member",
    )
    claims_text = json_text(f.claims())
    add(
        "duplicate_sub_in_payload",
        "T-JWT-08",
        f.raw(json_text(f.header()), claims_text[:-1] + ',"sub":"admin"}'),
        "duplicate_member",
    )
    add(
        "duplicate_exp_in_payload",
        "T-JWT-08",
        f.raw(json_text(f.header()), claims_text[:-1] + f',"exp":{t + 86400 * 365}}}'),
        "duplicate_member",
    )
    add(
        "padded_segments", "T-JWT-08", f"{header_segment}=.{payload_segment}.{signature_segment}", "malformed"
    )
    add(
        "standard_base64_alphabet",
        "T-JWT-08",
        f"{header_segment}.{payload_segment}.{signature_segment.replace('-', '+').replace('_', '/')}+/",
        "malformed",
    )
    add(
        "whitespace_inside",
        "T-JWT-08",
        f"{header_segment}.\n{payload_segment}.{signature_segment}",
        "malformed",
    )
    add("jwe_five_segments", "T-JWT-08", f"{valid}.{payload_segment}.{signature_segment}", "malformed")
    add("two_segments", "T-JWT-08", f"{header_segment}.{payload_segment}", "malformed")
    add(
        "header_not_json",
        "T-JWT-08",
        f"{b64url(b'not json')}.{payload_segment}.{signature_segment}",
        "malformed",
    )
    add(
        "header_json_array",
        "T-JWT-08",
        f"{b64url(b'[1,2]')}.{payload_segment}.{signature_segment}",
        "malformed",
    )
    add(
        "header_with_bom",
        "T-JWT-08",
        f.raw("\ufeff" + json_text(f.header()), json_text(f.claims())),
        "malformed",
    )
    add("payload_json_array", "T-JWT-08", f.raw(json_text(f.header()), "[]"), "malformed")
    add(
        "payload_with_nan",
        "T-JWT-08",
        f.raw(json_text(f.header()), claims_text[:-1] + ',"x":NaN}'),
        "malformed",
    )
    noncanonical_signature = _noncanonical(signature_segment)
    if noncanonical_signature is not None:
        add(
            "noncanonical_base64_signature",
            "T-JWT-08",
            f"{header_segment}.{payload_segment}.{noncanonical_signature}",
            "malformed",
        )
    noncanonical_payload = _noncanonical(payload_segment)
    if noncanonical_payload is not None:
        add(
            "noncanonical_base64_payload",
            "T-JWT-08",
            f"{header_segment}.{noncanonical_payload}.{signature_segment}",
            "malformed",
        )

    # T-JWT-09: times
    add("expired", "T-JWT-09", f.token(claims=f.claims(iat=t - 1200, nbf=t - 1200, exp=t - 600)), "expired")
    add("not_yet_valid", "T-JWT-09", f.token(claims=f.claims(nbf=t + 600, exp=t + 900)), "not_yet_valid")
    add(
        "issued_in_future",
        "T-JWT-09",
        f.token(claims=f.claims(iat=t + 600, nbf=DROP, exp=t + 900)),
        "issued_in_future",
    )
    add("exp_missing", "T-JWT-09", f.token(claims=f.claims(exp=DROP)), "missing_claim")
    add("iat_missing", "T-JWT-09", f.token(claims=f.claims(iat=DROP)), "missing_claim")
    add("lifetime_over_maximum", "T-JWT-09", f.token(claims=f.claims(exp=t + 7200)), "lifetime_too_long")
    add(
        "expiring_in_year_9000",
        "T-JWT-09",
        f.token(claims=f.claims(exp=253_000_000_000)),
        "lifetime_too_long",
    )
    # past 9999-12-31 a timestamp is no date at all
    add("never_expiring", "T-JWT-09", f.token(claims=f.claims(exp=2**53)), "invalid_claim")
    add("exp_string", "T-JWT-09", f.token(claims=f.claims(exp=str(t + 600))), "invalid_claim")
    add("exp_boolean", "T-JWT-09", f.token(claims=f.claims(exp=True)), "invalid_claim")
    add("exp_null", "T-JWT-09", f.token(claims=f.claims(exp=None)), "invalid_claim")
    add(
        "exp_infinite",
        "T-JWT-09",
        f.raw(json_text(f.header()), json_text(f.claims(exp=DROP))[:-1] + ',"exp":1e400}'),
        "invalid_claim",
    )

    # T-JWT-10: issuer, exact match only
    for name, iss in (
        ("other", "https://attacker.example"),
        ("trailing_slash", issuer + "/"),
        ("prefix", issuer[:-1]),
        ("suffix", issuer + ".attacker.example"),
        ("different_case", issuer.upper() if issuer.upper() != issuer else issuer.lower()),
        ("list", [issuer]),
    ):
        add(f"iss_{name}", "T-JWT-10", f.token(claims=f.claims(iss=iss)), "bad_issuer")
    add("iss_missing", "T-JWT-10", f.token(claims=f.claims(iss=DROP)), "missing_claim")

    # T-JWT-11: audience
    for name, aud in (
        ("other", "https://other-api.example"),
        ("list_without_ours", ["https://other-api.example", "https://third.example"]),
        ("empty_list", []),
        ("trailing_slash", audience + "/"),
        ("different_case", audience.upper() if audience.upper() != audience else audience.lower()),
        ("number", 7),
    ):
        add(f"aud_{name}", "T-JWT-11", f.token(claims=f.claims(aud=aud)), "bad_audience")
    add("aud_missing", "T-JWT-11", f.token(claims=f.claims(aud=DROP)), "missing_claim")

    # T-JWT-12: other token kinds and wrong explicit type
    for name, typ in (
        ("JWT", "JWT"),
        ("mfa_pending", "mfa+jwt"),
        ("application_jwt", "application/jwt"),
        ("trailing_space", "at+jwt "),
        ("id_token", "id_token+jwt"),
        ("list", ["at+jwt"]),
    ):
        add(f"typ_{name}", "T-JWT-12", f.token(header=f.header(typ=typ)), "wrong_type")
    add("typ_missing", "T-JWT-12", f.token(header=f.header(typ=DROP)), "wrong_type")
    add(
        "mfa_pending_token_signed_by_real_key",
        "T-JWT-12",
        f.token(header=f.header(typ="mfa+jwt"), claims=f.claims(scope=DROP, sid=DROP, purpose="mfa")),
        "wrong_type",
    )
    add("refresh_token_as_access_token", "T-JWT-12", secrets.token_urlsafe(32), "malformed")
    add("empty_string", "T-JWT-12", "", "malformed")
    add("bearer_prefix_included", "T-JWT-12", f"Bearer {valid}", "malformed")
    for claim in ("sub", "jti", "sid"):
        add(f"{claim}_missing", "T-JWT-12", f.token(claims=f.claims(**{claim: DROP})), "missing_claim")
        add(f"{claim}_not_a_string", "T-JWT-12", f.token(claims=f.claims(**{claim: 42})), "invalid_claim")

    # T-JWT-13: size
    add(
        "oversized_1mb",
        "T-JWT-13",
        f"{header_segment}.{'A' * (1024 * 1024)}.{signature_segment}",
        "too_large",
    )
    add("oversized_just_over_8k", "T-JWT-13", f.token(claims=f.claims(pad="A" * 8192)), "too_large")
    add("zip_header", "T-JWT-13", f.token(header=f.header(zip="DEF")), "forbidden_header")

    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "attack case names must be unique"
    return cases


# ---------------------------------------------------------------------------------- shared key material


ISSUER = "https://id.tokenward.test"
AUDIENCE = "https://api.tokenward.test"
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    """One generated key and everything the tests derive from it."""

    stored: StoredKey
    ring: KeyRing
    encryptor: KeyEncryptor

    @property
    def signing_key(self) -> SigningKey:
        return self.ring.signing_key

    @property
    def public_jwk(self) -> dict[str, str]:
        return self.ring.jwks()["keys"][0]


@cache
def key_material(alg: str) -> KeyMaterial:
    """One key per algorithm per test run: RSA-3072 generation is slow."""
    encryptor = KeyEncryptor(secrets.token_bytes(32))
    stored = generate_key(alg, encryptor, NOW, KeyState.ACTIVE)
    return KeyMaterial(stored=stored, ring=KeyRing([stored], encryptor), encryptor=encryptor)


@cache
def attack_cases(alg: str) -> tuple[AttackCase, ...]:
    material = key_material(alg)
    return tuple(build_attack_cases(material.signing_key, material.public_jwk, ISSUER, AUDIENCE, NOW))
