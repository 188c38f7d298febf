"""The activity monitor (更新监测): each account's last update and weekly count, from the
``已发布`` records the review flow writes (``AccountUpdate``) and manual ``更新 账号名``
reports, against the preset's thresholds:

- silence: ``update.max_silence`` after the last update (jiaxian 14 days = unqualified,
  yongchuan 7 days, dongguan 2 weeks); the owner unit is warned
  ``activity.warn_days_before`` days before, and the duty team gets an alert at the breach;
- weekly minimum: ``activity.min_posts_per_week`` (jiaxian 2, yongchuan 1); the owner unit is
  warned ``warn_days_before`` days before the week ends with too few, and the duty team gets
  an alert for a week that ended short.

The worker's ``duty_watch`` cron calls ``check_activity`` every minute. Each warning and alert
is an ``ActivityFlag`` row, unique per account, kind and period (the last update for
silence, the week for the minimum), so it happens exactly once however often the check runs
and however many workers run it; a new update starts a new silence period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Max, Min
from tortoise.transactions import in_transaction

from bot.core.context import HandlerContext
from bot.core.directory import Member, members_with_role, unit_chat
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.duty.model import ALERT_SUBJECT
from bot.flows.duty.model import alert_number as number
from bot.flows.duty.people import scope_units, teams_of
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert
from bot.flows.rectification.people import WORKER_ROLES
from bot.timekeeping.explain import format_time
from storage.enums import AccountStatus, ChatPurpose
from storage.models.duty import DutyScope, DutyTeam
from storage.models.duty_alerts import ActivityFlag, AlertSeverity, AlertSource
from storage.models.org import Account, Unit
from storage.models.rectification import RectCategory
from storage.models.review import AccountUpdate

SILENCE_RULE = "update.max_silence"
WARN_SILENCE = "warn_silence"
SILENCE = "silence"
WARN_WEEKLY = "warn_weekly"
WEEKLY = "weekly"
# The first check that saw an account (its baseline when it never updated).
SEEN = "seen"


@dataclass(frozen=True)
class Activity:
    """One account's figures at a moment."""

    account: Account
    last_update: datetime | None
    first_update: datetime | None
    this_week: int
    last_week: int


@dataclass(frozen=True)
class Finding:
    """What the thresholds say about an account now: a flag kind and its period."""

    kind: str
    period: str
    text: str


def week_start(now: datetime, tz_now: datetime) -> datetime:
    """Monday 00:00 (local) of the week ``tz_now`` falls in, as an aware datetime."""
    monday = tz_now.date() - timedelta(days=tz_now.weekday())
    return datetime.combine(monday, time(0), tzinfo=tz_now.tzinfo)


def findings(
    services: Services, now: datetime, activity: Activity, *, baseline: datetime, monday: datetime
) -> list[Finding]:
    """Which warnings and breaches hold at ``now`` (reads only the policy and the calendar).

    ``baseline`` is when the monitor first saw the account: an account that never updated is
    silent from then (the bot cannot know what happened before it was told of the account),
    and a week is judged only if the account's record reaches back to its start.
    """
    policy = services.timekeeping.policy

    def when(at: datetime) -> str:
        return format_time(at, services.tz, reference=now)

    warn = timedelta(days=policy.activity.warn_days_before.value)
    minimum = policy.activity.min_posts_per_week.value
    found: list[Finding] = []
    label = activity.account.label
    since = activity.last_update or baseline
    known_since = min(baseline, activity.first_update or baseline)
    if SILENCE_RULE in policy.deadlines:
        due = services.timekeeping.due(SILENCE_RULE, since).due_at
        period = since.isoformat()
        last = when(activity.last_update) if activity.last_update else "开通以来未更新"
        if now >= due:
            found.append(
                Finding(SILENCE, period, f"{label}已超过停更期限未更新（最近更新：{last}）")
            )
        elif now >= due - warn:
            found.append(
                Finding(
                    WARN_SILENCE,
                    period,
                    f"{label}将于 {when(due)} 达到停更期限（最近更新：{last}），请尽快更新",
                )
            )
    if minimum > 0:
        previous = monday - timedelta(days=7)
        if known_since <= previous and activity.last_week < minimum:
            found.append(
                Finding(
                    WEEKLY,
                    previous.date().isoformat(),
                    f"{label}上周更新 {activity.last_week} 次，少于每周 {minimum} 次",
                )
            )
        week_end = monday + timedelta(days=7)
        if known_since <= monday and now >= week_end - warn and activity.this_week < minimum:
            found.append(
                Finding(
                    WARN_WEEKLY,
                    monday.date().isoformat(),
                    f"{label}本周已更新 {activity.this_week} 次，每周至少 {minimum} 次，"
                    f"请在 {when(week_end - timedelta(minutes=1))} 前更新",
                )
            )
    return found


