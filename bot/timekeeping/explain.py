"""Chinese texts for deadlines: the explanation with its basis, due times, remaining time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.timekeeping.rules import ByWorkingHoursRule, DeadlineRule, Due


def format_time(at: datetime, tz: ZoneInfo, reference: datetime | None = None) -> str:
    """``10月9日 10:30``; midnight reads as the previous day's 24:00, as regulations say it.

    The year is shown when it differs from ``reference``'s (usually the start or now).
    """
    local = at.astimezone(tz)
    clock = f"{local:%H:%M}"
    if local.time() == time(0):
        local = local - timedelta(days=1)
        clock = "24:00"
    shown_year = reference is not None and reference.astimezone(tz).year != local.year
    prefix = f"{local.year}年" if shown_year else ""
    return f"{prefix}{local.month}月{local.day}日 {clock}"


def provisional_note(years: Iterable[int]) -> str:
    listed = "、".join(f"{y}年" for y in sorted(years))
    return f"（{listed}的节假日安排尚未录入，暂按周一至周五推算，仅供参考）"


def explain(rule: DeadlineRule, due: Due, *, start: datetime, tz: ZoneInfo) -> str:
    """One sentence: the basis, the rule as it applied to this start, and the due time.

    ``依据《昆明市…》第十五条：工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30``
    """
    condition = ""
    if isinstance(rule, ByWorkingHoursRule):
        condition = "工作时间内" if due.inside_working_hours else "工作时间外及节假日"
    length = rule.length_text(due.inside_working_hours)
    when = format_time(due.due_at, tz, reference=start)
    if rule.bound == "at_least":
        body = f"{condition}{rule.when}{rule.what}不少于{length}，届满 {when}"
    else:
        body = f"{condition}{rule.when}{length}内{rule.what}，截止 {when}"
    text = f"{rule.citation.basis()}：{body}"
    if due.provisional:
        text += provisional_note(due.guessed_years)
    return text


def span_text(delta: timedelta) -> str:
    """2天3小时 / 1小时25分钟 / 25分钟 / 不到1分钟 (floored to the minute)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "不到1分钟"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if mins else f"{hours}小时"
    return f"{mins}分钟"


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def remaining_text(due_at: datetime, now: datetime) -> str:
    """``剩余1小时25分钟`` before the due time, ``已超时10分钟`` after it.

    Counted as a person reads a clock: the minute on the clock against the due minute (at
    10:16:05, a notice due at 10:30 has 14 minutes left, not 13 min 55 s floored to 13).
    """
    clock, due = _minute(now), _minute(due_at)
    if now < due_at and clock < due:
        return f"剩余{span_text(due - clock)}"
    if now < due_at:
        return "剩余不到1分钟"  # the seconds before a due time that is not on the minute
    if clock == due:
        return "已到期"
    return f"已超时{span_text(clock - due)}"
