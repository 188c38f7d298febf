"""Injected time. Flow logic never calls ``datetime.now()``: it asks a ``Clock``.

The demo clock adds an offset that a person can move from the console, so a 30-minute
countdown can be watched to its end in seconds; tests use ``ManualClock`` to travel in time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Source of the current time, always timezone-aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in the deployment's timezone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class OffsetClock:
    """Wall-clock time shifted by an adjustable offset (demo mode only)."""

    def __init__(self, tz: ZoneInfo, offset: timedelta = timedelta(0)) -> None:
        self.tz = tz
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("demo clock only moves forward; use reset() to return to now")
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)


class ManualClock:
    """A clock that only moves when told to (tests and benchmarks)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def utc(when: datetime) -> datetime:
    """Normalise an aware datetime to UTC for storage and comparisons."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC)
