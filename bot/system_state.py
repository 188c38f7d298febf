"""Named deployment-wide values kept in the database (the demo clock offset, ...)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.models.machinery import SystemState

DEMO_CLOCK_OFFSET = "demo_clock_offset_seconds"


async def get_value(key: str, default: Any = None) -> Any:
    row = await SystemState.filter(key=key).first()
    if row is None or not isinstance(row.value, dict):
        return default
    return row.value.get("value", default)


async def set_value(key: str, value: Any, now: datetime) -> None:
    # Wrapped in an object: tortoise's JSONField reads a bare str as already-encoded JSON.
    await SystemState.update_or_create(
        key=key, defaults={"value": {"value": value}, "updated_at": now}
    )


async def load_demo_offset() -> timedelta:
    seconds = await get_value(DEMO_CLOCK_OFFSET, 0)
    return timedelta(seconds=float(seconds or 0))


async def save_demo_offset(offset: timedelta, now: datetime) -> None:
    await set_value(DEMO_CLOCK_OFFSET, offset.total_seconds(), now)
