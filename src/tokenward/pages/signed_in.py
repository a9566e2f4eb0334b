"""The one guard of the account page's handlers: who is signed in, after the form's CSRF token was checked.

``SignedInPage`` gives a handler its page, the signed-in principal and (for a POST) the submitted form. The
order is the one every handler had written out before: the form's token first (``PageCsrfFailed``, so a form
sent by another site is refused even on a signed-out browser), then the principal (refreshing an expired
access token). With no one signed in the handler does not run: a page answers with a redirect to the sign-in
page, the pages' script (``SignedInScript``) gets a 401 whose ``redirect`` it follows. Either answer carries
the page's cookie, which ``Page.principal`` may just have cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.responses import Response

from tokenward.domain.sessions.service import Principal
from tokenward.pages.page import CurrentPage, Page

SIGN_IN = "/account/sign-in"
SIGNED_OUT = {"detail": "You are signed out: sign in again.", "redirect": SIGN_IN}


@dataclass(frozen=True, slots=True)
class SignedIn:
    page: Page
    principal: Principal
    #: the submitted form (its CSRF token checked); empty for a GET
    form: Mapping[str, str]


class PageSignedOut(Exception):
    """Raised by the guard when no one is signed in; ``answer`` is what the browser gets instead."""

    def __init__(self, page: Page, script: bool) -> None:
        super().__init__("no one is signed in on this browser")
        self.page = page
        self.script = script

    def answer(self) -> Response:
        if self.script:
            return self.page.json(SIGNED_OUT, 401)
        return self.page.redirect(SIGN_IN)


async def _signed_in(page: Page, script: bool) -> SignedIn:
    form = await page.form() if page.request.method == "POST" else {}
    principal = await page.principal()
    if principal is None:
        raise PageSignedOut(page, script)
    return SignedIn(page, principal, form)


async def signed_in_page(page: CurrentPage) -> SignedIn:
    return await _signed_in(page, script=False)


async def signed_in_script(page: CurrentPage) -> SignedIn:
    return await _signed_in(page, script=True)


SignedInPage = Annotated[SignedIn, Depends(signed_in_page)]
SignedInScript = Annotated[SignedIn, Depends(signed_in_script)]
