"""Personnel leaving (离岗): the checklist a departure opens for the former unit, and its items."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class LeavingReason(StrEnum):
    REMOVED = "removed"  # no longer in the organisation file (离职、辞职): deactivated
    MOVED = "moved"  # moved to another unit (调任)

    @property
    def label(self) -> str:
        return "离岗" if self is LeavingReason.REMOVED else "调岗"


class LeavingStatus(StrEnum):
    PENDING = "pending"  # recorded by ``org load``, the worker has not opened it yet
    OPEN = "open"  # items listed, card sent, countdown running
    CLOSED = "closed"  # every item confirmed
    WITHDRAWN = "withdrawn"  # the person was put back into the organisation file

    @property
    def label(self) -> str:
        return {
            LeavingStatus.PENDING: "待开出",
            LeavingStatus.OPEN: "办理中",
            LeavingStatus.CLOSED: "已完成",
            LeavingStatus.WITHDRAWN: "已撤销",
        }[self]


class LeavingItemKind(StrEnum):
    FILING = "filing"  # a filing the person handled (经办) that is still open
    POST = "post"  # a post the person wrote that is not finished
    REVIEW_STEP = "review_step"  # a review level waiting for the person's decision
    RECTIFICATION = "rectification"  # a notice the person issued, or on an account they ran
    SHIFTS = "shifts"  # their future duty shifts, to be reassigned
    PLEDGE = "pledge"  # 保密承诺
    PASSWORD = "password"  # 口令更换 of one account they operated

    @property
    def group(self) -> str:
        """The regulation's three duties: 工作移交, 保密承诺, 口令更换."""
        if self is LeavingItemKind.PLEDGE:
            return "保密承诺"
        if self is LeavingItemKind.PASSWORD:
            return "口令更换"
        return "工作移交"


class LeavingChecklist(Model):
    """One person leaving one unit: written by ``org load``, opened and tracked by the duty flow.

    The row is written in the transaction that deactivates or moves the person, so a departure
    is never lost between the load and the worker that opens the checklist.
    """

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Person", related_name="leaving_checklists", on_delete=fields.RESTRICT
    )
    # The unit the person left: its head completes the checklist.
    unit: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Unit", related_name="leaving_checklists", on_delete=fields.RESTRICT
    )
    moved_to_unit_id = fields.IntField(null=True)
    reason = fields.CharEnumField(LeavingReason, max_length=16)
    status = fields.CharEnumField(LeavingStatus, max_length=16, default=LeavingStatus.PENDING)
    recorded_at = fields.DatetimeField()
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True)
    deadline_id = fields.BigIntField(null=True)
    card_id = fields.CharField(max_length=64, null=True)
    # ``org load`` put the person back into this unit: the worker withdraws the checklist.
    returned_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="", db_default="")  # why it closed other than by confirmation

    person_id: int
    unit_id: int

    class Meta:
        table = "duty_leaving"


class LeavingItem(Model):
    """One thing to hand over, sign or change, confirmed by a tap of the unit head."""

    id = fields.IntField(primary_key=True)
    checklist: fields.ForeignKeyRelation[LeavingChecklist] = fields.ForeignKeyField(
        "models.LeavingChecklist", related_name="items", on_delete=fields.CASCADE
    )
    position = fields.IntField()  # 1, 2, … as the card numbers them
    kind = fields.CharEnumField(LeavingItemKind, max_length=16)
    subject_type = fields.CharField(max_length=32, default="")
    subject_id = fields.IntField(null=True)
    # The text people read, fixed when the checklist opened (the subject may change later).
    label = fields.TextField()
    confirmed_at = fields.DatetimeField(null=True)
    confirmed_by_id = fields.IntField(null=True)

    checklist_id: int

    class Meta:
        table = "duty_leaving_item"
        unique_together = (("checklist", "position"),)
