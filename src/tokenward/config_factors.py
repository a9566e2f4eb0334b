"""The second-factor part of the settings: passkeys (WebAuthn) and one-time codes by SMS and e-mail.

``Settings`` inherits these fields, read like every other from ``TOKENWARD_*`` variables (README,
"Multi-factor sign-in"). The relying party is checked when the settings are read, so an RP id that does not
cover the origins stops start-up instead of failing every passkey later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode

from tokenward.config_rates import Rates
from tokenward.domain.mfa.webauthn_rp import canonical_origin, relying_party_problems


class FactorSettings(BaseSettings):
    #: the relying-party id passkeys are scoped to (a domain); defaults to the host of the public URL
    webauthn_rp_id: str | None = None
    #: the page origins allowed to use passkeys; defaults to the origin of the public URL
    webauthn_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: SMS codes are "restricted" under NIST SP 800-63B (SIM swap, interception): off unless turned on
    sms_enabled: bool = False
    #: the operator's SMS gateway; without it (development only) texts go to the outbox folder
    sms_webhook_url: str | None = None
    sms_webhook_secret: SecretStr | None = None
    sms_webhook_timeout: float = Field(default=5.0, gt=0, le=30)
    sms_webhook_retries: int = Field(default=2, ge=0, le=5)
    email_otp_enabled: bool = True
    #: how many codes may be sent per account, and per phone number or address (toll-fraud protection)
    otp_send_limit_account: Rates = "3/minute;10/hour"
    otp_send_limit_destination: Rates = "3/minute;10/hour"

    if TYPE_CHECKING:  # provided by ``Settings``

        @property
        def effective_public_url(self) -> str: ...

    @property
    def effective_webauthn_rp_id(self) -> str:
        if self.webauthn_rp_id:
            return self.webauthn_rp_id
        return urlsplit(self.effective_public_url).hostname or "localhost"

    @property
    def effective_webauthn_origins(self) -> tuple[str, ...]:
        return tuple(canonical_origin(o) for o in self.webauthn_origins or [self.effective_public_url])

    @model_validator(mode="after")
    def _relying_party(self) -> FactorSettings:
        problems = relying_party_problems(self.effective_webauthn_rp_id, self.effective_webauthn_origins)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def factor_problems(self) -> list[str]:
        """What would be unsafe in production (``Settings.insecure_settings``)."""
        problems = [
            f"TOKENWARD_WEBAUTHN_ORIGINS: {origin} must be https in production"
            for origin in self.effective_webauthn_origins
            if not origin.startswith("https://")
        ]
        if self.sms_enabled and not (self.sms_webhook_url and self.sms_webhook_secret):
            problems.append(
                "TOKENWARD_SMS_ENABLED needs TOKENWARD_SMS_WEBHOOK_URL and TOKENWARD_SMS_WEBHOOK_SECRET in "
                "production: without them codes would only be written to the development outbox"
            )
        if self.sms_webhook_url and not self.sms_webhook_url.startswith("https://"):
            problems.append("TOKENWARD_SMS_WEBHOOK_URL must be an https:// URL in production")
        return problems
