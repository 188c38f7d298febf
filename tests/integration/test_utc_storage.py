"""Datetimes in any timezone compare correctly in filters, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from storage.models.machinery import SystemState
from tests.support.dates import DEFAULT_NOW


async def test_filters_compare_instants_not_text(db: str) -> None:
    local = DEFAULT_NOW  # 10:00 +08:00
    await SystemState.create(key="a", value=1, updated_at=local)
    assert await SystemState.filter(updated_at__lt=local - timedelta(seconds=30)).count() == 0
    assert await SystemState.filter(updated_at__lt=local + timedelta(seconds=30)).count() == 1
    utc_same = local.astimezone(ZoneInfo("UTC"))
    assert await SystemState.filter(updated_at=utc_same).count() == 1
    new_york = local.astimezone(ZoneInfo("America/New_York"))
    assert await SystemState.filter(updated_at__gte=new_york).count() == 1
    await SystemState.filter(key="a").update(updated_at=local + timedelta(hours=1))
    assert await SystemState.filter(updated_at__gt=local + timedelta(minutes=59)).count() == 1
    row = await SystemState.get(key="a")
    assert row.updated_at == local + timedelta(hours=1)
