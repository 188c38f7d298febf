"""What people read about alerts: 告警 (the open alerts of my teams).

The handover's pre-fill lists open alerts and unfinished patrols through the sources in
``records/handover.py`` (``alerts``, ``patrols``).
"""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.flows.duty.model import alert_number as number
from bot.flows.duty.people import teams_of
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import (
    Alert,
    AlertSeverity,
    AlertStatus,
)

OPEN = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


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
