"""The audit log: append-only and hash-chained, written in the same transaction as the change.

Each entry's hash covers the previous entry's hash and the entry's own content, so altering,
deleting or reordering any row breaks the chain from that row on. ``verify_chain`` finds it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient

from storage.models.machinery import AuditEntry

GENESIS_HASH = "0" * 64
# Arbitrary constant: every appender takes this PostgreSQL advisory lock for the rest of its
# transaction so that sequence numbers and the chain stay strictly linear.
_PG_AUDIT_LOCK = 0x64757479  # "duty"
# Set on a transaction's connection once it holds the lock (see ``lock_chain``).
_HOLDS_LOCK = "_dutybot_holds_audit_lock"


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a person, or the system itself."""

    person_id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        return cls(person_id=None, label=label)


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: Any,
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry."""
    body = json.dumps(
        [seq, _canonical_time(at), actor_id, actor_label, action, subject_type, subject_id, detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _is_postgres(connection: BaseDBAsyncClient) -> bool:
    return connection.capabilities.dialect == "postgres"


async def lock_chain(connection: BaseDBAsyncClient) -> None:
    """PostgreSQL: take the chain's lock for the rest of ``connection``'s transaction.

    Every transaction that writes the log takes it, and takes it before any row lock (one
    lock order, so no deadlocks). It is held until the transaction ends, so asking again in
    the same transaction is skipped: a deadline firing would otherwise ask three times (the
    firing, the flow's row lock, the audit entry), each a round trip made while every other
    writer waits for this one. Only a real transaction remembers it — outside one the lock
    ends with the statement.
    """
    if not _is_postgres(connection) or getattr(connection, _HOLDS_LOCK, False):
        return
    await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [_PG_AUDIT_LOCK])
    if isinstance(connection, TransactionalDBClient):
        setattr(connection, _HOLDS_LOCK, True)


async def record(
    connection: BaseDBAsyncClient,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``connection`` must be the transaction that makes the change."""
    await lock_chain(connection)
    last = (
        await AuditEntry.all()
        .using_db(connection)
        .order_by("-seq")
        .limit(1)
        .values_list("seq", "hash")  # not the whole row: its detail is JSON to parse
    )
    seq = int(str(last[0][0])) + 1 if last else 1
    prev_hash = str(last[0][1]) if last else GENESIS_HASH
    # Round-trip through JSON so the hashed detail equals what the database returns later.
    clean_detail = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    # Microsecond precision is what both SQLite and PostgreSQL keep.
    at_utc = at.astimezone(UTC)
    digest = entry_hash(
        prev_hash=prev_hash,
        seq=seq,
        at=at_utc,
        actor_id=actor.person_id,
        actor_label=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=clean_detail,
    )
    return await AuditEntry.create(
        using_db=connection,
        seq=seq,
        at=at_utc,
        actor_id=actor.person_id,
        actor_label=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=clean_detail,
        prev_hash=prev_hash,
        hash=digest,
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_chain(batch_size: int = 1000) -> ChainReport:
    """Recompute the whole chain; report every entry that does not match."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = await AuditEntry.filter(seq__gt=last_seq).order_by("seq").limit(batch_size)
        if not rows:
            break
        for row in rows:
            checked += 1
            if row.seq != expected_seq:
                problems.append(
                    ChainProblem(
                        row.seq,
                        row.id,
                        f"序号不连续：应为 {expected_seq}，实为 {row.seq}（有记录被删除）",
                    )
                )
            if row.prev_hash != prev_hash:
                problems.append(ChainProblem(row.seq, row.id, "前序哈希不匹配（链条被截断或改写）"))
            recomputed = entry_hash(
                prev_hash=row.prev_hash,
                seq=row.seq,
                at=row.at,
                actor_id=row.actor_id,
                actor_label=row.actor_label,
                action=row.action,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                detail=row.detail,
            )
            if recomputed != row.hash:
                problems.append(ChainProblem(row.seq, row.id, "内容与哈希不符（记录被直接修改）"))
            prev_hash = row.hash
            expected_seq = row.seq + 1
            last_seq = row.seq
    return ChainReport(checked=checked, head_hash=prev_hash, problems=problems)
