"""报表 [期间] in the chat: a supervisor gets the district's report, a unit head their unit's,
as the summary with the workbook and the chart in their 1:1 chat."""

from __future__ import annotations

from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.flows.reports.period import ReportError, last_ended, parse_period
from bot.flows.reports.posting import render, store, summary
from storage.enums import Role

# Who may ask: supervisors and admins see the district, unit heads their own unit.
READERS = frozenset({Role.SUPERVISOR_STAFF, Role.ADMIN, Role.PRINCIPAL})


async def request(ctx: HandlerContext, rest: str) -> None:
    """报表 [2026Q4 | 2026-11 | 2026W48 | 2026]; without a period, the last one that ended of the
    preset's first cadence (a quarter when the preset posts none)."""
    text = rest.strip()
    try:
        if text:
            period = parse_period(text)
        else:
            cadences = ctx.services.timekeeping.policy.report_cadences.items
            today = ctx.now.astimezone(ctx.tz).date()
            period = last_ended(cadences[0] if cadences else "quarterly", today)
        unit_id: int | None = None
        if not ctx.actor.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
            unit_id = (await owning_unit(ctx.actor.unit.id, ctx.conn)).id
        rendered = await render(ctx.services, period, unit_id)
    except ReportError as exc:
        await ctx.reply(str(exc))
        return
    refs = await store(ctx.services, ctx.conn, rendered, ctx.now)
    if ctx.event.place.kind == "group":
        await ctx.reply("报表已发到您的私聊。")
    await ctx.reply_privately(summary(rendered.report), files=refs)
