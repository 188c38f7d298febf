"""The times people type: a new due time (同意延期) and when a report was received (收到时间)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.flows.rectification.model import RectificationError

_DUE_PATTERNS = (
    re.compile(
        r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
        r"(?:\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?)?$"
    ),
    re.compile(r"^(?P<rel>今天|明天|后天)?\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"),
)


def parse_due_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``2026-11-23 17:00``, ``11月23日17:00``, ``明天 17:00``, ``17:30`` (today),
    ``11月23日`` (18:00 that day)."""
    text = text.strip()
    local = now.astimezone(tz)
    for pattern in _DUE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        groups: dict[str, Any] = match.groupdict()
        hour = int(groups["hh"]) if groups.get("hh") else 18
        minute = int(groups["mm"]) if groups.get("mm") else 0
        try:
            if "rel" in groups:
                offset = {"今天": 0, "明天": 1, "后天": 2}.get(groups["rel"] or "今天", 0)
                day = local.date() + timedelta(days=offset)
                when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            else:
                year = int(groups["y"]) if groups.get("y") else local.year
                when = datetime(year, int(groups["m"]), int(groups["d"]), hour, minute, tzinfo=tz)
        except ValueError:
            break
        if when <= now:
            raise RectificationError("新的截止时间必须晚于现在。")
        return when
    raise RectificationError(
        "截止时间格式不正确，请写成“2026-11-23 17:00”或“11月23日 17:00”或“明天 17:00”。"
    )


_RECEIVED_PATTERNS = (
    re.compile(
        r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
        r"\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"
    ),
    re.compile(r"^(?P<rel>今天|昨天|前天|明天)?\s*(?P<hh>\d{1,2})[:：点时](?P<mm>\d{2})?分?$"),
)
RECEIVED_MAX_AGE = timedelta(days=30)


def parse_received_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """When a problem (a netizen's report) reached the supervisor: ``11月23日 9:30``,
    ``2026-11-23 09:30``, ``昨天 16:00``, ``9:30`` (today). Not in the future, not a month old."""
    local = now.astimezone(tz)
    for pattern in _RECEIVED_PATTERNS:
        match = pattern.match(text.strip())
        if match is None:
            continue
        groups: dict[str, Any] = match.groupdict()
        hour, minute = int(groups["hh"]), int(groups["mm"] or 0)
        try:
            if "rel" in groups:
                back = {"昨天": 1, "前天": 2, "明天": -1}.get(groups["rel"] or "今天", 0)
                day = local.date() - timedelta(days=back)
                when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            else:
                year = int(groups["y"]) if groups.get("y") else local.year
                when = datetime(year, int(groups["m"]), int(groups["d"]), hour, minute, tzinfo=tz)
        except ValueError:
            break
        if when > now:
            raise RectificationError("收到时间不能晚于现在，请核对后重新输入。")
        if when < now - RECEIVED_MAX_AGE:
            raise RectificationError(
                "收到时间早于 30 天前，请核对；确实如此的请如实写明在问题描述中。"
            )
        return when
    raise RectificationError(
        "收到时间格式不正确，请写成“11月23日 9:30”“昨天 16:00”或“9:30”（今天）。"
    )
