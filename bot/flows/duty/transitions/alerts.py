"""Every transition of an alert, one function each: raise_alert (every source: 报告, the
API, patrols, the activity monitor), acknowledge (确认告警), resolve (已处理), rectify
(转整改), and the countdown's escalate and renotify.

Each locks the alert, checks its state and either returns an ``Outcome`` or raises
``DutyError``. A tap that comes too late (the alert moved on) re-renders the card and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.cards.model import Card, Mention
from bot.core.directory import Member, names_of
from bot.core.outgoing import FileRef, Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.flows.duty.cards.alerts import LEVEL_LABELS, AlertView, alert_card
from bot.flows.duty.model import (
    ALERT_CARD,
    ALERT_DEADLINE_KIND,
    ALERT_SCHEDULE,
    ALERT_STEP_HANDLER,
    ALERT_SUBJECT,
    DutyError,
    alert_ack_rule,
    lock_alert,
)
from bot.flows.duty.model import alert_number as number
from bot.flows.duty.people import duty_chain, responsible
from bot.flows.rectification.model import RectificationError
from bot.flows.rectification.model import number as rect_number
from bot.flows.rectification.start import NoticeRequest, issue_notice
from storage.enums import Role
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import Alert, AlertSeverity, AlertSource, AlertStatus
from storage.models.org import Account, PersonRole
from storage.models.rectification import RectCategory, Severity

# Escalation steps of the preset's ``alert`` schedule → the chain level each one reaches.
STEP_LEVELS = {"duty_lead": 1, "unit_head": 2, "supervisor": 3}
CHAIN_LEVELS = {"lead": 1, "head": 2, "supervisor": 3}
FINISHED = (AlertStatus.RESOLVED, AlertStatus.RECTIFYING)


def urgent(alert: Alert) -> bool:
    """严重 and 舆情 alerts are pushed insistently (Feishu urgent_app)."""
    return AlertSeverity(alert.severity) is not AlertSeverity.ORDINARY


# ---- raising (every source) ------------------------------------------------------------


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


# ---- the person on duty (or the people the escalation reached) ----------------------------


async def acknowledge(w: Work, alert_id: int, by: Member) -> Outcome:
    """确认告警: the person responsible (or anyone the escalation reached) owns it now; the
    countdown stops and everyone it reached is told who took it."""
    alert = await _locked(w, alert_id)
    if AlertStatus(alert.status) is not AlertStatus.OPEN:
        return await _moved_on(w, alert)
    reached = [int(p) for p in alert.reached_ids]
    if by.id not in reached:
        # Refused, and audited: the log shows who tried to take an alert not theirs.
        await w.audit(
            "duty.alert_ack_refused",
            ALERT_SUBJECT,
            alert.id,
            {"person": by.id, "level": alert.level},
        )
        names = await _names(w, reached)
        raise DutyError(
            f"告警 {number(alert)} 须由当前值班责任人确认（{names}）；"
            "超时未确认时会依次升级到值班长、单位负责人，收到升级通知的人也可确认。"
            "您的操作未生效。"
        )
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by_id = by.id
    alert.acknowledged_at = w.now
    await alert.save(
        using_db=w.conn, update_fields=["status", "acknowledged_by_id", "acknowledged_at"]
    )
    if alert.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, alert.deadline_id, now=w.now, reason="已确认")
    await w.audit(
        "duty.alert_acknowledged",
        ALERT_SUBJECT,
        alert.id,
        {"level": alert.level, "after_seconds": int((w.now - alert.raised_at).total_seconds())},
    )
    card = await refresh_card(w, alert)
    text = f"告警 {number(alert)}（{alert.title}）已由{by.name}确认。"
    for person_id in reached:
        if person_id != by.id:
            await w.emit.to_person(person_id, Message(text=text))
    team = await _team(w, alert)
    if team.chat_id is not None:
        await w.emit.to_chat(team.chat_id, Message(text=text))
    return Outcome("已确认，处理完毕后请在卡片上点“已处理”并填写处理情况。", card=card)


async def resolve(w: Work, alert_id: int, by: Member, note: str) -> Outcome:
    """已处理: an acknowledged alert is closed with what was done."""
    alert = await _locked(w, alert_id)
    status = AlertStatus(alert.status)
    if status is AlertStatus.OPEN:
        raise DutyError("请先确认告警，再填写处理情况。", kind="info")
    if status is not AlertStatus.ACKNOWLEDGED:
        return await _moved_on(w, alert)
    allowed = {int(p) for p in alert.reached_ids} | {alert.acknowledged_by_id}
    if by.id not in allowed and not by.has(Role.DUTY_LEAD):
        names = await _names(w, [alert.acknowledged_by_id] if alert.acknowledged_by_id else [])
        raise DutyError(f"告警 {number(alert)} 由{names}处理；您的操作未生效。")
    if not note:
        raise DutyError("请填写处理情况后再点“已处理”。")
    alert.status = AlertStatus.RESOLVED
    alert.resolved_by_id = by.id
    alert.resolved_at = w.now
    alert.resolution_note = note[:2000]
    await alert.save(
        using_db=w.conn,
        update_fields=["status", "resolved_by_id", "resolved_at", "resolution_note"],
    )
    await w.audit("duty.alert_resolved", ALERT_SUBJECT, alert.id, {"note": alert.resolution_note})
    card = await refresh_card(w, alert)
    return Outcome("已处理，告警关闭。", card=card)


async def rectify(w: Work, alert_id: int, by: Member) -> Outcome:
    """转整改: supervisor staff turn an acknowledged alert about an account into a
    rectification notice to its owner unit, in one tap (the rectification flow's own start)."""
    alert = await _locked(w, alert_id)
    if not by.has(Role.SUPERVISOR_STAFF):
        raise DutyError("只有主管单位工作人员可以把告警转为整改通知。")
    status = AlertStatus(alert.status)
    if status is AlertStatus.OPEN:
        raise DutyError("告警尚未确认，请等值班人员确认后再转整改。", kind="info")
    if status is not AlertStatus.ACKNOWLEDGED:
        return await _moved_on(w, alert)
    account = (
        await Account.filter(id=alert.account_id).using_db(w.conn).first()
        if alert.account_id is not None
        else None
    )
    if account is None:
        raise DutyError("这条告警没有关联具体账号，无法直接转为整改通知；请发送“整改”填写。")
    problem = alert.title + (f"：{alert.description}" if alert.description else "")
    try:
        rect = await issue_notice(
            w.services,
            w.conn,
            w.emit,
            now=w.now,
            request=NoticeRequest(
                owner_unit_id=account.owner_unit_id,
                account_id=account.id,
                problem=problem[:5000],
                evidence=alert.link,
                category=RectCategory(str(alert.data.get("category", RectCategory.OTHER.value))),
                severity=Severity.ORDINARY
                if AlertSeverity(alert.severity) is AlertSeverity.ORDINARY
                else Severity.SERIOUS,
                source=f"alert:{alert.id}",
            ),
            actor=w.by,
            issuer=by,
        )
    except RectificationError as exc:
        raise DutyError(str(exc)) from None
    alert.status = AlertStatus.RECTIFYING
    alert.rectification_id = rect.id
    alert.resolved_by_id = by.id
    alert.resolved_at = w.now
    await alert.save(
        using_db=w.conn,
        update_fields=["status", "rectification_id", "resolved_by_id", "resolved_at"],
    )
    await w.audit("duty.alert_rectified", ALERT_SUBJECT, alert.id, {"rectification": rect.id})
    card = await refresh_card(w, alert)
    return Outcome(
        f"已转为整改通知 {rect_number(rect)}，下发给{account.label}的主办单位。", card=card
    )


# ---- the countdown --------------------------------------------------------------------------


async def escalate(w: Work, alert_id: int, *, step: str) -> Outcome:
    """Not acknowledged in time: the next level of the chain (duty lead → unit head →
    supervisors) is reached; from then on they may acknowledge too. A level nobody fills is
    passed over by the next step; ``renotify`` reminds everyone reached so far."""
    alert = await lock_alert(w.conn, alert_id)
    if alert is None or AlertStatus(alert.status) is not AlertStatus.OPEN:
        return Outcome()
    team = await _team(w, alert)
    if step not in STEP_LEVELS:
        await _renotify(w, alert, team)
        return Outcome()
    target = STEP_LEVELS[step]
    if target <= alert.level:
        return Outcome()
    upto = next(key for key, level in CHAIN_LEVELS.items() if level == target)
    chain = await duty_chain(w.conn, team, upto=upto)
    reached = [int(p) for p in alert.reached_ids]
    fresh: list[Member] = []
    for level in chain:
        if alert.level < CHAIN_LEVELS[level.key] <= target:
            fresh += [m for m in level.members if m.id not in reached]
    alert.level = target
    alert.reached_ids = reached + [m.id for m in fresh]
    await alert.save(using_db=w.conn, update_fields=["level", "reached_ids"])
    await w.audit(
        "duty.alert_escalated",
        ALERT_SUBJECT,
        alert.id,
        {"step": step, "level": target, "to": [m.id for m in fresh]},
    )
    card = await refresh_card(w, alert, team)
    late = int((w.now - alert.raised_at).total_seconds() // 60)
    text = (
        f"【告警升级】{number(alert)}（{alert.title}）已{late}分钟未确认，"
        f"已升级至{LEVEL_LABELS[target]}，请立即确认。"
    )
    await w.emit.to_people(
        [m.id for m in fresh], Message(text=text, card=card, urgent=urgent(alert))
    )
    if team.chat_id is not None and fresh:
        await w.emit.to_chat(
            team.chat_id,
            Message(text=text, mentions=tuple(m.mention() for m in fresh), urgent=urgent(alert)),
        )
    return Outcome()


async def _renotify(w: Work, alert: Alert, team: DutyTeam) -> None:
    # The most frequent step of an unacknowledged alert (every few minutes, to everyone it
    # reached): it reads no more than it needs, the names only for the group's @.
    reached = [int(p) for p in alert.reached_ids]
    late = int((w.now - alert.raised_at).total_seconds() // 60)
    text = f"【再次提醒】告警 {number(alert)}（{alert.title}）已{late}分钟未确认，请立即确认。"
    await w.emit.to_people(reached, Message(text=text, urgent=urgent(alert)))
    if team.chat_id is not None:
        names = await names_of(reached, w.conn)
        mentions = tuple(Mention(person_id=p, name=names[p]) for p in reached if p in names)
        await w.emit.to_chat(team.chat_id, Message(text=text, mentions=mentions))
    await w.audit("duty.alert_renotified", ALERT_SUBJECT, alert.id, {"to": reached})


# ---- shared ---------------------------------------------------------------------------------


async def view_of(w: Work, alert: Alert, team: DutyTeam | None = None) -> AlertView:
    team = team or await _team(w, alert)
    account = (
        await Account.filter(id=alert.account_id).using_db(w.conn).first()
        if alert.account_id is not None
        else None
    )
    ack_due = ""
    if alert.deadline_id is not None and AlertStatus(alert.status) is AlertStatus.OPEN:
        if alert.level == 0:
            deadline = await lifecycle.get(w.conn, alert.deadline_id)
            if deadline is not None:
                ack_due = f"须在 {w.when(deadline.due_at)} 前确认，否则升级通知值班长。"
        else:
            # Escalated: the first time limit has passed; the card must not still promise
            # an escalation that already happened.
            ack_due = (
                f"已超过确认时限，已升级通知{LEVEL_LABELS.get(alert.level, '')}；"
                "收到通知的人均可确认。"
            )
    people = alert.responsible_id, alert.acknowledged_by_id, alert.resolved_by_id
    names = await names_of((p for p in people if p), w.conn)
    return AlertView(
        team_name=team.name,
        account_label=account.label if account is not None else "",
        responsible_name=names.get(alert.responsible_id or 0, ""),
        acknowledged_by=names.get(alert.acknowledged_by_id or 0, ""),
        resolved_by=names.get(alert.resolved_by_id or 0, ""),
        raised_at=w.when(alert.raised_at),
        ack_due=ack_due,
        can_rectify=alert.account_id is not None,
    )


async def render(w: Work, alert: Alert, team: DutyTeam | None = None) -> Card:
    return alert_card(alert, await view_of(w, alert, team))


async def refresh_card(w: Work, alert: Alert, team: DutyTeam | None = None) -> Card | None:
    """Re-render the alert's card everywhere it was sent; closed once the alert is finished."""
    if alert.card_id is None:
        return None
    return await w.emit.update_card(
        alert.card_id, await render(w, alert, team), close=AlertStatus(alert.status) in FINISHED
    )


async def _locked(w: Work, alert_id: int) -> Alert:
    alert = await lock_alert(w.conn, alert_id)
    if alert is None:
        raise DutyError("这条告警不存在。")
    return alert


async def _team(w: Work, alert: Alert) -> DutyTeam:
    return await DutyTeam.filter(id=alert.team_id).using_db(w.conn).get()


async def _moved_on(w: Work, alert: Alert) -> Outcome:
    card = await refresh_card(w, alert)
    status = AlertStatus(alert.status).label
    return Outcome(f"告警 {number(alert)} 当前状态为“{status}”，此操作已无效。", "info", card=card)


async def _names(w: Work, person_ids: list[int]) -> str:
    names = await names_of(person_ids, w.conn)
    return "、".join(names[p] for p in person_ids if p in names)
