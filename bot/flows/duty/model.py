"""Duty as a subject: the flow's error, locks, constants and how shifts are named.

The sections after the roster's are added by the other duty areas (``# --- <area> ---``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.work import FlowError
from storage.audit import lock_chain  # one global lock order: audit first, then rows
from storage.models.duty import DutyShift, DutySwap, DutyTeam, ShiftSlot
from storage.models.duty_alerts import Alert, PatrolRound
from storage.models.duty_handover import DutyHandover
from storage.models.duty_leaving import LeavingChecklist

# Audit entries, deadlines and stored cards name duty subjects by these types.
TEAM_SUBJECT = "duty_team"
SHIFT_SUBJECT = "duty_shift"
SWAP_SUBJECT = "duty_swap"

# The prefix of the roster's and swaps' card actions (duty.accept, duty.approve, …): stored
# cards carry them, never rename. The other areas have their own prefixes (handover, alert,
# patrol, leaving).
ACTIONS = "duty"

# The step handler of a swap's expiry deadline (stored in deadline rows: never rename).
SWAP_STEP_HANDLER = "duty.swap"
SWAP_DEADLINE_KIND = "duty.swap"

# Stored card kinds.
SWAP_REQUEST_CARD = "duty.swap.request"
SWAP_APPROVAL_CARD = "duty.swap.approval"

# How far ahead the planner materialises shifts (the roster shows a week; a swap or an
# override may name a shift up to this far out).
PLAN_AHEAD_DAYS = 35

WEEKDAYS = "一二三四五六日"


class DutyError(FlowError):
    """A duty action that cannot happen; the message (Chinese) says why and what to do."""


def parse_hhmm(text: str) -> time:
    """ "08:30" → 08:30; raises ValueError on anything else."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes))


def shift_label(shift: DutyShift, tz: ZoneInfo) -> str:
    """How people name a shift: 12月5日（周六）白班 08:30–20:30."""
    start = shift.starts_at.astimezone(tz)
    end = shift.ends_at.astimezone(tz)
    return f"{day_label(shift.duty_date)}{ShiftSlot(shift.slot).label} {start:%H:%M}–{end:%H:%M}"


def day_label(day: date) -> str:
    """12月5日（周六）."""
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


async def _audit_lock_first(conn: BaseDBAsyncClient) -> None:
    """PostgreSQL: take the audit chain's lock before any row lock.

    Every duty transition writes an audit entry (which takes this lock) and a deadline firing
    takes it before the rows it touches; taking it first here too keeps one lock order, so a
    tap and a firing on the same swap wait for each other instead of deadlocking.
    """
    await lock_chain(conn)


async def lock_swap(conn: BaseDBAsyncClient, swap_id: int) -> DutySwap | None:
    """The swap, locked for this transaction (two accepts at once record one outcome)."""
    await _audit_lock_first(conn)
    return await DutySwap.filter(id=swap_id).using_db(conn).select_for_update().first()


async def lock_shift(conn: BaseDBAsyncClient, shift_id: int) -> DutyShift | None:
    """The shift, locked for this transaction (an override and a swap never cross)."""
    await _audit_lock_first(conn)
    return await DutyShift.filter(id=shift_id).using_db(conn).select_for_update().first()


async def team_by_key(conn: BaseDBAsyncClient, key: str) -> DutyTeam | None:
    return await DutyTeam.filter(key=key, active=True).using_db(conn).first()


def started(shift: DutyShift, now: datetime) -> bool:
    return shift.starts_at <= now


# --- handover ---