async def activity_of(
    conn: BaseDBAsyncClient | None, accounts: list[Account], monday: datetime
) -> list[Activity]:
    """Last update and weekly counts of the accounts, in three grouped queries."""
    ids = [a.id for a in accounts]
    spans = (
        await AccountUpdate.filter(account_id__in=ids)
        .using_db(conn)
        .group_by("account_id")
        .annotate(first=Min("published_at"), last=Max("published_at"))
        .values_list("account_id", "first", "last")
    )
    first = {int(str(a)): f for a, f, _ in spans}
    last = {int(str(a)): m for a, _, m in spans}

    async def counts(start: datetime, end: datetime) -> dict[int, int]:
        rows = (
            await AccountUpdate.filter(
                account_id__in=ids, published_at__gte=start, published_at__lt=end
            )
            .using_db(conn)
            .group_by("account_id")
            .annotate(n=Count("id"))
            .values_list("account_id", "n")
        )
        return {int(str(a)): int(str(n)) for a, n in rows}

    this_week = await counts(monday, monday + timedelta(days=7))
    last_week = await counts(monday - timedelta(days=7), monday)
    return [
        Activity(
            account=a,
            last_update=_aware(last.get(a.id)),
            first_update=_aware(first.get(a.id)),
            this_week=this_week.get(a.id, 0),
            last_week=last_week.get(a.id, 0),
        )
        for a in accounts
    ]


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    # Aggregates bypass the field's conversion: SQLite hands back naive UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def check_activity(services: Services) -> int:
    """Warn and alert whatever the thresholds say now, each exactly once. Returns how many
    flags were raised."""
    now = services.clock.now()
    local = now.astimezone(services.tz)
    monday = week_start(now, local)
    raised = 0
    for team in await DutyTeam.filter(active=True).order_by("id"):
        units = [
            int(str(u))
            for u in await DutyScope.filter(team_id=team.id).values_list("unit_id", flat=True)
        ]
        accounts = (
            await Account.filter(owner_unit_id__in=units, status=AccountStatus.RUNNING)
            .order_by("id")
            .all()
        )
        if not accounts:
            continue
        seen = await _first_seen(accounts, now)
        for activity in await activity_of(None, accounts, monday):
            baseline = seen[activity.account.id]
            raised += await _flag_account(services, team, activity, now, monday, baseline)
    return raised


async def _first_seen(accounts: list[Account], now: datetime) -> dict[int, datetime]:
    """When the monitor first saw each account (recorded once, by the clock of that check)."""
    await ActivityFlag.bulk_create(
        [ActivityFlag(account_id=a.id, kind=SEEN, period="", at=now) for a in accounts],
        ignore_conflicts=True,
    )
    rows = await ActivityFlag.filter(
        kind=SEEN, account_id__in=[a.id for a in accounts]
    ).values_list("account_id", "at")
    return {int(str(a)): at for a, at in rows}


async def _flag_account(
    services: Services,
    team: DutyTeam,
    activity: Activity,
    now: datetime,
    monday: datetime,
    baseline: datetime,
) -> int:
    account = activity.account
    done = 0
    for finding in findings(services, now, activity, baseline=baseline, monday=monday):
        exists = await ActivityFlag.filter(
            account_id=account.id, kind=finding.kind, period=finding.period
        ).exists()
        if exists:
            continue
        try:
            async with in_transaction() as conn:
                w = Work.system(
                    services,
                    conn,
                    now=now,
                    key_prefix=f"activity:{account.id}:{finding.kind}:{finding.period}",
                    label="更新监测",
                )
                flag = await ActivityFlag.create(
                    using_db=conn,
                    account_id=account.id,
                    kind=finding.kind,
                    period=finding.period,
                    at=now,
                )
                await _speak(w, team, account, finding, flag)
        except IntegrityError:
            continue  # another worker flagged it first
        done += 1
        if w.emit.outbox_ids and services.outbox_kick is not None:
            await services.outbox_kick(w.emit.outbox_ids)
    return done


async def _speak(
    w: Work, team: DutyTeam, account: Account, finding: Finding, flag: ActivityFlag
) -> None:
    breach = finding.kind in (SILENCE, WEEKLY)
    if breach:
        alert, _ = await raise_alert(
            w,
            AlertRequest(
                team_id=team.id,
                severity=AlertSeverity.ORDINARY,
                source=AlertSource.ACTIVITY,
                title=f"{account.label}更新不达标",
                description=finding.text + "（" + _citation(w) + "）",
                account_id=account.id,
                dedupe_key=f"activity:{account.id}:{finding.kind}:{finding.period}",
                data={"category": RectCategory.NOT_UPDATED.value, "kind": finding.kind},
            ),
        )
        flag.alert_id = alert.id
        await flag.save(using_db=w.conn, update_fields=["alert_id"])
        text = f"【更新不达标】{finding.text}，已生成告警 {number(alert)}。{_citation(w)}"
    else:
        text = f"【更新预警】{finding.text}。{_citation(w)}"
    await _tell_owner(w, account, text)
    await w.audit(
        "duty.activity_breached" if breach else "duty.activity_warned",
        ALERT_SUBJECT if breach else "account",
        flag.alert_id if breach and flag.alert_id else account.id,
        {"account": account.id, "kind": finding.kind, "period": finding.period},
    )


