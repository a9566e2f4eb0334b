"""Accounts: the user repository."""

from __future__ import annotations

from tests.fakes.base import DuplicateKey
from tokenward.domain.accounts.email_addresses import canonical_email
from tokenward.domain.accounts.users import User
from tokenward.errors import EmailTaken, NotFound


class FakeUserRepository:
    def __init__(self) -> None:
        self._users: dict[str, User] = {}

    async def add(self, user: User) -> None:
        if user.id in self._users:
            raise DuplicateKey(f"duplicate user id {user.id!r}")
        if self._by_email(user.email) is not None:
            raise EmailTaken
        self._users[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return self._by_email(email)

    async def update(self, user: User) -> None:
        if user.id not in self._users:
            raise NotFound("user not found")
        holder = self._by_email(user.email)
        if holder is not None and holder.id != user.id:
            raise EmailTaken
        self._users[user.id] = user

    def _by_email(self, email: str) -> User | None:
        wanted = canonical_email(email)
        return next((u for u in self._users.values() if canonical_email(u.email) == wanted), None)
