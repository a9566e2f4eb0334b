"""What an authorization code decided for the session its tokens start (``SessionService.start``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ClientGrant:
    """What an authorization code decided for the session its tokens start."""

    session_id: str
    client_id: str
    scope: str
    auth_time: datetime
    browser_session_id: str
