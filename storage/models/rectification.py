"""Rectification notices (整改通知), the tokens of monitoring systems, and consequence flags."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class RectCategory(StrEnum):
    CONTENT_ERROR = "content_error"
    NOT_UPDATED = "not_updated"
    BROKEN_LINK = "broken_link"
    NETIZEN_REPORT = "netizen_report"
    MESSAGE_UNANSWERED = "message_unanswered"
    OTHER = "other"

    @property
    def label(self) -> str:
        return RECT_CATEGORY_LABELS[self]


RECT_CATEGORY_LABELS = {
    RectCategory.CONTENT_ERROR: "内容差错",
    RectCategory.NOT_UPDATED: "未及时更新",
    RectCategory.BROKEN_LINK: "链接失效",
    RectCategory.NETIZEN_REPORT: "网民纠错",
    RectCategory.MESSAGE_UNANSWERED: "留言未回复",
    RectCategory.OTHER: "其他",
}


class Severity(StrEnum):
    ORDINARY = "ordinary"
    SERIOUS = "serious"

    @property
    def label(self) -> str:
        return "严重" if self is Severity.SERIOUS else "一般"


class RectStatus(StrEnum):
    ISSUED = "issued"  # delivered, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"  # 已接收, being fixed
    SUBMITTED = "submitted"  # 已整改, waiting for the supervisor
    VERIFIED = "verified"  # 通过: done

    @property
    def label(self) -> str:
        return {
            RectStatus.ISSUED: "待接收",
            RectStatus.ACKNOWLEDGED: "整改中",
            RectStatus.SUBMITTED: "待核验",
            RectStatus.VERIFIED: "已通过",
        }[self]


class Rectification(Model):
    """One notice: who must fix what by when, and where it stands."""

    id = fields.IntField(primary_key=True)
    # "chat" (a supervisor in the chat), "api:<source>" (a monitoring system), "alert:…" later.
    source = fields.CharField(max_length=100, default="chat")
    external_id = fields.CharField(max_length=200, null=True)
    issued_by_id = fields.IntField(null=True)  # a person; None for a monitoring system
    supervisor_unit_id = fields.IntField()
    owner_unit_id = fields.IntField()
    account_id = fields.IntField(null=True)
    account_label = fields.CharField(max_length=300, default="")
    problem = fields.TextField()
    evidence = fields.TextField(default="")
    category = fields.CharEnumField(RectCategory, max_length=32)
    severity = fields.CharEnumField(Severity, max_length=16)
    rule_id = fields.CharField(max_length=100)
    status = fields.CharEnumField(RectStatus, max_length=16, default=RectStatus.ISSUED)
    overdue = fields.BooleanField(default=False)  # past due right now (until submitted in time)
    ever_overdue = fields.BooleanField(default=False)
    reopened = fields.IntField(default=0)
    extension_pending = fields.BooleanField(default=False)
    extension_reason = fields.TextField(default="")
    deadline_id = fields.BigIntField(null=True)
    card_id = fields.CharField(max_length=64, null=True)  # the owner unit's card
    completion_note = fields.TextField(default="")
    completion_evidence = fields.TextField(default="")
    issued_at = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    verified_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField()
    # The notice number ZG<year>-<seq>: a sequence per year of issue (deployment timezone).
    # None for notices issued before numbering by year (they keep ZG<id>).
    year = fields.IntField(null=True)
    seq = fields.IntField(null=True)

    class Meta:
        table = "rectification"
        unique_together = (("source", "external_id"), ("year", "seq"))
        # The dashboard lists open notices by status and due time, per unit; the periodic
        # reports and the quarterly review read one period's notices.
        indexes = (("status", "due_at"), ("owner_unit_id", "status"), ("issued_at",))


class SourceToken(Model):
    """A monitoring system's bearer token for POST /api/rectifications, stored hashed."""

    id = fields.IntField(primary_key=True)
    source = fields.CharField(max_length=64, unique=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    revoked = fields.BooleanField(default=False)

    class Meta:
        table = "rectification_source_token"


class RectFlag(Model):
    """A consequence found by the quarterly/yearly checks (建议关停, 通报, 末位, 整改函)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # close_suggested / circular / bottom_three / letter
    period = fields.CharField(max_length=16)  # "2026Q4" or "2026"
    unit_id = fields.IntField()
    account_id = fields.IntField(null=True)
    reason = fields.TextField(default="")
    file_id = fields.CharField(max_length=64, null=True)  # the generated letter
    created_at = fields.DatetimeField()

    class Meta:
        table = "rectification_flag"
        unique_together = (("kind", "period", "unit_id", "account_id"),)


class RectQuarterRun(Model):
    """The quarterly review of one quarter, done once.

    The row is the claim: the cron and ``整改季度`` both insert it (ignoring a conflict) and only
    the one whose ``claim`` is in the row runs the review, so two workers, a retried job or a
    supervisor typing the command cannot review a quarter twice.
    """

    id = fields.IntField(primary_key=True)
    period = fields.CharField(max_length=16, unique=True)  # "2026Q3"
    claim = fields.CharField(max_length=32)
    trigger = fields.CharField(max_length=16)  # "cron" or "chat"
    person_id = fields.IntField(null=True)  # who sent 整改季度
    summary = fields.TextField(default="")
    files: Any = fields.JSONField(default=list)  # the letters, as FileRef dicts
    created_at = fields.DatetimeField()

    class Meta:
        table = "rectification_quarter_run"


class RectNumberCounter(Model):
    """The last notice number given out in a year (its row lock serializes numbering)."""

    year = fields.IntField(primary_key=True, generated=False)
    last_seq = fields.IntField(default=0)

    class Meta:
        table = "rectification_number_counter"
