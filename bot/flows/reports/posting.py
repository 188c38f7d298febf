"""Posting reports into the supervision groups on the preset's cadence, exactly once a period.

The worker's ``post_reports`` cron calls ``scheduled_posts`` every ten minutes. For each cadence
of ``policy.report_cadences`` it takes the period that last ended; a quarter (or a year) waits
for its quarterly rectification review (``RectQuarterRun``), so the report carries the
review's flags, unless the review has not come a day after the period ended.

A ``ReportRun`` row per period is the claim, as ``RectQuarterRun`` is for the quarterly review:
whoever inserts it (conflicts ignored) with its own random ``claim`` stores the files and
writes the outbox rows in the same transaction; everyone else finds the row and does nothing.
Two workers, a retried job, a worker that was down at the turn of the period and catches up:
one post. Redis is not involved.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core import files
from bot.core.emit import Emitter
from bot.core.outgoing import FileRef, Message
from bot.core.services import Services
from bot.flows.reports.chart import chart_png
from bot.flows.reports.figures import Report, build
from bot.flows.reports.period import KIND_LABELS, Period, ReportError, last_ended
from bot.flows.reports.xlsx import filename, to_xlsx
from storage.enums import ChatPurpose
from storage.models.org import Chat
from storage.models.rectification import RectQuarterRun
from storage.models.reports import ReportRun

log = logging.getLogger(__name__)

# How long a quarterly or yearly report waits for the quarter's review before posting anyway.
REVIEW_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Rendered:
    """A report with its workbook and (when a CJK font exists) its chart."""

    report: Report
    xlsx: bytes
    png: bytes | None


async def render(services: Services, period: Period, unit_id: int | None = None) -> Rendered:
    """Build the report and draw its files (the drawing off the event loop)."""
    report = await build(services, period, unit_id)
    xlsx = await asyncio.to_thread(to_xlsx, report)
    font = str(services.settings.cjk_font or "") or None
    try:
        png: bytes | None = await asyncio.to_thread(chart_png, report, font)
    except ReportError as exc:
        log.warning("report %s without its chart: %s", period.label, exc)
        png = None
    return Rendered(report, xlsx, png)


def summary(report: Report) -> str:
    """The text posted with the files: the district's totals and the flags."""
    t = report.total
    lines = [f"【{KIND_LABELS[report.period.kind]}】{report.title}"]
    lines.append(
        f"账号 {t.accounts} 个，更新 {t.updates} 次（每周至少 {report.min_per_week} 次，"
        f"应 {t.required} 次），未达每周要求 {t.accounts_short} 个，超过停更期限 "
        f"{t.accounts_silent} 个。"
    )
    lines.append(f"整改通知：{t.rect.text()}。")
    if t.review:
        parts = [
            f"{name} {spread.median:.1f} 小时"
            for name, spread in t.review.items()
            if spread.median is not None
        ]
        lines.append("审核用时中位数：" + "，".join(parts) + "。")
    if t.alerts or t.handovers:
        alert = f"{t.alert_ack.median:.0f} 分钟" if t.alert_ack.median is not None else "—"
        handover = f"{t.handover_ack.median:.0f} 分钟" if t.handover_ack.median is not None else "—"
        lines.append(
            f"告警 {t.alerts} 条（确认中位数 {alert}，未确认 {t.alerts_unacknowledged}）；"
            f"交接班 {t.handovers} 次（确认中位数 {handover}，未确认 "
            f"{t.handovers_unacknowledged}）。"
        )
    if report.flags:
        lines.append("标记：")
        lines.extend(
            f"· {f.unit_name}{'（' + f.account_label + '）' if f.account_label else ''}"
            f" {f.label}（{f.basis}）"
            for f in report.flags
        )
    lines.append("明细见附件报表（各单位、各账号）。")
    return "\n".join(lines)


async def store(
    services: Services, conn: BaseDBAsyncClient, rendered: Rendered, now: datetime
) -> tuple[FileRef, ...]:
    """Save the workbook (a file) and the chart (an image in the chat) in the transaction."""
    report = rendered.report
    refs = [
        await files.save(
            services,
            conn,
            name=filename(report, ".xlsx"),
            data=rendered.xlsx,
            now=now,
            subject_type="report",
            subject_id=report.period.label,
        )
    ]
    if rendered.png is not None:
        chart = await files.save(
            services,
            conn,
            name=filename(report, ".png"),
            data=rendered.png,
            now=now,
            subject_type="report",
            subject_id=report.period.label,
        )
        refs.append(chart.model_copy(update={"inline": True}))
    return tuple(refs)


async def _claim(conn: BaseDBAsyncClient, period: Period, now: datetime) -> ReportRun | None:
    claim = secrets.token_hex(16)
    await ReportRun.bulk_create(
        [ReportRun(period=period.label, kind=period.kind, claim=claim, created_at=now)],
        ignore_conflicts=True,
        using_db=conn,
    )
    run = await ReportRun.filter(period=period.label).using_db(conn).get()
    return run if run.claim == claim else None


async def _ready(services: Services, period: Period, now: datetime) -> bool:
    """Monthly and weekly reports go at once; a quarter or a year waits for the quarter's
    rectification review (its flags belong in the report), a day at most."""
    if period.kind not in ("quarterly", "yearly"):
        return True
    last_quarter = period.quarters()[-1]
    if await RectQuarterRun.exists(period=last_quarter.label):
        return True
    return now >= period.bounds(services.tz)[1] + REVIEW_GRACE


async def post_once(services: Services, period: Period) -> bool:
    """Post ``period``'s district report unless someone did; True when this call posted it."""
    now = services.clock.now()
    rendered = await render(services, period)
    emit: Emitter | None = None
    async with in_transaction() as conn:
        run = await _claim(conn, period, now)
        if run is None:
            return False
        if rendered.report.empty:
            # Nothing happened (a fresh deployment): recorded, so it is not tried again.
            run.summary = "本期没有可报告的数据，未推送。"
            await run.save(using_db=conn, update_fields=["summary"])
            return False
        refs = await store(services, conn, rendered, now)
        text = summary(rendered.report)
        emit = Emitter(services, conn, key_prefix=f"report:{period.label}", now=now)
        chats = await Chat.filter(purpose=ChatPurpose.SUPERVISION, active=True).using_db(conn)
        for chat in chats:
            await emit.to_chat(chat.id, Message(text=text, files=refs))
        run.posted = bool(chats)
        run.summary = text
        run.files = [ref.model_dump() for ref in refs]
        await run.save(using_db=conn, update_fields=["posted", "summary", "files"])
    if emit is not None and emit.outbox_ids and services.outbox_kick is not None:
        await services.outbox_kick(emit.outbox_ids)
    return True


async def scheduled_posts(services: Services) -> list[str]:
    """The cron's work: post the last ended period of each cadence the preset asks for.

    Cheap when there is nothing to do (one indexed lookup per cadence), so it runs often and a
    worker that was down at the turn of the period catches up when it comes back.
    """
    now = services.clock.now()
    today = now.astimezone(services.tz).date()
    posted: list[str] = []
    for kind in services.timekeeping.policy.report_cadences.items:
        period = last_ended(kind, today)
        if await ReportRun.exists(period=period.label):
            continue
        if not await _ready(services, period, now):
            continue
        if await post_once(services, period):
            log.info("report %s posted", period.label)
            posted.append(period.label)
    return posted
