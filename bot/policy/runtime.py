"""The process's time configuration: active policy, calendar file, timezone.

``load_timekeeping(settings)`` runs at start-up and fails with a Chinese ``TimeConfigError``
on an unknown preset, a bad override or a broken calendar file. Later, ``services.timekeeping``
returns it; the calendar file is re-read when it changes (checked at most once a second).
"""

from __future__ import annotations

import logging
import time as monotonic_time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings
from bot.policy.loader import PolicyError, load_policy
from bot.policy.model import Policy
from bot.timekeeping.calendar import CalendarOverrides, WorkingCalendar, WorkingHours
from bot.timekeeping.explain import explain
from bot.timekeeping.overrides import CalendarFile, CalendarFileError
from bot.timekeeping.rules import DeadlineRule

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0


class TimeConfigError(RuntimeError):
    """Start-up configuration that cannot work; the message tells the admin what to fix."""


@dataclass(frozen=True)
class DueTime:
    """A rule applied to a start: the due time and how to say it."""

    rule_id: str
    policy_id: str
    start: datetime
    due_at: datetime
    provisional: bool
    guessed_years: tuple[int, ...]
    inside_working_hours: bool | None
    explanation: str  # 依据《…》第十五条：工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30
    basis: str  # 依据《…》第十五条

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "policy": self.policy_id,
            "from": self.start.isoformat(),
            "due_at": self.due_at.isoformat(),
            "provisional": self.provisional,
            "provisional_years": list(self.guessed_years),
            "inside_working_hours": self.inside_working_hours,
            "explanation": self.explanation,
            "basis": self.basis,
        }


class TimeKeeping:
    """Active policy + working calendar for one process."""

    def __init__(self, *, tz: ZoneInfo, policy: Policy, calendar_file: CalendarFile) -> None:
        self.tz = tz
        self.policy = policy
        self.calendar_file = calendar_file
        self._checked = monotonic_time.monotonic()

    @classmethod
    def from_settings(cls, settings: Settings) -> TimeKeeping:
        try:
            tz = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TimeConfigError(
                f"时区“{settings.timezone}”无效，请检查 DUTYBOT_TIMEZONE（如 Asia/Shanghai）"
            ) from None
        try:
            policy = load_policy(settings.policy, settings.policy_overrides)
        except PolicyError as exc:
            raise TimeConfigError(str(exc)) from None
        calendar_file = CalendarFile(settings.effective_calendar_file)
        try:
            calendar_file.load()
        except CalendarFileError as exc:
            raise TimeConfigError(f"{exc}。请修改后重新启动。") from None
        return cls(tz=tz, policy=policy, calendar_file=calendar_file)

    # ---- calendar --------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Re-read the calendar file if it changed; True when the content in use changed."""
        now = monotonic_time.monotonic()
        if not force and now - self._checked < REFRESH_SECONDS:
            return False
        self._checked = now
        changed = self.calendar_file.refresh()
        if changed:
            log.info("calendar file reloaded (revision %s)", self.revision)
        elif self.calendar_file.error:
            log.error("calendar file unusable, keeping the previous content: %s", self.file_error)
        return changed

    @property
    def overrides(self) -> CalendarOverrides:
        return self.calendar_file.overrides

    @property
    def revision(self) -> str:
        """Changes whenever the day data in use changes (the override file's content hash)."""
        return self.overrides.revision or "official"

    @property
    def file_error(self) -> str:
        return self.calendar_file.error

    def calendar(self, hours: WorkingHours | None = None) -> WorkingCalendar:
        """The working calendar with ``hours`` (default: the active preset's)."""
        self.refresh()
        return WorkingCalendar(
            tz=self.tz, hours=hours or self.policy.hours(), overrides=self.overrides
        )

    # ---- policies and rules ----------------------------------------------------------------

    def policy_for(self, preset_id: str | None) -> Policy:
        """The active policy, or another preset as shipped (``--policy`` in the CLI)."""
        if preset_id is None or preset_id == self.policy.id:
            return self.policy
        return load_policy(preset_id)

    def due(
        self,
        rule: str | DeadlineRule,
        start: datetime,
        *,
        policy: Policy | None = None,
        hours: WorkingHours | None = None,
    ) -> DueTime:
        """Apply a rule (an id of the policy, or a rule object) to ``start``."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        policy = policy or self.policy
        rule_id = rule if isinstance(rule, str) else ""
        rule_obj = policy.rule(rule) if isinstance(rule, str) else rule
        cal = self.calendar(hours or policy.hours())
        due = rule_obj.due(start, cal)
        return DueTime(
            rule_id=rule_id,
            policy_id=policy.id,
            start=start,
            due_at=due.due_at.astimezone(self.tz),
            provisional=due.provisional,
            guessed_years=tuple(sorted(due.guessed_years)),
            inside_working_hours=due.inside_working_hours,
            explanation=explain(rule_obj, due, start=start, tz=self.tz),
            basis=rule_obj.citation.basis(),
        )


def load_timekeeping(settings: Settings) -> TimeKeeping:
    return TimeKeeping.from_settings(settings)
