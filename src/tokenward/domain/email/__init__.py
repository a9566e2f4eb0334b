"""E-mail: the mailer port, verification and reset flows, one-time links, sign-in notices."""

from tokenward.domain.email.flows import EmailFlowSettings, EmailVerification, PasswordReset
from tokenward.domain.email.model import EmailMessage, OneTimeTokenRecord
from tokenward.domain.email.one_time_tokens import OneTimeTokens, TokenPurpose
from tokenward.domain.email.ports import KnownDeviceRepository, Mailer, OneTimeTokenRepository
from tokenward.domain.email.sign_in_notices import NoticeSettings, SignInNotices

__all__ = [
    "EmailFlowSettings",
    "EmailMessage",
    "EmailVerification",
    "KnownDeviceRepository",
    "Mailer",
    "NoticeSettings",
    "OneTimeTokenRecord",
    "OneTimeTokenRepository",
    "OneTimeTokens",
    "PasswordReset",
    "SignInNotices",
    "TokenPurpose",
]
