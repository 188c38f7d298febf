"""Duty alerts (告警), patrol rounds (读网巡查) and the activity monitor's flags (更新监测).

Teams and shifts belong to the roster (``storage.models.duty``); they are referred to here by
id columns, not foreign keys, so that this area's migration does not depend on the order in
which the roster's tables are re-chained (a team is never deleted, only deactivated).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AlertSeverity(StrEnum):
    ORDINARY = "ordinary"  # 一般
    SERIOUS = "serious"  # 严重
    OPINION = "opinion"  # 舆情: also to the supervisors at once

    @property
    def label(self) -> str:
        return ALERT_SEVERITY_LABELS[self]


ALERT_SEVERITY_LABELS = {
    AlertSeverity.ORDINARY: "一般",
    AlertSeverity.SERIOUS: "严重",
    AlertSeverity.OPINION: "舆情",
}


class AlertStatus(StrEnum):
    OPEN = "open"  # 待确认: the countdown to acknowledge runs, escalating
    ACKNOWLEDGED = "acknowledged"  # 已确认: someone owns it
    RESOLVED = "resolved"  # 已处理, with a note
    RECTIFYING = "rectifying"  # 已转整改: a rectification notice carries it on

    @property
    def label(self) -> str:
        return {
            AlertStatus.OPEN: "待确认",
            AlertStatus.ACKNOWLEDGED: "已确认",
            AlertStatus.RESOLVED: "已处理",
            AlertStatus.RECTIFYING: "已转整改",
        }[self]


class AlertSource(StrEnum):
    REPORT = "report"  # a person's 报告
    API = "api"  # POST /api/alerts
    PATROL = "patrol"  # an abnormal patrol item
    ACTIVITY = "activity"  # the activity monitor

    @property
    def label(self) -> str:
        return {
            AlertSource.REPORT: "人工报告",
            AlertSource.API: "监测系统",
            AlertSource.PATROL: "读网巡查",
            AlertSource.ACTIVITY: "更新监测",
        }[self]


class Alert(Model):
    """One alert of a duty team, from raising to resolution.

    ``dedupe_key`` makes every source idempotent: the API's external id, the patrol check, the
    account and period of the activity monitor. A second raise with the same key finds the
    first alert instead of creating another.
    """

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField(db_index=True)
    severity = fields.CharEnumField(AlertSeverity, max_length=16)
    status = fields.CharEnumField(AlertStatus, max_length=16, default=AlertStatus.OPEN)
    source = fields.CharEnumField(AlertSource, max_length=16)
    # The monitoring system's name for API alerts (the token's source), else "".
    source_name = fields.CharField(max_length=64, default="")
    external_id = fields.CharField(max_length=200, null=True)
    dedupe_key = fields.CharField(max_length=300, null=True, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    link = fields.CharField(max_length=1000, default="")
    # A screenshot a person sent with 报告 (a stored file id).
    file_id = fields.CharField(max_length=64, null=True)
    account: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Account", related_name="duty_alerts", null=True, on_delete=fields.RESTRICT
    )
    reported_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "models.Person", related_name="reported_alerts", null=True, on_delete=fields.RESTRICT
    )
    raised_at = fields.DatetimeField(db_index=True)
    # Who held responsibility when it was raised (the alert's first addressee).
    responsible_id = fields.IntField(null=True)
    # 0: the person on duty; 1 duty lead; 2 unit head; 3 supervisors (the escalation reached).
    level = fields.SmallIntField(default=0)
    # Everyone the alert reached so far: they may acknowledge it.
    reached_ids: Any = fields.JSONField(default=list)
    acknowledged_by_id = fields.IntField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    resolved_by_id = fields.IntField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    resolution_note = fields.TextField(default="")
    rectification_id = fields.IntField(null=True)
    deadline_id = fields.IntField(null=True)
    card_id = fields.CharField(max_length=64, null=True)
    # What the source adds (the patrol item, the activity figures …).
    data: Any = fields.JSONField(default=dict)

    account_id: int | None
    reported_by_id: int | None

    class Meta:
        table = "duty_alert"
        indexes = (("team_id", "status"),)


class PatrolResult(StrEnum):
    OK = "ok"  # 正常
    ABNORMAL = "abnormal"  # 异常

    @property
    def label(self) -> str:
        return "正常" if self is PatrolResult.OK else "异常"


class PatrolRound(Model):
    """A shift's patrol: the preset's checklist for every account in the team's scope."""

    id = fields.IntField(primary_key=True)
    team_id = fields.IntField(db_index=True)
    shift_id = fields.IntField(unique=True)
    person_id = fields.IntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    # The checklist as the preset had it when the round opened (a later preset change does
    # not rewrite a round in progress).
    checklist: Any = fields.JSONField(default=list)
    account_ids: Any = fields.JSONField(default=list)
    card_id = fields.CharField(max_length=64, null=True)
    # Set when every item is recorded, or when the shift ended with items left (those go
    # into the handover).
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "duty_patrol_round"


class PatrolCheck(Model):
    """One item of the checklist for one account, as the officer recorded it."""

    id = fields.IntField(primary_key=True)
    round: fields.ForeignKeyRelation[PatrolRound] = fields.ForeignKeyField(
        "models.PatrolRound", related_name="checks", on_delete=fields.CASCADE
    )
    account_id = fields.IntField()
    item = fields.SmallIntField()  # index into the round's checklist
    result = fields.CharEnumField(PatrolResult, max_length=16)
    note = fields.TextField(default="")
    by_id = fields.IntField()
    at = fields.DatetimeField()
    alert_id = fields.IntField(null=True)

    round_id: int

    class Meta:
        table = "duty_patrol_check"
        unique_together = (("round", "account_id", "item"),)


class ActivityFlag(Model):
    """The activity monitor spoke about an account for a period: exactly once per key.

    ``kind`` is ``warn_silence`` / ``silence`` (days without an update, keyed by the last
    update) or ``warn_weekly`` / ``weekly`` (fewer updates than the preset's weekly minimum,
    keyed by the week).
    """

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField()
    kind = fields.CharField(max_length=32)
    period = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    alert_id = fields.IntField(null=True)

    class Meta:
        table = "duty_activity_flag"
        unique_together = (("account_id", "kind", "period"),)
