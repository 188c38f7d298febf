"""What a handover hands over, and 交接记录 (the chain of shifts and who held responsibility).

``open_items`` is the handover pre-fill: one query per source, each returning ``OpenItem``s.
The sources are listed in ``SOURCES`` in the order the card shows them; the alerts area adds
its unacknowledged/unresolved alerts and unfinished patrols there (one function each, same
signature), so the card, the snapshot and the bench all see every source.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core import untrusted
from bot.core.context import HandlerContext
from bot.flows.duty import people
from bot.flows.duty.model import HANDOVER_LOG_DAYS, alert_number, day_label
from bot.flows.rectification.model import number
from bot.timekeeping.explain import format_time
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import Alert, AlertSeverity, AlertStatus, PatrolCheck, PatrolRound
from storage.models.duty_handover import DutyHandover, DutyNote, HandoverStatus
from storage.models.org import Person
from storage.models.rectification import Rectification, RectStatus

# Rectification notices that are still the unit's (or the supervisor's) to act on.
OPEN_RECTIFICATION = (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED, RectStatus.SUBMITTED)


@dataclass(frozen=True)
class OpenItem:
    """One line of the handover: what kind of thing is open, and what about it."""

    kind: str  # "note", "rectification", "alert", "patrol" (stored in snapshots)
    label: str  # 备注 / 整改 / 告警 / 巡查
    text: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> OpenItem:
        return cls(kind=data["kind"], label=data["label"], text=data["text"])


@dataclass(frozen=True)
class Scope:
    """What a source needs to know: the team, its watched units, the shift being handed over
    (notes since ``since``, the change at ``until``), the time now and how to print times."""

    team: DutyTeam
    units: Sequence[int]
    since: datetime
    now: datetime
    tz: ZoneInfo
    until: datetime


Source = Callable[[BaseDBAsyncClient, Scope], Awaitable[list[OpenItem]]]


async def notes(conn: BaseDBAsyncClient, scope: Scope) -> list[OpenItem]:
    """Notes taken during the shift (记录 …) and not yet handed over."""
    rows = (
        await DutyNote.filter(team_id=scope.team.id, handover_id__isnull=True)
        .using_db(conn)
        .order_by("created_at", "id")
    )
    names = await _names(conn, {n.person_id for n in rows})
    return [
        OpenItem(
            "note",
            "记录",
            f"{format_time(n.created_at, scope.tz, reference=scope.now)} "
            f"{names.get(n.person_id, '')}：{n.text}",
        )
        for n in rows
    ]


async def rectifications(conn: BaseDBAsyncClient, scope: Scope) -> list[OpenItem]:
    """Open rectification notices of the units the team watches."""
    if not scope.units:
        return []
    rows = (
        await Rectification.filter(
            owner_unit_id__in=list(scope.units), status__in=OPEN_RECTIFICATION
        )
        .using_db(conn)
        .order_by("due_at", "id")
    )
    items = []
    for rect in rows:
        what = f"整改通知 {number(rect)}"
        if rect.account_label:
            what += f"（{rect.account_label}）"
        state = RectStatus(rect.status).label
        if rect.overdue:
            state += "，已逾期"
        due = format_time(rect.due_at, scope.tz, reference=scope.now)
        items.append(OpenItem("rectification", "整改", f"{what}：{state}，截止 {due}"))
    return items


# --- alerts, patrols ---

OPEN_ALERT = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# How far back unfinished patrol rounds are carried into a handover: the shift just ended,
# and the ones before it when their handover never took place.
PATROL_LOOKBACK = timedelta(days=2)


async def alerts(conn: BaseDBAsyncClient, scope: Scope) -> list[OpenItem]:
    """The team's alerts not yet acknowledged, or acknowledged and not yet resolved."""
    rows = (
        await Alert.filter(team_id=scope.team.id, status__in=OPEN_ALERT)
        .using_db(conn)
        .order_by("raised_at", "id")
    )
    return [
        OpenItem(
            "alert",
            "告警",
            f"{alert_number(a)}（{AlertSeverity(a.severity).label}，"
            f"{AlertStatus(a.status).label}）{a.title}",
        )
        for a in rows
    ]


async def patrols(conn: BaseDBAsyncClient, scope: Scope) -> list[OpenItem]:
    """Patrol rounds of the team that end by the change with accounts left unchecked.

    The outgoing shift's own round is still running when the card is prepared before the
    change, so rounds are taken up to the change (``until``), not up to now; the incoming
    shift's round (it ends later) never is."""
    rounds = (
        await PatrolRound.filter(
            team_id=scope.team.id,
            ends_at__lte=scope.until,
            ends_at__gt=scope.now - PATROL_LOOKBACK,
        )
        .using_db(conn)
        .order_by("ends_at", "id")
    )
    items = []
    for patrol in rounds:
        per_account: dict[int, int] = {}
        for account_id in (
            await PatrolCheck.filter(round_id=patrol.id)
            .using_db(conn)
            .values_list("account_id", flat=True)
        ):
            key = int(str(account_id))
            per_account[key] = per_account.get(key, 0) + 1
        finished = sum(1 for n in per_account.values() if n >= len(patrol.checklist))
        total = len(patrol.account_ids)
        if finished < total:
            items.append(
                OpenItem(
                    "patrol",
                    "巡查",
                    f"读网巡查未完成（{format_time(patrol.ends_at, scope.tz, reference=scope.now)}"
                    f" 交班）：已巡查 {finished}/{total} 个账号",
                )
            )
    return items


