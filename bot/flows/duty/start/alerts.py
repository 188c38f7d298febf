"""How an alert comes to be: ``raise_alert``, the one entry point of every source.

Sources: a person's ``报告`` (one line, or the form), monitoring systems
(``POST /api/alerts``, ``bot.web.alerts``), an abnormal patrol item (``transitions/patrol``)
and the activity monitor (``activity``). Each gives a ``dedupe_key`` when it has one, so a
retry, a second worker or a double tap finds the alert it already raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core import forms as form_engine
from bot.core.context import HandlerContext
from bot.core.forms import Answers, FormSpec
from bot.core.outgoing import FileRef, Message
from bot.core.work import Work
from bot.deadlines import lifecycle
from bot.flows.duty.cards.alerts import number
from bot.flows.duty.forms import alerts as forms
from bot.flows.duty.model import (
    ALERT_CARD,
    ALERT_DEADLINE_KIND,
    ALERT_SCHEDULE,
    ALERT_STEP_HANDLER,
    ALERT_SUBJECT,
    DutyError,
    alert_ack_rule,
)
from bot.flows.duty.people import responsible, teams_of, teams_watching
from bot.flows.duty.transitions.alerts import render, urgent
from storage.enums import Role
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource
from storage.models.org import Person, PersonRole


@dataclass(frozen=True)
class AlertRequest:
    """What an alert says, from whichever source."""

    team_id: int
    severity: AlertSeverity
    source: AlertSource
    title: str
    description: str = ""
    link: str = ""
    account_id: int | None = None
    reported_by_id: int | None = None
    source_name: str = ""
    external_id: str | None = None
    dedupe_key: str | None = None
    files: tuple[FileRef, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


async def find_existing(w: Work, dedupe_key: str | None) -> Alert | None:
    if dedupe_key is None:
        return None
    return await Alert.filter(dedupe_key=dedupe_key).using_db(w.conn).first()


async def raise_alert(w: Work, request: AlertRequest) -> tuple[Alert, bool]:
    """Create the alert, start its acknowledgement countdown and deliver it: the card 1:1 to
    whoever holds responsibility now and into the duty group with @ (Feishu urgent_app for
    严重 and 舆情); 舆情 also to the supervisors at once. All in the caller's transaction.

    Returns the alert and whether it is new (False: the dedupe key found an earlier one).
    """
    existing = await find_existing(w, request.dedupe_key)
    if existing is not None:
        return existing, False
    team = await DutyTeam.filter(id=request.team_id, active=True).using_db(w.conn).first()
    if team is None:
        raise DutyError("找不到值班组。")
    holder = await responsible(w.conn, team, w.now)
    if holder is None:
        raise DutyError(f"{team.name}现在没有值班人员，也没有值班长，告警无人接收；请先排班。")
    alert = await Alert.create(
        using_db=w.conn,
        team_id=team.id,
        severity=request.severity,
        source=request.source,
        source_name=request.source_name,
        external_id=request.external_id,
        dedupe_key=request.dedupe_key,
        title=request.title[:200],
        description=request.description,
        link=request.link[:1000],
        file_id=request.files[0].file_id if request.files else None,
        account_id=request.account_id,
        reported_by_id=request.reported_by_id,
        raised_at=w.now,
        responsible_id=holder.id,
        reached_ids=[holder.id],
        data=request.data,
    )
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind=ALERT_DEADLINE_KIND,
        subject_type=ALERT_SUBJECT,
        subject_id=alert.id,
        handler=ALERT_STEP_HANDLER,
        now=w.now,
        rule=alert_ack_rule(request.severity.value),
        schedule=w.policy.schedule(ALERT_SCHEDULE),
        data={"alert": alert.id},
    )
    alert.deadline_id = deadline.id
    card = await w.emit.new_card(
        await render(w, alert),
        kind=ALERT_CARD,
        # Anyone may tap: the transitions say why someone not on duty cannot acknowledge
        # (and audit the attempt), which a closed card list could not.
        allowed_person_ids=[],
        subject_type=ALERT_SUBJECT,
        subject_id=alert.id,
    )
    alert.card_id = card.card_id
    await alert.save(using_db=w.conn, update_fields=["deadline_id", "card_id"])
    push = urgent(alert)
    await w.emit.to_person(holder.id, Message(card=card, urgent=push, files=request.files))
    if team.chat_id is not None:
        await w.emit.to_chat(
            team.chat_id,
            Message(
                text=f"【{request.severity.label}告警】{number(alert)}，请{holder.name}立即确认。",
                card=card,
                mentions=(holder.mention(),),
                urgent=push,
            ),
        )
    supervisors: list[int] = []
    if request.severity is AlertSeverity.OPINION:
        supervisors = await opinion_recipients(w, exclude={holder.id})
        report_to = "、".join(w.policy.duty.report_to.items)
        for person_id in supervisors:
            await w.emit.to_person(
                person_id,
                Message(
                    text=f"【舆情报告】{team.name}报告舆情 {number(alert)}"
                    f"（报告对象：{report_to}）。",
                    card=card,
                    urgent=True,
                ),
            )
    await w.audit(
        "duty.alert_raised",
        ALERT_SUBJECT,
        alert.id,
        {
            "team": team.id,
            "severity": request.severity.value,
            "source": request.source.value,
            "source_name": request.source_name,
            "external_id": request.external_id,
            "responsible": holder.id,
            "supervisors": supervisors,
            "due_at": deadline.due_at.isoformat(),
        },
    )
    return alert, True


async def opinion_recipients(w: Work, *, exclude: set[int]) -> list[int]:
    """舆情 goes to the supervisory bodies at once: every active supervisor staff member (the
    demo's 区政府办公室 and 区委网信办, beibei's 第六章)."""
    ids = (
        await PersonRole.filter(role=Role.SUPERVISOR_STAFF, person__active=True)
        .using_db(w.conn)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    return [int(str(i)) for i in dict.fromkeys(ids) if int(str(i)) not in exclude]


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
