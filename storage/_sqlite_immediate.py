"""Start SQLite transactions with ``BEGIN IMMEDIATE``.

tortoise 1.1 opens transactions with a plain (deferred) ``BEGIN``. With two processes on one
SQLite file (``dutybot serve`` + ``dutybot worker``, or the demo and a CLI command), a
transaction that reads and then writes fails at once with "database is locked" if the other
process committed in between: in WAL mode SQLite cannot upgrade a stale read snapshot to a
writer, and it does not wait (the busy timeout does not apply to that case). ``BEGIN
IMMEDIATE`` takes the write lock when the transaction starts, so the second process waits
(aiosqlite's 5 s busy timeout) instead of failing. Within one process tortoise already runs
one transaction at a time on its single connection, so nothing is lost there. PostgreSQL is
unaffected. Tested by tests/integration/test_sqlite_two_writers.py.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.sqlite.client import SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return

    async def begin(self: SqliteTransactionWrapper) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    SqliteTransactionWrapper.begin = begin  # type: ignore[method-assign]  # the patch this module exists for
    _installed = True
