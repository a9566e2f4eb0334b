"""Importing accounts with their password hashes from another system (``tokenward users import``).

Each record names an address, a hash and optionally a display name and whether the address is verified. A
record is imported whole or not at all: an address that fails the sign-up rules, a hash that is malformed, of
an unknown format or too costly to verify (``hashing.imported_hash_problem``), a bad display name or a second
record for an address already in the file is *refused* with the line number and the reason. An address that
already has an account is *skipped* and never overwritten, so running the same file again imports nothing
twice. The hash is kept as it is; the next successful sign-in verifies it and replaces it with Argon2id.

Records are stored in batches, one multi-row INSERT and one transaction each; an address that gets an account
between the look-up and the insert (a sign-up racing the import) makes that batch go one user at a time.
Reasons never contain the hash. One ``users_imported`` audit event records the counts, not the addresses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tokenward.domain.accounts.display_names import checked_display_name
from tokenward.domain.accounts.email_addresses import canonical_email, checked_email
from tokenward.domain.accounts.passwords.hashing import imported_hash_problem
from tokenward.domain.accounts.users import User, new_user_id
from tokenward.domain.audit.events import AuditEventType, AuditTrail
from tokenward.domain.clock import Clock
from tokenward.domain.context import RequestContext
from tokenward.errors import EmailTaken, InvalidRequest

BATCH_SIZE = 1000
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})
_FIELDS = frozenset({"email", "hash", "display_name", "email_verified"})


class UserImportStore(Protocol):
    async def existing_emails(self, canonical: Sequence[str]) -> set[str]: ...

    async def add_many(self, batch: Sequence[User]) -> None:
        """All or nothing; ``EmailTaken`` when one of the addresses already has an account."""
        ...


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One line of the file: its number, and its fields, or why it could not even be read."""

    line: int
    fields: Mapping[str, object] = field(default_factory=dict)
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class LineOutcome:
    line: int
    status: str  # "refused" or "skipped"
    reason: str


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    outcomes: list[LineOutcome] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == "refused")

    @property
    def skipped(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == "skipped")

    def summary(self) -> dict[str, int]:
        return {"imported": self.imported, "skipped": self.skipped, "refused": self.refused}


def _text(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{name}: must be text")
    return value


def _verified(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and value.strip().lower() in _FALSE):
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    raise InvalidRequest("email_verified: must be true or false")


class UserImport:
    def __init__(self, store: UserImportStore, audit: AuditTrail, clock: Clock, batch_size: int = BATCH_SIZE):
        self._store = store
        self._audit = audit
        self._clock = clock
        self._batch_size = batch_size

    def user_of(self, record: ImportRecord) -> User:
        """The account a record describes; ``InvalidRequest`` naming the field and the reason otherwise."""
        if record.unreadable is not None:
            raise InvalidRequest(record.unreadable)
        unknown = sorted(set(record.fields) - _FIELDS)
        if unknown:
            raise InvalidRequest(f"unknown field {unknown[0]!r}")
        address = checked_email(_text(record.fields, "email"))
        stored_hash = _text(record.fields, "hash").strip()
        problem = imported_hash_problem(stored_hash) if stored_hash else "the hash is missing"
        if problem is not None:
            raise InvalidRequest(f"hash: {problem}")
        display_name = _text(record.fields, "display_name").strip() or None
        if display_name is not None:
            checked_display_name(display_name)
        now = self._clock.now()
        return User(
            id=new_user_id(),
            email=address,
            password_hash=stored_hash,
            created_at=now,
            updated_at=now,
            email_verified=_verified(record.fields.get("email_verified")),
            display_name=display_name,
            password_changed_at=now,
        )

    async def run(
        self,
        records: Iterable[ImportRecord],
        context: RequestContext,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import every acceptable record; ``progress`` hears the last line number stored after each batch."""
        report = ImportReport()
        first_line: dict[str, int] = {}
        async for batch in self._batches(records, report, first_line):
            report.imported += await self._store_batch(batch, report)
            if progress is not None:
                progress(batch[-1][0])
        report.outcomes.sort(key=lambda outcome: outcome.line)
        await self._audit.record(
            AuditEventType.USERS_IMPORTED,
            context,
            by="cli",
            imported=report.imported,
            skipped=report.skipped,
            refused=report.refused,
        )
        return report

    async def _batches(
        self, records: Iterable[ImportRecord], report: ImportReport, first_line: dict[str, int]
    ) -> AsyncIterator[list[tuple[int, User]]]:
        batch: list[tuple[int, User]] = []
        for record in records:
            try:
                user = self.user_of(record)
            except InvalidRequest as refusal:
                report.outcomes.append(LineOutcome(record.line, "refused", refusal.detail))
                continue
            canonical = canonical_email(user.email)
            if canonical in first_line:
                reason = f"email: the same address as line {first_line[canonical]}"
                report.outcomes.append(LineOutcome(record.line, "refused", reason))
                continue
            first_line[canonical] = record.line
            batch.append((record.line, user))
            if len(batch) >= self._batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _store_batch(self, batch: list[tuple[int, User]], report: ImportReport) -> int:
        existing = await self._store.existing_emails([canonical_email(user.email) for _, user in batch])
        fresh: list[tuple[int, User]] = []
        for line, user in batch:
            if canonical_email(user.email) in existing:
                report.outcomes.append(LineOutcome(line, "skipped", "an account with this address exists"))
            else:
                fresh.append((line, user))
        try:
            await self._store.add_many([user for _, user in fresh])
        except EmailTaken:
            return await self._store_one_by_one(fresh, report)
        return len(fresh)

    async def _store_one_by_one(self, batch: list[tuple[int, User]], report: ImportReport) -> int:
        stored = 0
        for line, user in batch:
            try:
                await self._store.add_many([user])
            except EmailTaken:
                report.outcomes.append(LineOutcome(line, "skipped", "an account with this address exists"))
            else:
                stored += 1
        return stored
