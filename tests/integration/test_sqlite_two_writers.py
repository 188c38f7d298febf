"""Two processes writing one SQLite file: a read-then-write transaction waits, never fails.

The second writer here is a plain sqlite3 connection in a thread, standing in for the other
process (``dutybot worker`` beside ``dutybot serve``): it commits while our transaction sits
between its read and its write, which is what made the Feishu end-to-end test fail now and
then with "database is locked" before transactions began with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest
from tortoise.transactions import in_transaction

from bot.clock import ManualClock
from storage.models.machinery import SystemState


def _sqlite_path(db_url: str) -> str:
    return db_url[len("sqlite://") :].split("?", 1)[0]


def _other_process_writes(path: str, done: threading.Event, errors: list[BaseException]) -> None:
    try:
        other = sqlite3.connect(path, timeout=10)
        with other:
            other.execute(
                "INSERT INTO system_state (key, value, updated_at) VALUES (?, ?, ?)",
                ("other", json.dumps(2), "2026-10-09 02:00:00+00:00"),
            )
        other.close()
    except BaseException as exc:  # reported to the test, not lost in the thread
        errors.append(exc)
    finally:
        done.set()


async def test_a_read_then_write_transaction_waits_for_the_other_writer(
    db: str, clock: ManualClock
) -> None:
    if not db.startswith("sqlite://"):
        pytest.skip("about SQLite's file locking")
    done = threading.Event()
    errors: list[BaseException] = []
    async with in_transaction() as conn:
        assert await SystemState.filter(key="mine").using_db(conn).first() is None  # the read
        thread = threading.Thread(
            target=_other_process_writes, args=(_sqlite_path(db), done, errors)
        )
        thread.start()
        # Give the other writer every chance to commit between our read and our write.
        await asyncio.sleep(0.3)
        assert not done.is_set(), "the other writer should be waiting for our transaction"
        await SystemState.create(key="mine", value=1, updated_at=clock.now(), using_db=conn)
    await asyncio.to_thread(thread.join, 10)
    assert errors == []
    assert {s.key: s.value for s in await SystemState.all()} == {"mine": 1, "other": 2}
