"""The account page's "Applications with access": removing an application's access (its consent), which also
signs that application out (``Consents.revoke``); the same service as ``DELETE /v1/me/consents/{client_id}``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tokenward.errors import NotFound
from tokenward.pages.account import back_to_account
from tokenward.pages.forms import read_fields
from tokenward.pages.signed_in import SignedInPage

router = APIRouter(prefix="/account", include_in_schema=False)


@router.post("/apps/remove")
async def remove_app(signed_in: SignedInPage) -> Response:
    page = signed_in.page
    values, errors = read_fields(signed_in.form, ("client_id",))
    try:
        if errors:
            raise NotFound("No consent for that client")
        await page.services.consents.revoke(signed_in.principal.user.id, values["client_id"], page.context)
    except NotFound:
        return back_to_account(page, "That application had no access to remove.")
    return back_to_account(page, "The application's access is removed and it is signed out.")
