"""Refusals about the account itself: its new password, its address, and its e-mailed links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tokenward.errors.base import TokenwardError
from tokenward.errors.http import Conflict


class PasswordRejected(TokenwardError):
    """A new password breaks the policy; ``reasons`` says every rule it breaks."""

    code = "password_rejected"
    status = 422
    title = "Password rejected"
    oauth_error = "invalid_request"

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))

    def extensions(self) -> dict[str, Any]:
        return {"reasons": self.reasons}


class EmailTaken(Conflict):
    """Raised by storage; the sign-up service hides it so the API never tells that an account exists."""

    code = "email_taken"


class InvalidOneTimeToken(TokenwardError):
    """An e-mailed link token (verification, reset, "this was not me") is unknown, expired, used or of
    another kind; the cases are deliberately not told apart."""

    code = "invalid_one_time_token"
    status = 400
    title = "Invalid or expired link"
    oauth_error = "invalid_grant"
