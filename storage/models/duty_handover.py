"""Reading duty: the handover between two shifts (交接班) and the notes taken during a shift.

One ``DutyHandover`` per shift change of a team, planned ahead with its countdown (the
pre-shift reminder, the card to the outgoing officer, the acknowledgement deadline and the
escalation are steps of one deadline row). Until the incoming officer acknowledges, the
outgoing officer holds responsibility: ``acknowledged_at`` is when it passed, which is what
``交接记录`` and "who was responsible at 03:00" read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class HandoverStatus(StrEnum):
    SCHEDULED = "scheduled"  # planned for a shift change, nothing sent yet
    PREPARING = "preparing"  # the outgoing officer has the card and has not submitted it
    SUBMITTED = "submitted"  # handed over, waiting for the incoming officer's 确认接班
    ACKNOWLEDGED = "acknowledged"  # responsibility passed to the incoming officer
    CANCELLED = "cancelled"  # the shift change no longer exists (the roster changed)

    @property
    def label(self) -> str:
        return {
            HandoverStatus.SCHEDULED: "待交班",
            HandoverStatus.PREPARING: "待提交交接",
            HandoverStatus.SUBMITTED: "待确认接班",
            HandoverStatus.ACKNOWLEDGED: "已确认接班",
            HandoverStatus.CANCELLED: "已取消",
        }[self]

    @property
    def open(self) -> bool:
        return self in (
            HandoverStatus.SCHEDULED,
            HandoverStatus.PREPARING,
            HandoverStatus.SUBMITTED,
        )


class DutyHandover(Model):
    """The change from one shift to the next of one team.

    ``outgoing_id`` is who held responsibility when the handover card was prepared (the
    rostered officer of the ending shift, or whoever still held it because the previous
    handover was never acknowledged). ``reached`` are the people the escalation reached:
    they may acknowledge on the incoming officer's behalf.
    """

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField()
    shift_id = fields.IntField(db_index=True)  # the incoming shift
    change_at = fields.DatetimeField()
    status = fields.CharEnumField(HandoverStatus, max_length=16, default=HandoverStatus.SCHEDULED)
    outgoing_id = fields.IntField(null=True)
    incoming_id = fields.IntField(null=True)
    note = fields.TextField(default="")
    # What was open when the outgoing officer submitted (the pre-fill as handed over).
    items: Any = fields.JSONField(default=list)
    reached: Any = fields.JSONField(default=list)  # person ids the escalation reached
    escalations = fields.IntField(default=0)  # how many escalation steps fired
    outgoing_card_id = fields.CharField(max_length=64, null=True)
    incoming_card_id = fields.CharField(max_length=64, null=True)
    escalation_card_ids: Any = fields.JSONField(default=list)
    deadline_id = fields.BigIntField(null=True)
    prepared_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "duty_handover"
        unique_together = (("team_id", "change_at"),)


class DutyNote(Model):
    """A note an officer took during a shift (记录 …), handed over with the next handover."""

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField()
    person_id = fields.IntField()
    text = fields.TextField()
    created_at = fields.DatetimeField()
    handover_id = fields.IntField(null=True)  # set when the note was handed over

    class Meta:
        table = "duty_note"
        indexes = (("team_id", "created_at"),)
