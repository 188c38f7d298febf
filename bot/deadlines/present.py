"""How a deadline reads to people: due line with its basis, remaining time, status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.timekeeping.explain import format_time, remaining_text
from storage.models.deadlines import Deadline, DeadlineStatus


def due_text(deadline: Deadline, tz: ZoneInfo, reference: datetime | None = None) -> str:
    """``10月9日 10:30``."""
    return format_time(deadline.due_at, tz, reference=reference or deadline.start_at)


def due_line(deadline: Deadline, tz: ZoneInfo) -> str:
    """``截止 10月9日 10:30（依据《昆明市…》第十五条）``; a guessed calendar says 暂定."""
    line = f"截止 {due_text(deadline, tz)}"
    notes = [deadline.basis] if deadline.basis else []
    if deadline.provisional:
        notes.append(
            "暂定：" + "、".join(f"{y}年" for y in deadline.provisional_years) + "节假日未录入"
        )
    return line + (f"（{'；'.join(notes)}）" if notes else "")


def remaining(deadline: Deadline, now: datetime) -> str:
    """``剩余25分钟`` / ``已超时10分钟`` / ``已暂停，剩余…`` / ``已完成``."""
    status = DeadlineStatus(deadline.status)
    if status is DeadlineStatus.PAUSED and deadline.paused_at is not None:
        return f"已暂停，{remaining_text(deadline.due_at, deadline.paused_at)}"
    if status is not DeadlineStatus.OPEN:
        return status.label
    return remaining_text(deadline.due_at, now)


@dataclass(frozen=True)
class DeadlineText:
    """Everything a card or reply needs to show a deadline."""

    due_line: str  # 截止 10月9日 10:30（依据…）
    remaining: str  # 剩余25分钟
    explanation: str  # 依据…：工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30
    overdue: bool
    provisional: bool

    @property
    def status_line(self) -> str:
        return f"{self.due_line}，{self.remaining}"


def describe(deadline: Deadline, now: datetime, tz: ZoneInfo) -> DeadlineText:
    status = DeadlineStatus(deadline.status)
    return DeadlineText(
        due_line=due_line(deadline, tz),
        remaining=remaining(deadline, now),
        explanation=deadline.explanation,
        overdue=status is DeadlineStatus.OPEN and now > deadline.due_at,
        provisional=deadline.provisional,
    )
