"""What people read about alerts and patrols: the open items a handover lists, and 告警 (the
open alerts of my teams).

``open_items`` is the alert and patrol source of the handover's pre-fill: unacknowledged and
unresolved alerts, and patrol rounds of the team that closed with items left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.context import HandlerContext
from bot.flows.duty.cards.alerts import number
from bot.flows.duty.people import teams_of
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import (
    Alert,
    AlertSeverity,
    AlertStatus,
    PatrolCheck,
    PatrolRound,
)

OPEN = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# How far back unfinished patrols are carried into a handover (the shift before, and the one
# before that when a handover was itself never finished).
PATROL_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class OpenItem:
    """One line of the handover's pre-fill."""

    kind: str  # "alert" / "patrol"
    subject_id: int
    text: str


async def open_items(conn: BaseDBAsyncClient | None, team_id: int, now: datetime) -> list[OpenItem]:
    """The team's open alerts, then its unfinished patrol rounds, oldest first."""
    items: list[OpenItem] = []
    alerts = (
        await Alert.filter(team_id=team_id, status__in=OPEN).using_db(conn).order_by("raised_at")
    )
    for alert in alerts:
        state = AlertStatus(alert.status).label
        items.append(
            OpenItem(
                "alert",
                alert.id,
                f"告警 {number(alert)}（{AlertSeverity(alert.severity).label}，{state}）："
                f"{alert.title}",
            )
        )
    rounds = (
        await PatrolRound.filter(
            team_id=team_id, ends_at__lte=now, ends_at__gt=now - PATROL_LOOKBACK
        )
        .using_db(conn)
        .order_by("ends_at")
    )
    for patrol in rounds:
        checks = await PatrolCheck.filter(round_id=patrol.id).using_db(conn)
        per_account: dict[int, int] = {}
        for check in checks:
            per_account[check.account_id] = per_account.get(check.account_id, 0) + 1
        items_per_account = len(patrol.checklist)
        finished = sum(1 for n in per_account.values() if n >= items_per_account)
        total = len(patrol.account_ids)
        if finished >= total:
            continue
        items.append(
            OpenItem(
                "patrol",
                patrol.id,
                f"读网巡查未完成：已巡查 {finished}/{total} 个账号，"
                f"还有 {total - finished} 个账号待巡查",
            )
        )
    return items


async def show_alerts(ctx: HandlerContext, rest: str) -> None:
    """告警: the open alerts of the teams the person is on (or leads)."""
    day = ctx.now.astimezone(ctx.tz).date()
    teams = await teams_of(ctx.conn, ctx.actor.id, day)
    if not teams:
        teams = await DutyTeam.filter(active=True).using_db(ctx.conn).order_by("id")
    lines: list[str] = []
    for team in teams:
        alerts = (
            await Alert.filter(team_id=team.id, status__in=OPEN)
            .using_db(ctx.conn)
            .order_by("raised_at")
        )
        for alert in alerts:
            lines.append(
                f"{number(alert)} {AlertSeverity(alert.severity).label} "
                f"{AlertStatus(alert.status).label} {ctx.when(alert.raised_at)} {alert.title}"
            )
    if not lines:
        await ctx.reply("目前没有未处理的告警。")
        return
    await ctx.reply("未处理的告警：\n" + "\n".join(lines))
