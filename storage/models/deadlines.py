"""Deadlines and their steps: the only truth about countdowns (Redis merely speeds them up)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class DeadlineStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            DeadlineStatus.OPEN: "计时中",
            DeadlineStatus.PAUSED: "已暂停",
            DeadlineStatus.COMPLETED: "已完成",
            DeadlineStatus.CANCELLED: "已取消",
        }[self]


class StepStatus(StrEnum):
    PENDING = "pending"  # waits for its time
    HELD = "held"  # the deadline is paused
    FIRED = "fired"
    SKIPPED = "skipped"  # its time had passed when it was planned
    CANCELLED = "cancelled"  # the deadline closed, or a new plan replaced it
    FAILED = "failed"  # the handler kept failing, given up


class Deadline(Model):
    """A countdown for one subject (a rectification, a review step, a filing).

    ``token`` is the fencing token: every change (pause, resume, reschedule, close) bumps
    it, and a step only fires while its own token matches, so stale jobs are no-ops.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=50)
    subject_type = fields.CharField(max_length=50)
    subject_id = fields.CharField(max_length=100)
    handler = fields.CharField(max_length=100)
    status = fields.CharEnumField(DeadlineStatus, max_length=16, default=DeadlineStatus.OPEN)
    token = fields.IntField(default=1)
    generation = fields.IntField(default=1)
    policy_id = fields.CharField(max_length=50, default="")
    rule_id = fields.CharField(max_length=100, default="")
    # Snapshots taken at start: later policy edits do not move a running countdown.
    rule: Any = fields.JSONField(null=True)
    working_hours: Any = fields.JSONField(null=True)
    schedule: Any = fields.JSONField(default=list)
    start_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    # Wall-clock time spent paused, added to a rule's due time when it is recomputed.
    paused_seconds = fields.FloatField(default=0)
    paused_at = fields.DatetimeField(null=True)
    provisional = fields.BooleanField(default=False)
    provisional_years: Any = fields.JSONField(default=list)
    explanation = fields.TextField(default="")
    basis = fields.CharField(max_length=500, default="")
    data: Any = fields.JSONField(default=dict)
    close_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "deadline"
        indexes = (("subject_type", "subject_id"), ("status", "due_at"))


class DeadlineStep(Model):
    """One planned firing of a deadline (a reminder, the due time, an escalation)."""

    id = fields.BigIntField(primary_key=True)
    deadline: fields.ForeignKeyRelation[Deadline] = fields.ForeignKeyField(
        "models.Deadline", related_name="steps", on_delete=fields.CASCADE
    )
    generation = fields.IntField()
    name = fields.CharField(max_length=50)
    repeat = fields.IntField(default=0)
    token = fields.IntField()
    fire_at = fields.DatetimeField()
    status = fields.CharEnumField(StepStatus, max_length=16, default=StepStatus.PENDING)
    attempts = fields.IntField(default=0)
    retry_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    fired_at = fields.DatetimeField(null=True)

    deadline_id: int

    class Meta:
        table = "deadline_step"
        # The same step of the same plan can exist once, so two workers cannot both add it.
        unique_together = (("deadline", "generation", "name", "repeat"),)
        indexes = (("status", "fire_at"),)
