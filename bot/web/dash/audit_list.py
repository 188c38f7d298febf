"""The audit-log search, and the chain's verdict (``dutybot audit verify``).

Verifying recomputes every hash of the log, which takes seconds on a large one: it runs when
a supervisor presses 核验 (a POST with the CSRF token), and the verdict is kept in Redis with
when it was reached, so every page load shows the last verdict without recomputing it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.constants import KEY_PREFIX
from bot.web.dash.listing import Cell, Ctx, Filter, Listing, Paging, too_many
from storage.audit import verify_chain
from storage.models.machinery import AuditEntry

VERDICT_KEY = f"{KEY_PREFIX}dash:audit_verdict"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


async def audit_log(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    action = query.get("action", "").strip()[:100]
    subject = query.get("subject", "").strip()[:150]
    actor = query.get("actor", "").strip()[:100]
    start, end = _date(query.get("from", "")), _date(query.get("to", ""))
    rows_q = AuditEntry.all()
    if action:
        # A verb (review.approved) or a flow (review.): an indexed prefix match.
        rows_q = rows_q.filter(action__startswith=action)
    if subject:
        kind, _, ident = subject.partition(":")
        rows_q = rows_q.filter(subject_type=kind.strip())
        if ident.strip():
            rows_q = rows_q.filter(subject_id=ident.strip())
    if actor:
        rows_q = rows_q.filter(actor_label__contains=actor)
    tz = ctx.services.tz
    if start is not None:
        rows_q = rows_q.filter(at__gte=datetime.combine(start, time(0), tzinfo=tz))
    if end is not None:
        rows_q = rows_q.filter(at__lt=datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz))
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    entries = await rows_q.order_by("-seq").offset(paging.offset).limit(paging.limit)
    rows = [
        (
            Cell(str(e.seq)),
            Cell(ctx.when(e.at)),
            Cell(e.actor_label),
            Cell(e.action),
            Cell(f"{e.subject_type}:{e.subject_id}"),
            Cell(_detail(e.detail)),
        )
        for e in entries
    ]
    return Listing(
        key="audit",
        title="审计日志",
        columns=("序号", "时间", "操作人", "操作", "对象", "详情"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[
            Filter("action", "操作（前缀，如 review.）", action),
            Filter("subject", "对象（类型:编号，如 rectification:3）", subject),
            Filter("actor", "操作人", actor),
            Filter("from", "起始日期", start.isoformat() if start else "", kind="date"),
            Filter("to", "截止日期", end.isoformat() if end else "", kind="date"),
        ],
    )


def _detail(detail: Any) -> str:
    if not detail:
        return ""
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:199] + "…"


async def last_verdict(ctx: Ctx) -> dict[str, Any] | None:
    raw = await ctx.services.redis.get(VERDICT_KEY)
    if not raw:
        return None
    verdict: dict[str, Any] = json.loads(raw)
    return verdict


async def verify_now(ctx: Ctx, by: str) -> dict[str, Any]:
    report = await verify_chain()
    verdict = {
        "ok": report.ok,
        "checked": report.checked,
        "problems": [{"seq": p.seq, "reason": p.reason} for p in report.problems[:20]],
        "more": max(0, len(report.problems) - 20),
        "at": ctx.when(ctx.now),
        "by": by,
    }
    await ctx.services.redis.set(VERDICT_KEY, json.dumps(verdict, ensure_ascii=False))
    return verdict
