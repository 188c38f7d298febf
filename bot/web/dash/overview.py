"""The home page: the figures a supervisor looks at first, and two charts (ECharts).

Every figure is one grouped, indexed query over the viewer's units; the charts get their data
as JSON in the page and are drawn by the static echarts.min.js (no build chain)."""

from __future__ import annotations

from typing import Any

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from bot.web.dash.access import Page
from bot.web.dash.listing import Ctx
from bot.web.dash.unit_lists import OPEN_RECT, unit_names
from storage.enums import MEDIA_PLATFORM_LABELS, AccountStatus, MediaPlatform
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account
from storage.models.rectification import Rectification
from storage.models.review import Post, PostStatus

# Units on the chart: the ones with the most open notices (a district has hundreds).
CHART_UNITS = 12


def _scope(ctx: Ctx, query: QuerySet, field: str) -> QuerySet:  # type: ignore[type-arg]
    if ctx.viewer.district:
        return query
    return query.filter(**{f"{field}__in": sorted(ctx.viewer.unit_ids)})


async def overview(ctx: Ctx) -> dict[str, Any]:
    viewer = ctx.viewer
    figures: list[dict[str, Any]] = []
    chart: dict[str, Any] = {}
    if viewer.may(Page.REGISTRY):
        running = await _scope(
            ctx, Account.filter(status=AccountStatus.RUNNING), "owner_unit_id"
        ).count()
        total = await _scope(ctx, Account.all(), "owner_unit_id").count()
        figures.append(
            {
                "label": "运行中账号",
                "value": running,
                "sub": f"台账共 {total} 个",
                "href": "/dash/registry?status=running",
            }
        )
        open_rects = _scope(
            ctx, Rectification.filter(status__in=[s.value for s in OPEN_RECT]), "owner_unit_id"
        )
        overdue = await open_rects.filter(overdue=True).count()
        figures.append(
            {
                "label": "未完成整改",
                "value": await open_rects.count(),
                "sub": f"其中逾期 {overdue} 件",
                "css": "overdue" if overdue else "",
                "href": "/dash/rectifications",
            }
        )
        figures.append(
            {
                "label": "备案办理中",
                "value": await _scope(
                    ctx,
                    Filing.filter(status__in=[FilingStatus.PENDING, FilingStatus.RETURNED]),
                    "unit_id",
                ).count(),
                "sub": "审批中与退回修改",
                "href": "/dash/filings",
            }
        )
        figures.append(
            {
                "label": "稿件审核中",
                "value": await _scope(
                    ctx, Post.filter(status=PostStatus.IN_REVIEW), "unit_id"
                ).count(),
                "sub": "三审三校",
                "href": "/dash/reviews",
            }
        )
        chart = await _charts(ctx)
    if viewer.may(Page.DUTY):
        alerts = Alert.filter(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
        if not viewer.district:
            alerts = alerts.filter(team_id__in=sorted(viewer.duty_team_ids))
        figures.append(
            {
                "label": "未处理告警",
                "value": await alerts.count(),
                "sub": "待确认与处理中",
                "href": "/dash/duty",
            }
        )
    return {"figures": figures, "chart": chart}


async def _charts(ctx: Ctx) -> dict[str, Any]:
    rows = (
        await _scope(
            ctx, Rectification.filter(status__in=[s.value for s in OPEN_RECT]), "owner_unit_id"
        )
        .group_by("owner_unit_id", "overdue")
        .annotate(n=Count("id"))
        .values_list("owner_unit_id", "overdue", "n")
    )
    per_unit: dict[int, list[int]] = {}
    for unit_id, overdue, n in rows:
        counts = per_unit.setdefault(int(str(unit_id)), [0, 0])
        counts[1 if overdue else 0] += int(str(n))
    top = sorted(per_unit, key=lambda u: (-sum(per_unit[u]), u))[:CHART_UNITS]
    names = await unit_names(top)
    platforms = (
        await _scope(ctx, Account.filter(status=AccountStatus.RUNNING), "owner_unit_id")
        .group_by("platform")
        .annotate(n=Count("id"))
        .values_list("platform", "n")
    )
    return {
        "rect": {
            "units": [names.get(u, "") for u in top],
            "on_time": [per_unit[u][0] for u in top],
            "overdue": [per_unit[u][1] for u in top],
        },
        "platforms": [
            {"name": MEDIA_PLATFORM_LABELS[MediaPlatform(str(p))], "value": int(str(n))}
            for p, n in platforms
        ],
    }
