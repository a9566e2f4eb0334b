"""Who an account is, through HTTP: addresses compared by their canonical form, look-alikes refused, display
names without hidden characters."""

from __future__ import annotations

import pytest

from tests.harness import STRONG_PASSWORD, RunningApp, bearer

OTHER_PASSWORD = "another long passphrase here"


async def _login(api: RunningApp, email: str, password: str = STRONG_PASSWORD) -> int:
    response = await api.client.post("/v1/login", json={"email": email, "password": password})
    return response.status_code


async def test_an_address_finds_its_account_whatever_the_case_of_its_ascii_letters(api: RunningApp) -> None:
    assert (await api.sign_up("ada@example.com")).status_code == 202

    assert await _login(api, "Ada@Example.COM") == 200
    assert await _login(api, " ADA@EXAMPLE.COM ") == 200


async def test_strasse_and_strasse_with_sharp_s_stay_two_accounts(api: RunningApp) -> None:
    """``straße.de`` and ``strasse.de`` are two domains (IDNA 2008): case folding must not join them."""
    assert (await api.sign_up("grace@straße.de")).status_code == 202
    assert (await api.sign_up("grace@strasse.de", OTHER_PASSWORD)).status_code == 202

    sharp = await api.login("grace@straße.de")
    plain = await api.login("grace@strasse.de", OTHER_PASSWORD)
    assert await _login(api, "grace@straße.de", OTHER_PASSWORD) == 401
    me_sharp = (await api.client.get("/v1/me", headers=bearer(sharp["access_token"]))).json()
    me_plain = (await api.client.get("/v1/me", headers=bearer(plain["access_token"]))).json()
    assert me_sharp["id"] != me_plain["id"]
    assert (me_sharp["email"], me_plain["email"]) == ("grace@straße.de", "grace@strasse.de")


async def test_a_non_ascii_local_part_is_refused_at_sign_up(api: RunningApp) -> None:
    response = await api.sign_up("straße@example.de")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["detail"].startswith("email: the part before the @ must use only ASCII letters")
    assert await _login(api, "straße@example.de") == 401


@pytest.mark.threat("T-ACC-09")
@pytest.mark.parametrize(
    ("look_alike", "detail"),
    [
        ("vi\u0441tim@example.com", "email: the part before the @ contains letters from another script"),
        (
            "victim@ex\u0430mple.com",
            "email: the domain mixes letters of different scripts (Cyrillic and Latin)",
        ),
    ],
)
async def test_a_look_alike_of_an_existing_address_is_refused(
    api: RunningApp, look_alike: str, detail: str
) -> None:
    """Attack: register ``viсtim@`` (Cyrillic с) next to ``victim@`` to be taken for its owner."""
    await api.sign_up("victim@example.com")

    response = await api.sign_up(look_alike, OTHER_PASSWORD)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["detail"].startswith(detail)
    assert await _login(api, look_alike, OTHER_PASSWORD) == 401


@pytest.mark.threat("T-ACC-09")
@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\u200b", "\x00", "\ufeff"])
async def test_a_display_name_with_hidden_characters_is_refused_and_changes_nothing(
    api: RunningApp, hidden: str
) -> None:
    """Attack: a display name that reverses the text after it or hides a difference from other users."""
    _, tokens = await api.new_user()
    headers = bearer(tokens["access_token"])
    assert (
        await api.client.patch("/v1/me", json={"display_name": "Ada"}, headers=headers)
    ).status_code == 200

    response = await api.client.patch("/v1/me", json={"display_name": f"Ada{hidden}exe.png"}, headers=headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_request"
    assert response.json()["detail"].startswith("display_name: must not contain control, format or invisible")
    assert (await api.client.get("/v1/me", headers=headers)).json()["display_name"] == "Ada"
