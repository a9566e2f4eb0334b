"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, and that no link follows a
spoofed Host header."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import AsyncIterator, Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.harness import STRONG_PASSWORD, RunningApp, make_settings, running_app

PUBLIC_URL = "https://accounts.example.test"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append((envelope, email.message_from_bytes(envelope.content)))
        return "250 OK"

    def of_kind(self, kind: str, to: str) -> list[Message]:
        return [m for e, m in self.messages if m["X-Tokenward-Kind"] == kind and to in e.rcpt_tos]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
async def api(
    tmp_path_factory: pytest.TempPathFactory, smtp_server: tuple[Inbox, int]
) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path_factory.mktemp("smtp"),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_starttls=False,  # the local test server offers no TLS; production refuses this with credentials
        smtp_from="accounts@example.test",
        public_url=PUBLIC_URL,
        rate_limits_enabled=False,
    )
    async with running_app(settings) as running:
        yield running


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


async def test_sign_up_delivers_a_verification_email_over_smtp(
    api: RunningApp, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp_server
    await api.sign_up("smtp-user@example.com")
    await api.container.drain_mail()
    [message] = inbox.of_kind("email_verification", "smtp-user@example.com")
    assert message["From"] == "accounts@example.test"
    assert message["Subject"] == "Confirm your e-mail address for Tokenward"
    token = re.search(
        rf"{re.escape(PUBLIC_URL)}/account/verify-email#token=(twv_[\w-]{{43}})", _body(message)
    )
    assert token is not None
    assert (await api.client.post("/v1/email/verify", json={"token": token.group(1)})).status_code == 200


async def test_an_internationalised_domain_is_sent_to_as_a_labels(
    api: RunningApp, smtp_server: tuple[Inbox, int]
) -> None:
    """Written as typed into the account, sent in the form every server accepts (no SMTPUTF8, no encoded
    word in ``To:``)."""
    inbox, _ = smtp_server
    await api.sign_up("Idn-User@Bücher.example.com")
    await api.container.drain_mail()
    [message] = inbox.of_kind("email_verification", "Idn-User@xn--bcher-kva.example.com")
    assert message["To"] == "Idn-User@xn--bcher-kva.example.com"


@pytest.mark.threat("T-MFA-09")
async def test_reset_email_links_use_the_public_url_whatever_the_host_header(
    api: RunningApp, smtp_server: tuple[Inbox, int]
) -> None:
    """Attack: reset poisoning with forged Host and X-Forwarded-Host headers."""
    inbox, _ = smtp_server
    address = "poison-target@example.com"
    await api.sign_up(address)
    response = await api.client.post(
        "/v1/password/forgot",
        json={"email": address},
        headers={"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    )
    assert response.status_code == 202
    await api.container.drain_mail()
    [message] = inbox.of_kind("password_reset", address)
    body = _body(message)
    assert f"{PUBLIC_URL}/account/reset-password#token=twp_" in body
    assert "attacker" not in body
    links = re.findall(r"https?://[^\s]+", body)
    assert links
    assert all(link.startswith(PUBLIC_URL + "/") for link in links)


async def test_new_sign_in_notice_arrives_over_smtp(api: RunningApp, smtp_server: tuple[Inbox, int]) -> None:
    inbox, _ = smtp_server
    address = "notice-target@example.com"
    await api.sign_up(address)
    await api.login(address)
    await api.client.post(
        "/v1/login",
        json={"email": address, "password": STRONG_PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (Macintosh) Safari/17.1"},
    )
    await api.container.drain_mail()
    [notice] = inbox.of_kind("new_sign_in_notice", address)
    body = _body(notice)
    assert "Safari" in body
    assert "203.0.113.7" in body
    assert f"{PUBLIC_URL}/account/not-me#token=twn_" in body


async def test_an_unreachable_smtp_server_changes_no_answer(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Delivery failures are logged, never turned into an error that tells the caller anything."""
    settings = make_settings(
        tmp_path_factory.mktemp("smtp-down"),
        smtp_host="127.0.0.1",
        smtp_port=_free_port(),
        smtp_starttls=False,
    )
    async with running_app(settings) as down:
        assert (await down.sign_up("nobody-gets-mail@example.com")).status_code == 202
        forgot = await down.client.post("/v1/password/forgot", json={"email": "nobody-gets-mail@example.com"})
        assert forgot.status_code == 202
        await down.container.drain_mail()
