"""Account filings (备案) and the registry history they write."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class FilingKind(StrEnum):
    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    CLOSE = "close"  # 关停
    CANCEL = "cancel"  # 注销
    SUSPEND = "suspend"  # 临时下线
    RESUME = "resume"  # 恢复上线
    EMERGENCY = "emergency"  # 紧急关停: reported, not approved in advance

    @property
    def label(self) -> str:
        return FILING_KIND_LABELS[self]


FILING_KIND_LABELS = {
    FilingKind.OPEN: "开设",
    FilingKind.CHANGE: "变更",
    FilingKind.CLOSE: "关停",
    FilingKind.CANCEL: "注销",
    FilingKind.SUSPEND: "临时下线",
    FilingKind.RESUME: "恢复上线",
    FilingKind.EMERGENCY: "紧急关停",
}


class FilingStatus(StrEnum):
    PENDING = "pending"  # waiting for the approver of ``step``
    RETURNED = "returned"  # sent back to the clerk for correction
    APPROVED = "approved"
    REJECTED = "rejected"
    REPORTED = "reported"  # 紧急关停: recorded and reported to the supervisor
    WITHDRAWN = "withdrawn"  # the clerk took it back before the final decision
    SUPERSEDED = "superseded"  # closed by a 紧急关停 of the same account

    @property
    def label(self) -> str:
        return {
            FilingStatus.PENDING: "审批中",
            FilingStatus.RETURNED: "已退回",
            FilingStatus.APPROVED: "已同意",
            FilingStatus.REJECTED: "不同意",
            FilingStatus.REPORTED: "已报备",
            FilingStatus.WITHDRAWN: "已撤回",
            FilingStatus.SUPERSEDED: "已作废（紧急关停）",
        }[self]


class Filing(Model):
    """One filing: the answers of the form, where it is in the approval chain, the opinions."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(FilingKind, max_length=16)
    status = fields.CharEnumField(FilingStatus, max_length=16, default=FilingStatus.PENDING)
    unit: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Unit", related_name="filings", on_delete=fields.RESTRICT
    )
    clerk: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Person", related_name="filings", on_delete=fields.RESTRICT
    )
    account: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Account", related_name="filings", null=True, on_delete=fields.RESTRICT
    )
    answers: Any = fields.JSONField(default=dict)
    # Index into the approval chain of the step now waiting (0 = the unit's head).
    step = fields.IntField(default=0)
    # How many times it was submitted (a returned filing resubmitted starts round 2).
    round = fields.IntField(default=1)
    # [{"step": 0, "level": "主办单位意见", "person_id": 1, "name": "王主任",
    #   "decision": "approve|return|reject", "reason": "...", "at": iso}]
    opinions: Any = fields.JSONField(default=list)
    # Open approval cards (card ids) of the current step, closed when someone decides.
    card_ids: Any = fields.JSONField(default=list)
    effective_on = fields.DateField(null=True)
    document_id = fields.CharField(max_length=64, null=True)
    submitted_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    unit_id: int
    clerk_id: int
    account_id: int | None

    class Meta:
        table = "filing"
        # The dashboard lists filings in progress (by status), per unit.
        indexes = (("status", "submitted_at"), ("unit_id", "status"))


class AccountHistory(Model):
    """One change of an account in the registry, and the filing that made it."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Account", related_name="history", on_delete=fields.CASCADE
    )
    filing: fields.ForeignKeyNullableRelation[Filing] = fields.ForeignKeyField(
        "models.Filing", related_name="history", null=True, on_delete=fields.SET_NULL
    )
    status_before = fields.CharField(max_length=16, null=True)
    status_after = fields.CharField(max_length=16)
    # {"field": [before, after]}
    changes: Any = fields.JSONField(default=dict)
    note = fields.TextField(default="")
    at = fields.DatetimeField()

    account_id: int
    filing_id: int | None

    class Meta:
        table = "account_history"
