"""Reading duty (读网值班): duty teams, their rotations, the shifts, overrides and swaps.

The roster is materialised: every shift is a ``DutyShift`` row, planned ahead from the team's
rotation (the planner in ``bot.flows.duty``), so "who is on duty at 03:00 on 10月3日" is one
indexed query and a swap or an override changes one row under a lock.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class ShiftMode(StrEnum):
    """How a team's day is cut into shifts."""

    FULL = "full"  # one 24-hour shift from the change time to the next day's
    DAY_NIGHT = "day_night"  # a day shift and a night shift

    @property
    def label(self) -> str:
        return {ShiftMode.FULL: "24小时班", ShiftMode.DAY_NIGHT: "白班/夜班"}[self]


class ShiftSlot(StrEnum):
    """Which shift of a duty day (the duty day starts at the team's first change time)."""

    FULL = "full"
    DAY = "day"
    NIGHT = "night"

    @property
    def label(self) -> str:
        return {ShiftSlot.FULL: "全天班", ShiftSlot.DAY: "白班", ShiftSlot.NIGHT: "夜班"}[self]


class ShiftSource(StrEnum):
    """Why a shift's person is who they are (an override or a swap survives re-planning)."""

    ROTATION = "rotation"
    OVERRIDE = "override"
    SWAP = "swap"

    @property
    def label(self) -> str:
        return {
            ShiftSource.ROTATION: "轮值",
            ShiftSource.OVERRIDE: "值班长调整",
            ShiftSource.SWAP: "换班",
        }[self]


class SwapStatus(StrEnum):
    OPEN = "open"  # asked, waiting for a named colleague to accept
    ACCEPTED = "accepted"  # a colleague accepted, waiting for the duty lead
    DONE = "done"  # the roster changed
    DECLINED = "declined"  # every named colleague declined
    REFUSED = "refused"  # the duty lead refused
    CANCELLED = "cancelled"  # the requester withdrew it
    EXPIRED = "expired"  # the shift started before the swap was settled

    @property
    def label(self) -> str:
        return {
            SwapStatus.OPEN: "待同事接受",
            SwapStatus.ACCEPTED: "待值班长审批",
            SwapStatus.DONE: "已换班",
            SwapStatus.DECLINED: "同事未接受",
            SwapStatus.REFUSED: "值班长未同意",
            SwapStatus.CANCELLED: "已撤回",
            SwapStatus.EXPIRED: "已过期",
        }[self]

    @property
    def settled(self) -> bool:
        return self not in (SwapStatus.OPEN, SwapStatus.ACCEPTED)


class DutyTeam(Model):
    """A duty team: a unit's own duty or a central duty office watching several units."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    unit_id = fields.IntField()  # the owning unit (its head is the next level after the lead)
    lead_id = fields.IntField(null=True)  # 值班长 (a person)
    chat_id = fields.IntField(null=True)  # the duty group
    mode = fields.CharEnumField(ShiftMode, max_length=16, default=ShiftMode.DAY_NIGHT)
    # Change times as "HH:MM" in the deployment timezone. FULL uses day_start only.
    day_start = fields.CharField(max_length=5, default="08:30")
    night_start = fields.CharField(max_length=5, default="20:30")
    swap_approval = fields.BooleanField(default=True)  # a swap needs the duty lead's approval
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "duty_team"


class DutyScope(Model):
    """A unit whose accounts the team watches (patrols, activity, alerts)."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[DutyTeam] = fields.ForeignKeyField(
        "models.DutyTeam", related_name="scope_rows", on_delete=fields.CASCADE
    )
    unit_id = fields.IntField(db_index=True)

    team_id: int

    class Meta:
        table = "duty_scope"
        unique_together = (("team", "unit_id"),)


class DutyRotation(Model):
    """The order people take shifts in, from a date on.

    Rows are never edited: a new rotation gets a new row with a later ``effective_from``, so
    the shifts before that date keep the people they had (history kept). ``holiday`` rows are
    the optional holiday rotation that covers shifts on statutory holidays and weekends.
    """

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[DutyTeam] = fields.ForeignKeyField(
        "models.DutyTeam", related_name="rotations", on_delete=fields.CASCADE
    )
    holiday = fields.BooleanField(default=False)
    effective_from = fields.DateField()
    people: Any = fields.JSONField(default=list)  # person ids in order
    created_at = fields.DatetimeField()
    created_by = fields.CharField(max_length=100, default="")  # "org load" or a person's name

    team_id: int

    class Meta:
        table = "duty_rotation"
        unique_together = (("team", "holiday", "effective_from"),)


class DutyShift(Model):
    """One shift of one team: who holds it, from when to when."""

    id = fields.IntField(primary_key=True)
    team: fields.ForeignKeyRelation[DutyTeam] = fields.ForeignKeyField(
        "models.DutyTeam", related_name="shifts", on_delete=fields.CASCADE
    )
    duty_date = fields.DateField()  # the local date the shift's duty day starts on
    slot = fields.CharEnumField(ShiftSlot, max_length=8)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    person_id = fields.IntField(db_index=True)
    # The person the rotation gave the shift to (differs after an override or a swap).
    rostered_id = fields.IntField()
    holiday = fields.BooleanField(default=False)  # a non-working day (statutory holiday/weekend)
    holiday_name = fields.CharField(max_length=32, default="")  # 国庆节; 调休上班 days are ""
    source = fields.CharEnumField(ShiftSource, max_length=16, default=ShiftSource.ROTATION)
    rotation_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    team_id: int

    class Meta:
        table = "duty_shift"
        unique_together = (("team", "starts_at"),)


class DutyOverride(Model):
    """The duty lead gave a shift to someone else ("12月5日白班由老刘值")."""

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField(db_index=True)
    shift_id = fields.IntField(db_index=True)
    previous_id = fields.IntField()  # who held the shift before
    person_id = fields.IntField()  # who holds it now
    by_id = fields.IntField()  # the duty lead
    text = fields.TextField(default="")  # what the lead wrote
    created_at = fields.DatetimeField()

    class Meta:
        table = "duty_override"


class DutySwap(Model):
    """A request to hand a shift to a named colleague, and where it stands.

    ``candidates`` are the colleagues asked (the first to accept takes the shift), ``taker_id``
    the one who accepted. The row is locked by every tap, so two accepts or two approvals
    record one outcome.
    """

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField(db_index=True)
    shift_id = fields.IntField(db_index=True)
    requester_id = fields.IntField()
    candidates: Any = fields.JSONField(default=list)  # person ids
    declined: Any = fields.JSONField(default=list)  # person ids who declined
    taker_id = fields.IntField(null=True)
    status = fields.CharEnumField(SwapStatus, max_length=16, default=SwapStatus.OPEN)
    needs_approval = fields.BooleanField(default=True)  # the team's setting when asked
    reason = fields.TextField(default="")
    decided_by_id = fields.IntField(null=True)  # the lead who approved or refused
    note = fields.TextField(default="")  # the lead's reason when refusing
    # Stored cards: the candidates' request card and the lead's approval card.
    request_card_id = fields.CharField(max_length=64, null=True)
    approval_card_id = fields.CharField(max_length=64, null=True)
    deadline_id = fields.BigIntField(null=True)  # expiry at the shift's start
    created_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    settled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "duty_swap"
