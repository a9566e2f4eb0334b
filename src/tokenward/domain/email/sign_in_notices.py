"""New-sign-in notices: an e-mail when an account signs in from a device it has not used before.

The device fingerprint is a SHA-256 of two things that survive a browser update and a DHCP renewal but change
when someone else signs in: the user-agent *family* (the user-agent string with every version number
removed) and the client's network (the /24 for IPv4, the /48 for IPv6). It is a heuristic, not an
identification: the notice names the device, address and time so the person can judge.

The first sign-in of an account sends no notice (the device is new, but expected: the owner just signed up);
it is remembered silently. Every check is recorded as a ``sign_in_device_checked`` event.

The notice carries a "this was not me" link (single-use, 7 days). Using it ends every session of the account
(the named one included), removes the password so that only the reset flow can set a new one, and e-mails a
reset link. The second factor stays as it is.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tokenward.domain.accounts.ports import UserRepository
from tokenward.domain.accounts.users import User
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.domain.email.flows import EmailFlowSettings, PasswordReset
from tokenward.domain.email.model import EmailMessage, Sighting
from tokenward.domain.email.one_time_tokens import OneTimeTokens, TokenPurpose
from tokenward.domain.email.ports import KnownDeviceRepository, Mailer
from tokenward.domain.sessions.model import RevokeReason
from tokenward.domain.sessions.service import SessionService
from tokenward.errors import InvalidOneTimeToken

_VERSION = re.compile(r"\d+(?:[._]\d+)*")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_DESCRIPTION_MAX = 200


def user_agent_family(user_agent: str | None) -> str:
    """The user-agent without version numbers, so an update of the browser is still the same device."""
    return " ".join(_VERSION.sub("", user_agent or "").lower().split())


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) around the address; ``unknown`` when there is none."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def device_fingerprint(user_agent: str | None, ip: str | None) -> str:
    return hashlib.sha256(f"{user_agent_family(user_agent)}|{network_of(ip)}".encode()).hexdigest()


def describe_device(user_agent: str | None) -> str:
    """The user-agent as it may appear in an e-mail: printable and bounded (the client chose it)."""
    text = _UNPRINTABLE.sub(" ", user_agent or "").strip()
    return (text[:_DESCRIPTION_MAX] or "an unknown device").strip()


#: how each ``amr`` value (RFC 8176) reads in a notice; ``user`` and ``mfa`` add nothing a person needs
_METHOD_WORDS = {
    "pwd": "password",
    "otp": "a one-time code",
    "rc": "a recovery code",
    "sms": "a code by text message",
    "hwk": "a passkey",
    "swk": "a passkey",
}


def describe_methods(amr: tuple[str, ...]) -> str:
    words = list(dict.fromkeys(_METHOD_WORDS[m] for m in amr if m in _METHOD_WORDS))
    return " and ".join(words) or "an unknown method"


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    links: EmailFlowSettings
    not_me_lifetime: timedelta = timedelta(days=7)
    not_me_path: str = "/account/not-me"


class SignInNotices:
    def __init__(
        self,
        *,
        devices: KnownDeviceRepository,
        users: UserRepository,
        tokens: OneTimeTokens,
        sessions: SessionService,
        reset: PasswordReset,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
        settings: NoticeSettings,
    ) -> None:
        self._devices = devices
        self._users = users
        self._tokens = tokens
        self._sessions = sessions
        self._reset = reset
        self._mailer = mailer
        self._audit = audit
        self._clock = clock
        self._settings = settings

    async def after_sign_in(
        self, user: User, session_id: str, context: RequestContext, *, amr: tuple[str, ...] = ()
    ) -> bool:
        """Remember the device; e-mail a notice when it is new (but not for the first one). ``True`` if sent.

        The notice names how the sign-in was made (``amr``), so a passkey or a text-message code the owner
        did not use stands out."""
        now = self._clock.now()
        sighting = await self._devices.remember(
            user.id, device_fingerprint(context.user_agent, context.ip), now
        )
        notify = sighting is Sighting.NEW
        if notify:
            await self._send_notice(user, session_id, context, now, amr)
        await self._audit.record(
            AuditEventType.SIGN_IN_DEVICE_CHECKED,
            context,
            outcome=sighting.value,
            user_id=user.id,
            session_id=session_id,
            notice_sent=notify,
        )
        return notify

    async def report_not_me(self, token: str, context: RequestContext) -> None:
        """The owner says a sign-in was not theirs: end every session, require a password reset."""
        record = await self._tokens.consume(TokenPurpose.NOT_ME, token)
        user = await self._users.get(record.user_id)
        if user is None:
            raise InvalidOneTimeToken()
        now = self._clock.now()
        ended = await self._sessions.revoke_all(user.id, RevokeReason.REPORTED_NOT_ME)
        # no password hash: sign-in with the old password fails like a wrong one, only a reset sets a new one
        user = user.with_changes(password_hash=None, password_changed_at=now, updated_at=now)
        await self._users.update(user)
        await self._reset.send_link(user)
        await self._audit.record(
            AuditEventType.SIGN_IN_REPORTED_NOT_ME,
            context,
            outcome="sessions_revoked",
            user_id=user.id,
            session_id=record.session_id,
            sessions_ended=len(ended),
        )

    async def _send_notice(
        self, user: User, session_id: str, context: RequestContext, now: datetime, amr: tuple[str, ...]
    ) -> None:
        token = await self._tokens.issue(
            TokenPurpose.NOT_ME, user.id, self._settings.not_me_lifetime, session_id=session_id
        )
        links = self._settings.links
        await self._mailer.send(
            EmailMessage(
                to=user.email,
                kind="new_sign_in_notice",
                subject=f"New sign-in to your {links.service_name} account",
                body=(
                    f"Your {links.service_name} account was just signed in to from a device it has not used "
                    "before.\n\n"
                    f"Device: {describe_device(context.user_agent)}\n"
                    f"Address: {context.ip or 'unknown'} (approximate place: network {network_of(context.ip)})\n"
                    f"Time: {now.strftime('%Y-%m-%d %H:%M UTC')}\n"
                    f"Signed in with: {describe_methods(amr)}\n\n"
                    "If this was you, there is nothing to do. If it was not you, open this link: it signs out "
                    "every session of your account and asks you to choose a new password:\n\n"
                    f"{links.link(self._settings.not_me_path, token)}\n"
                ),
            )
        )
