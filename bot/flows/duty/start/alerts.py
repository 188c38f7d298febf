"""How an alert comes to be: ``raise_alert``, the one entry point of every source.

Sources: a person's ``报告`` (one line, or the form), monitoring systems
(``POST /api/alerts``, ``bot.web.alerts``), an abnormal patrol item (``transitions/patrol``)
and the activity monitor (``activity``). Each gives a ``dedupe_key`` when it has one, so a
retry, a second worker or a double tap finds the alert it already raised.
"""

from __future__ import annotations

from typing import Any

from bot.core import forms as form_engine
from bot.core.context import HandlerContext
from bot.core.forms import Answers, FormSpec
from bot.core.outgoing import FileRef
from bot.flows.duty.forms import alerts as forms
from bot.flows.duty.model import (
    DutyError,
)
from bot.flows.duty.model import alert_number as number
from bot.flows.duty.people import teams_of, teams_watching
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import AlertSeverity, AlertSource
from storage.models.org import Person

# ---- 报告 -------------------------------------------------------------------------------------


async def team_for(ctx: HandlerContext) -> DutyTeam | None:
    """The team a person's report goes to: their own duty team, else the team watching
    their unit, else the only team there is."""
    day = ctx.now.astimezone(ctx.tz).date()
    teams = await teams_of(ctx.conn, ctx.actor.id, day)
    if not teams:
        teams = await teams_watching(ctx.conn, ctx.actor.unit.id)
    if not teams:
        teams = await DutyTeam.filter(active=True).using_db(ctx.conn).order_by("id").limit(2)
        if len(teams) != 1:
            return None
    return teams[0]


async def report(ctx: HandlerContext, rest: str) -> None:
    """报告 [一般|严重|舆情] 情况 [链接]: at once when the line says it all, else the form."""
    parsed = forms.parse_report(rest)
    if parsed is None:
        answers: dict[str, str] = {}
        head = rest.strip().split(" ", 1)[0] if rest.strip() else ""
        severity = forms.severity_of(head)
        if severity is not None:
            answers["severity"] = severity.label
        await form_engine.start(
            ctx,
            SPEC,
            answers=answers,
            intro="报告告警：逐项回答即可，随时回复“取消”放弃。"
            "也可以一句话报告，如“报告 严重 临江文旅公众号首页无法打开 https://…”。",
        )
        return
    await _raise_report(ctx, parsed.severity, parsed.description, parsed.link, ())


async def submit_report(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    severity = forms.severity_of(answers["severity"]) or AlertSeverity.ORDINARY
    files = tuple(form_engine.attachments(answers.get("screenshot", "")))
    await _raise_report(ctx, severity, answers["description"], answers.get("link", ""), files)


async def _raise_report(
    ctx: HandlerContext,
    severity: AlertSeverity,
    description: str,
    link: str,
    files: tuple[FileRef, ...],
) -> None:
    team = await team_for(ctx)
    if team is None:
        await ctx.reply("没有找到您所在的值班组，无法报告告警。请联系值班长。")
        return
    try:
        alert, _ = await raise_alert(
            ctx,
            AlertRequest(
                team_id=team.id,
                severity=severity,
                source=AlertSource.REPORT,
                title=forms.title_of(description),
                description=description,
                link=link,
                reported_by_id=ctx.actor.id,
                files=files,
            ),
        )
    except DutyError as exc:
        await ctx.reply(str(exc))
        return
    holder = await Person.filter(id=alert.responsible_id).using_db(ctx.conn).first()
    to = holder.name if holder is not None else "值班人员"
    extra = "，并已报告主管单位" if severity is AlertSeverity.OPINION else ""
    await ctx.reply(f"已报告{severity.label}告警 {number(alert)}，已通知{to}确认{extra}。")


SPEC = form_engine.register(
    FormSpec(
        name=forms.FORM_NAME,
        label=forms.FORM_LABEL,
        on_complete=submit_report,
        submit_label="报告",
        questions=forms.QUESTIONS,
    )
)