def _citation(w: Work) -> str:
    policy = w.policy
    rule = policy.deadlines.get(SILENCE_RULE)
    parts = [f"依据：{policy.activity.min_posts_per_week.citation.source_text()}"]
    if rule is not None:
        parts.append(rule.citation.source_text())
    return "；".join(dict.fromkeys(parts))


async def _tell_owner(w: Work, account: Account, text: str) -> None:
    """The owner unit's people who run accounts: in its group with @, else 1:1."""
    unit_ids = [account.operator_unit_id or account.owner_unit_id]
    offices = await Unit.filter(
        parent_id=account.owner_unit_id, is_internal_office=True, active=True
    ).using_db(w.conn)
    unit_ids += [u.id for u in offices]
    workers: dict[int, Member] = {}
    for unit_id in unit_ids:
        for role in WORKER_ROLES:
            for member in await members_with_role(unit_id, role, w.conn):
                workers.setdefault(member.id, member)
    chat = await unit_chat(account.owner_unit_id, ChatPurpose.DUTY, w.conn) or await unit_chat(
        account.owner_unit_id, ChatPurpose.REVIEW, w.conn
    )
    if chat is not None:
        mentions = tuple(m.mention() for m in workers.values())
        await w.emit.to_chat(chat.id, Message(text=text, mentions=mentions))
        return
    for member in workers.values():
        await w.emit.to_person(member.id, Message(text=text))


# ---- 更新 ---------------------------------------------------------------------------------


async def update_command(ctx: HandlerContext, rest: str) -> None:
    """更新 账号名: record an update made outside the review flow; bare 更新: the figures."""
    name = rest.strip()
    accounts = await _my_accounts(ctx)
    if not name:
        await _show(ctx, accounts)
        return
    matches = [a for a in accounts if name in (a.name, a.label, a.key)]
    if not matches:
        matches = [a for a in accounts if name in a.label]
    if len(matches) != 1:
        known = "、".join(a.label for a in accounts[:12]) or "无"
        reason = "有多个账号符合" if matches else "没有找到账号"
        await ctx.reply(f"{reason}“{name}”。可选账号：{known}")
        return
    account = matches[0]
    await AccountUpdate.create(
        using_db=ctx.conn,
        account_id=account.id,
        post_id=None,
        link="",
        published_at=ctx.now,
        reported_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    await ctx.audit("duty.update_reported", "account", account.id, {"by": ctx.actor.id})
    monday = week_start(ctx.now, ctx.now.astimezone(ctx.tz))
    (activity,) = await activity_of(ctx.conn, [account], monday)
    await ctx.reply(
        f"已记录{account.label}的更新（{ctx.when(ctx.now)}）。本周已更新 {activity.this_week} 次。"
    )


async def _my_accounts(ctx: HandlerContext) -> list[Account]:
    """Accounts the person may report on: of their duty teams' scope, else of their unit."""
    day: date = ctx.now.astimezone(ctx.tz).date()
    units: set[int] = set()
    for team in await teams_of(ctx.conn, ctx.actor.id, day):
        units.update(await scope_units(ctx.conn, team))
    if not units:
        units.add(ctx.actor.unit.id)
        units.update(
            u.id for u in await Unit.filter(parent_id=ctx.actor.unit.id).using_db(ctx.conn)
        )
        if ctx.actor.unit.parent_id is not None:
            units.add(ctx.actor.unit.parent_id)
    return (
        await Account.filter(owner_unit_id__in=sorted(units), status=AccountStatus.RUNNING)
        .using_db(ctx.conn)
        .order_by("owner_unit_id", "id")
    )


async def _show(ctx: HandlerContext, accounts: list[Account]) -> None:
    if not accounts:
        await ctx.reply("没有可查看的账号。")
        return
    monday = week_start(ctx.now, ctx.now.astimezone(ctx.tz))
    minimum = ctx.policy.activity.min_posts_per_week.value
    lines = [f"账号更新情况（每周至少 {minimum} 次）："]
    for activity in await activity_of(ctx.conn, accounts, monday):
        last = ctx.when(activity.last_update) if activity.last_update else "无记录"
        mark = "" if activity.this_week >= minimum else " ⚠"
        lines.append(
            f"{activity.account.label}：最近更新 {last}，本周 {activity.this_week} 次{mark}"
        )
    lines.append("记录一次更新：发送“更新 账号名”。")
    await ctx.reply("\n".join(lines))
