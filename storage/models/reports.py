"""Periodic reports (定期报表): the claim that a period's report was posted, once."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class ReportRun(Model):
    """The scheduled posting of one period's report, done once across replicas.

    The row is the claim: the cron inserts it (ignoring a conflict) with a random ``claim``,
    only the worker whose claim is in the row builds and posts the report, in the same
    transaction as the outbox rows, so two workers or a retried job post it exactly once.
    """

    id = fields.IntField(primary_key=True)
    period = fields.CharField(max_length=16, unique=True)  # "2026Q4", "2026-11", "2026W48", "2026"
    kind = fields.CharField(max_length=16)  # weekly / monthly / quarterly / yearly
    claim = fields.CharField(max_length=32)
    # False when the period had nothing to report (a fresh deployment posts no empty report).
    posted = fields.BooleanField(default=False)
    summary = fields.TextField(default="")
    files: Any = fields.JSONField(default=list)  # the workbook and the chart, as FileRef dicts
    created_at = fields.DatetimeField()

    class Meta:
        table = "report_run"
