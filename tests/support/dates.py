"""The test time zone and the moments tests start from."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 9 October 2026, 10:00 — a working day right after the National Day holiday.
DEFAULT_NOW = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
# Monday 23 November 2026, 10:00 — a plain working day (the rectification tests' start).
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A wall-clock moment in Shanghai."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)
