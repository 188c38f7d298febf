"""Keeping deadlines honest about the calendar.

- After an admin edits the calendar file, open deadlines are recomputed (the first
  reconcile that sees the new revision does it; doing it twice changes nothing).
- Years without official data or an override make deadlines provisional: admins are told,
  once a week per year, to add the year (and about a calendar file that fails to load).
"""

from __future__ import annotations

import logging
import time as monotonic_time
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bot.core.emit import Emitter
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.deadlines import lifecycle, registry
from bot.system_state import get_value, set_value
from bot.timekeeping.calendar import YearSource
from storage import audit
from storage.enums import Role
from storage.models.deadlines import Deadline, DeadlineStatus
from storage.models.machinery import SystemState
from storage.models.org import PersonRole

log = logging.getLogger(__name__)

REVISION_KEY = "calendar_revision"
WARNED_KEY = "calendar_warned:{topic}"
WARN_EVERY = timedelta(days=7)
CHECK_EVERY_SECONDS = 3600.0
_OPEN = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)


async def recompute_if_calendar_changed(services: Services) -> int:
    """Recompute open deadlines if the calendar content changed since the last look."""
    tk = services.timekeeping
    tk.refresh(force=True)
    revision = tk.revision
    stored = await get_value(REVISION_KEY)
    if stored == revision:
        return 0
    now = services.clock.now()
    moved = 0
    if stored is not None:
        ids = await Deadline.filter(status__in=_OPEN).order_by("id").values_list("id", flat=True)
        for deadline_id in ids:
            if await lifecycle.recompute(services, int(str(deadline_id)), now):
                moved += 1
        log.info("calendar changed (%s → %s): %d deadlines moved", stored, revision, moved)
    await set_value(REVISION_KEY, revision, now)
    return moved


def missing_year_text(year: int, path: str) -> str:
    return (
        f"【日历提醒】{year}年的法定节假日和调休安排还没有录入。在此之前，涉及{year}年的期限"
        f"按周一至周五推算，并标注为“暂定”。请在国务院办公厅发布{year}年节假日安排通知后，"
        f"按通知填写日历覆盖文件 {path}（可运行 dutybot calendar template {year} 生成模板），"
        "保存后系统会自动重新计算所有未结束的期限。"
    )


def file_error_text(error: str) -> str:
    return f"【日历提醒】日历覆盖文件无法使用，系统仍按修改前的内容计算期限：{error}"


async def years_needing_data(services: Services, now: datetime) -> list[int]:
    """This year, next year from November on, and the years open deadlines had to guess."""
    tk = services.timekeeping
    cal = tk.calendar()
    local = now.astimezone(services.tz)
    years = {local.year}
    if local.month >= 11:  # the State Council publishes next year's schedule around then
        years.add(local.year + 1)
    guessed = await Deadline.filter(status__in=_OPEN, provisional=True).values_list(
        "provisional_years", flat=True
    )
    for listed in guessed:
        years.update(int(y) for y in (listed or []))
    return sorted(y for y in years if cal.year_source(y) is YearSource.NONE)


async def warn_missing_years(services: Services, *, force: bool = False) -> int:
    """Tell admins what the calendar lacks (at most hourly per process, weekly per topic)."""
    checked = services.calendar_checked_at
    clock_now = monotonic_time.monotonic()
    if not force and isinstance(checked, float) and clock_now - checked < CHECK_EVERY_SECONDS:
        return 0
    services.calendar_checked_at = clock_now
    tk = services.timekeeping
    now = services.clock.now()
    topics: list[tuple[str, str]] = [
        (str(year), missing_year_text(year, str(tk.calendar_file.path)))
        for year in await years_needing_data(services, now)
    ]
    if tk.file_error:
        topics.append(("file_error", file_error_text(tk.file_error)))
    sent = 0
    for topic, text in topics:
        if await _notify_admins(services, topic, text, now):
            sent += 1
    return sent


async def _notify_admins(services: Services, topic: str, text: str, now: datetime) -> bool:
    key = WARNED_KEY.format(topic=topic)
    outbox_ids: list[int] = []
    async with in_transaction() as conn:
        # Serialise with other workers doing the same check (and with audit writers).
        await audit.lock_chain(conn)
        row = await SystemState.filter(key=key).using_db(conn).first()
        last = row.value.get("at") if row is not None and isinstance(row.value, dict) else None
        if last is not None and now - datetime.fromisoformat(str(last)) < WARN_EVERY:
            return False
        admin_ids = (
            await PersonRole.filter(role=Role.ADMIN, person__active=True)
            .using_db(conn)
            .order_by("person_id")
            .values_list("person_id", flat=True)
        )
        emitter = Emitter(services, conn, key_prefix=f"calendar:{topic}:{now.isoformat()}", now=now)
        for person_id in admin_ids:
            await emitter.to_person(int(str(person_id)), Message(text=text))
        await audit.record(
            conn,
            actor=registry.SYSTEM_ACTOR,
            action="calendar.admins_notified",
            subject_type="calendar",
            subject_id=topic,
            at=now,
            detail={"admins": [int(str(p)) for p in admin_ids], "text": text},
        )
        await SystemState.update_or_create(
            key=key, defaults={"value": {"at": now.isoformat()}, "updated_at": now}, using_db=conn
        )
        outbox_ids = emitter.outbox_ids
    if outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(outbox_ids)
    return True