# Audit entries, deadlines and stored cards name a handover by this subject type.
HANDOVER_SUBJECT = "duty_handover"
# The prefix of handover card actions (handover.submit, handover.ack): never rename.
HANDOVER_ACTIONS = "handover"
# The step handler and kind of a handover's deadline (stored in deadline rows: never rename).
HANDOVER_STEP_HANDLER = "duty.handover"
HANDOVER_DEADLINE_KIND = "duty.handover"
# Stored card kinds: the outgoing officer's, the incoming officer's, the escalation's.
HANDOVER_OUT_CARD = "duty.handover.out"
HANDOVER_IN_CARD = "duty.handover.in"
HANDOVER_ESCALATION_CARD = "duty.handover.escalation"
# How far ahead handovers (and their countdowns) are planned: longer than any pre-shift
# reminder, short enough that a roster change rarely meets a planned one.
HANDOVER_PLAN_AHEAD = timedelta(days=2)
# 交接记录 shows this many days unless asked for more.
HANDOVER_LOG_DAYS = 3
# The longest note 记录 takes (a note is a line on a card, not a report).
NOTE_MAX = 500


async def lock_handover(conn: BaseDBAsyncClient, handover_id: int) -> DutyHandover | None:
    """The handover, locked for this transaction (a tap and a step at once record one)."""
    return await DutyHandover.filter(id=handover_id).using_db(conn).select_for_update().first()


# --- alerts, patrols, activity ---------------------------------------------------------------

# Audit entries, deadlines and stored cards name an alert and a patrol round by these types.
ALERT_SUBJECT = "duty_alert"
PATROL_SUBJECT = "duty_patrol"
# The step handler of an alert's acknowledgement countdown (stored in deadline rows: never
# rename) and the preset schedule it runs (lead → unit head → supervisors, re-notifying).
ALERT_STEP_HANDLER = "duty.alert"
ALERT_DEADLINE_KIND = "duty.alert"
ALERT_SCHEDULE = "alert"
# Card action prefixes of alerts and patrols (alert.ack, patrol.ok …): never rename.
ALERT_ACTIONS = "alert"
PATROL_ACTIONS = "patrol"
# Stored card kinds.
ALERT_CARD = "duty.alert"
PATROL_CARD = "duty.patrol"


def alert_number(alert: Alert) -> str:
    """GJ-0012: how people name an alert in the chat."""
    return f"GJ-{alert.id:04d}"


def alert_ack_rule(severity: str) -> str:
    """The preset rule for acknowledging an alert of a severity (``alert.ack`` for 一般)."""
    return "alert.ack" if severity == "ordinary" else f"alert.ack.{severity}"


async def lock_alert(conn: BaseDBAsyncClient, alert_id: int) -> Alert | None:
    """The alert, locked for this transaction (two acknowledgements record one)."""
    return await Alert.filter(id=alert_id).using_db(conn).select_for_update().first()


async def lock_patrol(conn: BaseDBAsyncClient, round_id: int) -> PatrolRound | None:
    """The patrol round, locked (two taps on one item record one result)."""
    return await PatrolRound.filter(id=round_id).using_db(conn).select_for_update().first()


# --- leaving ---
# Personnel leaving (离岗): a checklist for the unit a person left (see ``records/leaving.py``).

# Audit entries, deadlines and stored cards name a checklist by this subject type.
LEAVING_SUBJECT = "duty_leaving"
# The prefix of the checklist card's actions (leaving.confirm): stored cards carry it.
LEAVING_ACTIONS = "leaving"
# The step handler and kind of the checklist's countdown (stored in deadline rows).
LEAVING_STEP_HANDLER = "duty.leaving"
LEAVING_DEADLINE_KIND = "duty.leaving"
# The preset's rule (time to finish) and reminder schedule.
LEAVING_RULE = "leaving.handover"
LEAVING_SCHEDULE = "leaving"
LEAVING_CARD = "duty.leaving"
# Who the audit log names when the worker opens a checklist or a reminder fires.
LEAVING_ACTOR = "离岗交接"


async def lock_leaving(conn: BaseDBAsyncClient, checklist_id: int) -> LeavingChecklist | None:
    """The checklist, locked for this transaction (two taps on one item record one)."""
    return await LeavingChecklist.filter(id=checklist_id).using_db(conn).select_for_update().first()
