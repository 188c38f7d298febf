"""Recording deliveries on the answer path, many per statement under load (group insert).

Every platform callback waits for its delivery to be recorded before it is acknowledged, so
this insert is the web process's hottest path. Deliveries that arrive while an insert is in
flight are written together by the next one: one multi-row ``INSERT … ON CONFLICT (key) DO
NOTHING RETURNING id, key``, on SQLite and PostgreSQL alike. At low load each delivery is
written at once, alone (no waiting window); under load the cost per delivery falls.
A key that is already there (a platform retry) comes back without an id: a duplicate.

One row must never fail its neighbours: text is cleaned of what PostgreSQL cannot store (NUL,
lone surrogates; ``bot.core.untrusted``) before it is written, and should a group insert still
fail, its rows are written again one by one, so only the row at fault gets the error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from bot.core.untrusted import clean, clean_text
from storage.enums import InboundStatus

log = logging.getLogger(__name__)

MAX_BATCH = 200
_COLUMNS = ("key", "platform", "status", "payload", "received_at", "error")


@dataclass
class _Pending:
    key: str
    values: list[Any]
    done: asyncio.Future[int | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class _GroupInserter:
    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.writing = False

    async def insert(self, key: str, values: list[Any]) -> int | None:
        item = _Pending(key, values)
        self.pending.append(item)
        if not self.writing:
            self.writing = True
            asyncio.get_running_loop().create_task(self._write_all())
        return await item.done

    async def _write_all(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                try:
                    ids = await _insert_rows(batch)
                except Exception as exc:
                    if len(batch) == 1:
                        _fail(batch, exc)
                    else:
                        await _insert_one_by_one(batch)
                    continue
                except BaseException as exc:
                    _fail(batch, exc)
                    raise
                _answer(batch, ids)
        finally:
            self.writing = False


def _fail(batch: list[_Pending], exc: BaseException) -> None:
    for item in batch:
        if not item.done.done():
            item.done.set_exception(exc)


def _answer(batch: list[_Pending], ids: dict[str, int]) -> None:
    seen: set[str] = set()
    for item in batch:
        # The same key twice in one batch: the second is a duplicate.
        first = item.key not in seen
        seen.add(item.key)
        if not item.done.done():
            item.done.set_result(ids.get(item.key) if first else None)


async def _insert_one_by_one(batch: list[_Pending]) -> None:
    """After a failed group insert: each row alone, so an error reaches only its own caller."""
    log.warning("group insert of %d deliveries failed; writing them one by one", len(batch))
    for item in batch:
        try:
            ids = await _insert_rows([item])
        except Exception as exc:
            _fail([item], exc)
            continue
        _answer([item], ids)


async def _insert_rows(batch: list[_Pending]) -> dict[str, int]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    rows_sql: list[str] = []
    params: list[Any] = []
    for item in batch:
        if postgres:
            base = len(params)
            rows_sql.append("(" + ", ".join(f"${base + i + 1}" for i in range(len(_COLUMNS))) + ")")
        else:
            rows_sql.append("(" + ", ".join("?" for _ in _COLUMNS) + ")")
        params.extend(item.values)
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    sql = (
        f'INSERT INTO "inbound_event" ({columns}) VALUES {", ".join(rows_sql)} '
        'ON CONFLICT ("key") DO NOTHING RETURNING "id", "key"'
    )
    rows = await conn.execute_query_dict(sql, params)
    return {str(r["key"]): int(r["id"]) for r in rows}


_inserters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupInserter] = (
    weakref.WeakKeyDictionary()
)


def _row_values(
    key: str, platform: str, payload: Any, received_at: datetime, postgres: bool
) -> list[Any]:
    at = received_at.astimezone(UTC)
    # Stored exactly as tortoise stores them (see storage/_utc_datetimes.py): UTC, and on
    # SQLite the text form tortoise's own writes produce.
    encoded = json.dumps(clean(payload), separators=(",", ":"))
    return [
        clean_text(key),
        platform,
        InboundStatus.RECEIVED.value,
        encoded,
        at if postgres else str(at),
        "",
    ]


async def insert_delivery(
    key: str, platform: str, payload: Any, received_at: datetime
) -> int | None:
    """Record one delivery; its new row id, or None when the key was already recorded."""
    loop = asyncio.get_running_loop()
    inserter = _inserters.get(loop)
    if inserter is None:
        inserter = _inserters[loop] = _GroupInserter()
    postgres = connections.get("default").capabilities.dialect == "postgres"
    return await inserter.insert(
        clean_text(key), _row_values(key, platform, payload, received_at, postgres)
    )
