"""The SMS sender for production: a JSON POST to the operator's gateway, signed with HMAC-SHA256.

The request body is ``{"id", "to", "kind", "body"}``. Two headers let the gateway check that it came from this
server and is fresh: ``X-Tokenward-Timestamp`` (Unix seconds) and ``X-Tokenward-Signature: v1=<hex>``, the
HMAC-SHA256 under the shared secret of ``<timestamp>.<body>``. A receiver recomputes it over the raw body,
compares in constant time and refuses timestamps more than five minutes off (docs/operations.md).

Each attempt has a timeout; a connection failure, a timeout, a 429 or a 5xx is retried a bounded number of
times with a short back-off, and the same ``id`` is sent each time so the gateway can drop duplicates. Any
other answer is final. When no attempt succeeds, ``SmsUnavailable`` (503) goes back to the user and the caller
has stored nothing. The message body is never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import uuid4

import httpx

from tokenward.adapters.logging import get_logger
from tokenward.domain.clock import Clock
from tokenward.domain.mfa.sms import SmsMessage
from tokenward.errors import SmsUnavailable

TIMESTAMP_HEADER = "X-Tokenward-Timestamp"
SIGNATURE_HEADER = "X-Tokenward-Signature"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Tokenward-Signature`` value for a body sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str
    secret: bytes
    timeout: float = 5.0
    #: attempts after the first one
    retries: int = 2
    backoff: float = 0.25

    def __repr__(self) -> str:
        return f"WebhookSettings(url={self.url!r}, [secret redacted])"


class WebhookSmsSender:
    def __init__(
        self,
        settings: WebhookSettings,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._transport = transport
        self._sleep = sleep
        self._log = get_logger("tokenward.sms")

    async def send(self, message: SmsMessage) -> None:
        body = json.dumps(
            {"id": str(uuid4()), "to": message.to, "kind": message.kind, "body": message.body},
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._settings.secret, timestamp, body),
        }
        outcome = "no attempt"
        async with httpx.AsyncClient(transport=self._transport, timeout=self._settings.timeout) as client:
            for attempt in range(self._settings.retries + 1):
                if attempt:
                    await self._sleep(self._settings.backoff * 2 ** (attempt - 1))
                outcome, retry = await self._attempt(client, body, headers)
                if outcome == "delivered":
                    self._log.info("sms_sent", kind=message.kind, attempts=attempt + 1)
                    return
                if not retry:
                    break
        self._log.warning("sms_gateway_failed", kind=message.kind, outcome=outcome)
        raise SmsUnavailable()

    async def _attempt(
        self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
    ) -> tuple[str, bool]:
        """``("delivered", False)``, or what went wrong and whether another attempt may help."""
        try:
            response = await client.post(self._settings.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout", True
        except httpx.TransportError as exc:
            return f"connection failed ({type(exc).__name__})", True
        if response.is_success:
            return "delivered", False
        return f"status {response.status_code}", response.status_code == 429 or response.status_code >= 500
