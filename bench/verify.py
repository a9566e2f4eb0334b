"""Verify: access tokens/s in-process, against the bare ``cryptography`` check for the same key.

For each algorithm one Tokenward key is generated and one real access token issued. Measured, interleaved in
short rounds so that a noisy neighbour slows every contender alike:

- ``bare``: ``public_key.verify(signature, signing_input, ...)`` with the signature already decoded (and, for
  ES256, already DER-encoded): the physical limit, nothing but OpenSSL;
- ``server``: the server's ``AccessTokenVerifier`` (key ring lookup, every parsing and claim rule) on a first
  sight: it cycles through more distinct tokens than its verified-token cache holds, so every call misses
  the cache and pays for the miss and for storing the result;
- ``client``: ``tokenward_client.TokenVerifier`` with its JWKS cache filled once (over an in-memory transport),
  first sight likewise;
- ``server (repeat)`` and ``client (repeat)``: the same token again, answered by the verified-token cache;
- ``pyjwt`` and ``joserfc``: ``jwt.decode`` with issuer and audience checks, for comparison.

Each round runs every contender for ``ROUND_SECONDS``; the rate of a contender is the median over rounds and each
ratio is the median of the per-round ratios (both sides measured in the same second).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt as pyjwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from bench.report import Section, rate, table
from tokenward.domain.clock import SystemClock
from tokenward.domain.keys.encryption import KeyEncryptor
from tokenward.domain.keys.generation import generate_key
from tokenward.domain.keys.model import SUPPORTED_ALGORITHMS, KeyState
from tokenward.domain.keys.ring import KeyRing
from tokenward.domain.tokens import (
    AccessTokenIssuer,
    AccessTokenSettings,
    AccessTokenVerifier,
    VerificationPolicy,
)
from tokenward_client import TokenVerifier
from tokenward_client.cache import DEFAULT_MAX_ENTRIES

ISSUER = "https://id.bench.test"
AUDIENCE = "https://api.bench.test"
JWKS_URL = "https://id.bench.test/.well-known/jwks.json"
GOAL = 0.8
#: a repeat (served by the verified-token cache) must be at least this many times cheaper than the bare check
REPEAT_GOAL = 5.0
#: distinct tokens cycled through for the first-sight contenders: more than the verified-token cache holds
FIRST_SIGHT_TOKENS = 2 * DEFAULT_MAX_ENTRIES + 1
CONTENDERS = ("bare", "server", "client", "server (repeat)", "client (repeat)", "pyjwt", "joserfc")


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _bare(alg: str, public_key: Any, token: str) -> Callable[[], object]:
    header, payload, signature = token.split(".")
    signing_input = f"{header}.{payload}".encode()
    raw = _b64decode(signature)
    if alg == "ES256":
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        ecdsa = ec.ECDSA(hashes.SHA256())
        return lambda: public_key.verify(der, signing_input, ecdsa)
    if alg == "Ed25519":
        return lambda: public_key.verify(raw, signing_input)
    scheme = (
        padding.PKCS1v15()
        if alg == "RS256"
        else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    )
    sha256 = hashes.SHA256()
    return lambda: public_key.verify(raw, signing_input, scheme, sha256)


def _pyjwt(alg: str, ring: KeyRing, token: str, public_key: Any) -> Callable[[], object]:
    decoder = pyjwt.PyJWT()
    label = alg
    if alg == "Ed25519":
        # PyJWT knows Ed25519 only by the RFC 8037 label; same key, same claims, header says EdDSA
        claims = json.loads(_b64decode(token.split(".")[1]))
        signing_key = ring.signing_key.key.private_key
        label = "EdDSA"
        token = pyjwt.encode(claims, signing_key, algorithm=label, headers={"typ": "at+jwt", "kid": "k"})
    options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
    return lambda: decoder.decode(
        token, public_key, algorithms=[label], audience=AUDIENCE, issuer=ISSUER, options=options
    )


def _joserfc(alg: str, ring: KeyRing, token: str) -> Callable[[], object]:
    keys = KeySet.import_key_set(ring.jwks())
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
    )

    def verify() -> object:
        decoded = jose_jwt.decode(token, keys, algorithms=[alg])
        registry.validate(decoded.claims)
        return decoded

    return verify


def _client(ring: KeyRing) -> TokenVerifier:
    jwks = json.dumps(ring.jwks()).encode()
    transport = httpx.MockTransport(
        lambda _request: httpx.Response(200, content=jwks, headers={"Cache-Control": "max-age=300"})
    )
    verifier = TokenVerifier(
        jwks_url=JWKS_URL, issuer=ISSUER, audiences=AUDIENCE, http_client=httpx.Client(transport=transport)
    )
    verifier.jwks.refresh()
    return verifier


def contenders(alg: str) -> dict[str, Callable[[], object]]:
    clock = SystemClock()
    encryptor = KeyEncryptor(secrets.token_bytes(32))
    ring = KeyRing([generate_key(alg, encryptor, clock.now(), KeyState.ACTIVE)], encryptor)
    issuer = AccessTokenIssuer(lambda: ring, AccessTokenSettings(issuer=ISSUER, audiences=(AUDIENCE,)), clock)
    tokens = [
        issuer.issue(
            subject="user-0001",
            session_id="session-0001",
            scope="openid profile",
            amr=["pwd"],
            auth_time=clock.now(),
        ).token
        for _ in range(FIRST_SIGHT_TOKENS)
    ]
    token = tokens[0]
    kid = ring.kids[0]
    verification_key = ring.verification_key(kid)
    assert verification_key is not None
    public_key = verification_key.key.public_key
    server = AccessTokenVerifier(
        ring.verification_key, VerificationPolicy(issuer=ISSUER, audiences=frozenset({AUDIENCE})), clock
    )
    client = _client(ring)
    first_sight = itertools.cycle(tokens)
    functions = {
        "bare": _bare(alg, public_key, token),
        "server": lambda: server.verify(next(first_sight)),
        "client": lambda: client.verify(next(first_sight)),
        "server (repeat)": lambda: server.verify(token),
        "client (repeat)": lambda: client.verify(token),
        "pyjwt": _pyjwt(alg, ring, token, public_key),
        "joserfc": _joserfc(alg, ring, token),
    }
    for function in functions.values():
        function()  # every contender accepts the token before it is timed
    return functions


def _rate(function: Callable[[], object], seconds: float) -> float:
    # CPU time of this process: a neighbour taking the core does not count against the contender
    count = 0
    start = time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(50):
            function()
        count += 50
        now = time.process_time()
        if now >= deadline:
            return count / (now - start)


def measure(alg: str, rounds: int, round_seconds: float) -> dict[str, Any]:
    functions = contenders(alg)
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            samples[name].append(_rate(function, round_seconds))
    rates = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {
        name: statistics.median(a / b for a, b in zip(samples[name], samples["bare"], strict=True))
        for name in functions
        if name != "bare"
    }
    return {"alg": alg, "rates": rates, "ratios": ratios, "rounds": rounds, "round_seconds": round_seconds}


def run(quick: bool) -> tuple[Section, list[dict[str, Any]]]:
    rounds, round_seconds = (3, 0.2) if quick else (7, 0.4)
    results = [measure(alg, rounds, round_seconds) for alg in SUPPORTED_ALGORITHMS]
    section = Section(
        "Verify (in-process, one core)", "bench/run --only verify" + (" --quick" if quick else "")
    )
    section.add(
        f"Tokens per CPU-second of one core (process CPU time, so a noisy neighbour does not count), median of {rounds} interleaved rounds of {round_seconds} s per contender; ratios are medians of "
        "per-round ratios to the bare `cryptography` check of the same key in the same round. "
        f"Goals: server and client at least {GOAL} of bare on a first sight (every call a new token: they cycle "
        f"through {FIRST_SIGHT_TOKENS} tokens, more than the verified-token cache holds), and a repeat of the same "
        f"token (served by the verified-token cache) at least {REPEAT_GOAL:.0f}× the bare rate."
    )
    rows = []
    for result in results:
        rates, ratios = result["rates"], result["ratios"]
        met = "met" if min(ratios["server"], ratios["client"]) >= GOAL else "not met"
        repeat = min(ratios["server (repeat)"], ratios["client (repeat)"])
        rows.append(
            [
                result["alg"],
                rate(rates["bare"]),
                f"{rate(rates['server'])} ({ratios['server']:.2f})",
                f"{rate(rates['client'])} ({ratios['client']:.2f})",
                f"{rate(rates['server (repeat)'])} ({ratios['server (repeat)']:.1f})",
                f"{rate(rates['client (repeat)'])} ({ratios['client (repeat)']:.1f})",
                f"{rate(rates['pyjwt'])} ({ratios['pyjwt']:.2f})",
                f"{rate(rates['joserfc'])} ({ratios['joserfc']:.2f})",
                met,
                "met" if repeat >= REPEAT_GOAL else "not met",
            ]
        )
    section.add(
        table(
            [
                "alg",
                "bare cryptography /s",
                "tokenward server /s (ratio)",
                "tokenward_client /s (ratio)",
                "server repeat /s (ratio)",
                "client repeat /s (ratio)",
                "PyJWT /s (ratio)",
                "joserfc /s (ratio)",
                f"first sight ≥ {GOAL}",
                f"repeat ≥ {REPEAT_GOAL:.0f}×",
            ],
            rows,
        )
    )
    return section, results
