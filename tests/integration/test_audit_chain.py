"""The audit log is hash-chained: a row altered or deleted directly in the database is found."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from bot.org.seed import demo_org_text
from storage import audit
from storage.models.machinery import AuditEntry
from tests.support.dates import DEFAULT_NOW
from tests.support.orgs import load_org_text
from tests.support.proc import run_dutybot


async def _append(n: int) -> None:
    for i in range(n):
        async with in_transaction() as conn:
            await audit.record(
                conn,
                actor=audit.Actor(person_id=i, label=f"测试{i}"),
                action="test.step",
                subject_type="thing",
                subject_id=i,
                at=DEFAULT_NOW,
                detail={"i": i, "说明": "中文内容", "nested": {"b": 2, "a": [1, 2]}},
            )


async def test_intact_chain_verifies(db: str) -> None:
    await _append(5)
    report = await audit.verify_chain(batch_size=2)
    assert report.ok
    assert report.checked == 5
    last = await AuditEntry.all().order_by("-seq").first()
    assert last is not None
    assert report.head_hash == last.hash


async def test_altered_detail_is_reported(db: str) -> None:
    await _append(4)
    conn = connections.get("default")
    await conn.execute_query("UPDATE audit_entry SET actor_label = '别人' WHERE seq = 2")
    report = await audit.verify_chain()
    assert not report.ok
    assert [p.seq for p in report.problems] == [2]
    assert "直接修改" in report.problems[0].reason


async def test_deleted_row_is_reported(db: str) -> None:
    await _append(4)
    await AuditEntry.filter(seq=3).delete()
    report = await audit.verify_chain()
    assert not report.ok
    reasons = " ".join(p.reason for p in report.problems)
    assert "删除" in reasons


async def test_rehashing_one_row_still_breaks_the_next(db: str) -> None:
    """Recomputing a tampered row's own hash does not help: the next row's link breaks."""
    await _append(3)
    row = await AuditEntry.get(seq=2)
    row.detail = {"i": 99}
    row.hash = audit.entry_hash(
        prev_hash=row.prev_hash, seq=row.seq, at=row.at, actor_id=row.actor_id,
        actor_label=row.actor_label, action=row.action, subject_type=row.subject_type,
        subject_id=row.subject_id, detail=row.detail,
    )  # fmt: skip
    await row.save()
    report = await audit.verify_chain()
    assert [p.seq for p in report.problems] == [3]


async def test_cli_reports_a_row_altered_in_the_database(db: str) -> None:
    await load_org_text(demo_org_text())
    env = {"DUTYBOT_DATABASE_URL": db}
    ok = await run_dutybot("audit", "verify", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "审计日志完整" in ok.stdout
    conn = connections.get("default")
    await conn.execute_query("UPDATE audit_entry SET action = 'person.deleted' WHERE seq = 7")
    bad = await run_dutybot("audit", "verify", env=env)
    assert bad.returncode == 2
    assert "第 7 条" in bad.stdout
    assert "被篡改" in bad.stdout


async def _holds_chain_lock() -> bool:
    """Whether a session of this database holds the chain's lock now (pg_locks shows every
    database's: a benchmark or another suite on the same server must not count)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
        "AND granted AND database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database())",
        [audit._PG_AUDIT_LOCK],
    )
    return int(rows[0]["n"]) > 0


async def test_the_chain_lock_is_taken_once_a_transaction_and_never_carried_over(
    db: str,
) -> None:
    """A transaction asks for the lock once (a firing asks three times); the next
    transaction, on whatever pooled connection, takes it again for itself."""
    if not db.startswith("postgres"):
        pytest.skip("the chain's lock is PostgreSQL's advisory lock; SQLite has one writer")
    for _ in range(2):
        async with in_transaction() as conn:
            assert not await _holds_chain_lock()
            await audit.lock_chain(conn)
            assert await _holds_chain_lock()
            await audit.lock_chain(conn)  # remembered: no second request
            await audit.record(
                conn,
                actor=audit.Actor.system(),
                action="test.lock",
                subject_type="thing",
                subject_id=1,
                at=DEFAULT_NOW,
            )
        assert not await _holds_chain_lock()  # ended with the transaction
    # Outside a transaction the lock ends with the statement: nothing is remembered.
    client = connections.get("default")
    await audit.lock_chain(client)
    assert not getattr(client, audit._HOLDS_LOCK, False)
    report = await audit.verify_chain()
    assert report.ok
    assert report.checked == 2