# In the order the handover card lists them (the issue's order: alerts, rectifications,
# patrols, notes).
SOURCES: list[Source] = [alerts, rectifications, patrols, notes]


async def open_items(
    conn: BaseDBAsyncClient,
    team: DutyTeam,
    since: datetime,
    now: datetime,
    tz: ZoneInfo,
    until: datetime | None = None,
) -> list[OpenItem]:
    """Everything open that the outgoing officer hands over (the pre-fill of the card), for
    the shift from ``since`` to the change at ``until`` (now when not given)."""
    units = await people.scope_units(conn, team)
    scope = Scope(team, units, since, now, tz, until if until is not None else now)
    found: list[OpenItem] = []
    for source in SOURCES:
        found.extend(await source(conn, scope))
    return found


async def _names(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Person.filter(id__in=list(ids)).using_db(conn)
    return {p.id: p.name for p in rows}


# ---- 交接记录 ------------------------------------------------------------------------------


def holder_line(h: DutyHandover, names: dict[int, str], tz: ZoneInfo, now: datetime) -> str:
    """One change of shift as 交接记录 prints it, saying who held responsibility when."""

    change = h.change_at.astimezone(tz)

    def t(at: datetime | None) -> str:
        """08:47 on the day of the change, 12月5日 08:47 on another."""
        if at is None:
            return ""
        local = at.astimezone(tz)
        if local.date() == change.date():
            return f"{local:%H:%M}"
        return f"{local.month}月{local.day}日 {local:%H:%M}"

    out = names.get(h.outgoing_id or 0, "（未知）")
    inc = names.get(h.incoming_id or 0, "（未知）")
    head = f"{day_label(change.date())} {change:%H:%M} {out} → {inc}"
    status = HandoverStatus(h.status)
    if status is HandoverStatus.ACKNOWLEDGED and h.acknowledged_at is not None:
        by = names.get(h.acknowledged_by_id or 0, "")
        proxy = f"（{by}代为确认）" if h.acknowledged_by_id not in (None, h.incoming_id) else ""
        submitted = f"交班 {t(h.submitted_at)}，" if h.submitted_at else "未提交交接，"
        passed = max(h.acknowledged_at, h.change_at)
        late = passed - h.change_at
        held = f"{out}负责至 {t(passed)}" if late > timedelta(0) else "按时交接"
        return f"{head}：{submitted}{t(h.acknowledged_at)} 确认接班{proxy}；{held}"
    if status is HandoverStatus.CANCELLED:
        return f"{head}：已取消（排班变更）"
    if h.change_at > now:
        return f"{head}：{status.label}"
    escalated = f"，已通知{len(h.reached)}人" if h.reached else ""
    return f"{head}：{status.label}{escalated}；{out}仍负责"


async def show_log(ctx: HandlerContext, rest: str) -> None:
    """交接记录 [天数]: the chain of shift changes of the person's teams, newest last."""
    days = HANDOVER_LOG_DAYS
    text = rest.strip()
    if text:
        asked = untrusted.row_id(text)  # "²" passes isdigit() but not int()
        if asked is None or asked > 90:
            await ctx.reply("请写查看的天数（1–90），如“交接记录 7”。")
            return
        days = asked
    teams = await people.teams_of(ctx.conn, ctx.actor.id, ctx.now.astimezone(ctx.tz).date())
    if not teams:
        teams = await people.teams_led_by(ctx.conn, ctx.actor)
    if not teams:
        await ctx.reply("您不在任何值班组中，没有交接记录可看。")
        return
    blocks = []
    for team in teams:
        rows = (
            await DutyHandover.filter(
                team_id=team.id,
                change_at__gte=ctx.now - timedelta(days=days),
                change_at__lte=ctx.now,
            )
            .using_db(ctx.conn)
            .order_by("change_at")
        )
        ids = {i for h in rows for i in (h.outgoing_id, h.incoming_id, h.acknowledged_by_id) if i}
        names = await _names(ctx.conn, ids)
        current = await people.responsible(ctx.conn, team, ctx.now)
        lines = [f"【交接记录】{team.name}（近{days}天）"]
        lines += [holder_line(h, names, ctx.tz, ctx.now) for h in rows] or ["暂无交接记录。"]
        lines.append(f"现在负责：{current.name if current is not None else '无人'}")
        blocks.append("\n".join(lines))
    await ctx.reply("\n\n".join(blocks))
