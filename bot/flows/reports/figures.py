"""The figures of a periodic report, per unit and per account, read from the records.

``build(services, period, unit_id=None)`` reads each table once with grouped or column-only
queries (the scale bench runs it over 1,000 units and 100,000 rows per table) and computes:

- updates against the preset's weekly minimum (``activity.min_posts_per_week``) and the
  longest silence against ``update.max_silence`` (the activity monitor's two thresholds);
- review turnaround per level (初审/复审/终审): median and p90 hours from a level's card to
  its decision;
- rectification notices issued in the period, counted by ``rectification.records.count`` —
  the same function as the chat's ``整改记录``, so the numbers agree;
- acknowledgement times of duty alerts (raised → 确认告警) and handovers (提交交接 → 确认接班);
- the consequence flags the quarterly review and the overdue transition recorded (建议关停,
  整改函, 通报, 排名后三位), each with the preset's article.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from tortoise.functions import Max

from bot.clock import Clock
from bot.flows.rectification.model import (
    BOTTOM,
    BOTTOM_TWICE,
    CIRCULAR,
    CLOSE_SUGGESTED,
    FLAG_LABELS,
    LETTER,
)
from bot.flows.rectification.records import Counts, count
from bot.flows.reports.period import Period, ReportError
from bot.policy.model import Policy
from bot.policy.runtime import TimeKeeping
from storage.enums import AccountStatus
from storage.models.duty import DutyTeam
from storage.models.duty_alerts import Alert
from storage.models.duty_handover import DutyHandover, HandoverStatus
from storage.models.org import Account, Unit
from storage.models.rectification import RectFlag, Rectification
from storage.models.review import AccountUpdate, ReviewStep, StepStatus


class Reading(Protocol):
    """What a report needs of the process: ``Services`` has it, and so has the CLI's
    read-only stand-in (a report needs no Redis and no channels)."""

    @property
    def tz(self) -> ZoneInfo: ...

    @property
    def timekeeping(self) -> TimeKeeping: ...

    @property
    def clock(self) -> Clock: ...


SILENCE_RULE = "update.max_silence"
# Accounts whose updates are judged: a suspended or closing account is not expected to post.
JUDGED = AccountStatus.RUNNING
LISTED = (AccountStatus.RUNNING, AccountStatus.SUSPENDED, AccountStatus.CLOSING)
# Which preset penalty each flag kind applies (for the article cited beside it).
FLAG_PENALTIES = {
    CLOSE_SUGGESTED: "circulars_per_year",
    LETTER: "quarterly_letter",
    CIRCULAR: "no_improvement",
    BOTTOM: "bottom_three",
    BOTTOM_TWICE: "bottom_three",
}


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, median and p90 (nearest rank), in ``unit``."""

    n: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            return cls()
        ordered = sorted(values)
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(len(ordered), float(statistics.median(ordered)), ordered[rank - 1])


@dataclass
class AccountFigures:
    account_id: int
    unit_id: int
    unit_name: str
    label: str  # 临江文旅（微信）, as the chat and the notices name it
    status: str  # AccountStatus label
    judged: bool  # running: its updates count against the thresholds
    updates: int = 0
    weeks_judged: int = 0
    weeks_short: int = 0  # weeks with fewer updates than the weekly minimum
    required: int = 0  # minimum per week × weeks judged
    last_update: datetime | None = None
    silent_days: int = 0  # the longest stretch without an update inside the period
    silence_breach: bool = False  # longer than update.max_silence allows
    rect: Counts = field(default_factory=Counts)

    @property
    def qualified(self) -> bool:
        return not self.judged or (not self.silence_breach and self.weeks_short == 0)


@dataclass
class FlagRow:
    period: str
    kind: str
    label: str  # 建议关停 …
    unit_id: int
    unit_name: str
    account_label: str
    reason: str
    basis: str  # 依据《…》第十七条


@dataclass
class UnitFigures:
    unit_id: int
    name: str
    accounts: int = 0
    updates: int = 0
    required: int = 0
    accounts_short: int = 0  # accounts with at least one week under the minimum
    accounts_silent: int = 0  # accounts that broke the silence limit
    longest_silence: int = 0
    rect: Counts = field(default_factory=Counts)
    # Level name (初审 …) → hours from the level's card to its decision.
    review: dict[str, Spread] = field(default_factory=dict)
    alerts: int = 0
    alerts_unacknowledged: int = 0
    alert_ack: Spread = field(default_factory=Spread)  # minutes
    handovers: int = 0
    handovers_unacknowledged: int = 0
    handover_ack: Spread = field(default_factory=Spread)  # minutes
    flags: list[str] = field(default_factory=list)  # labels, for the table


@dataclass
class Report:
    period: Period
    generated_at: datetime
    policy_id: str
    jurisdiction: str
    tz: ZoneInfo
    scope: str  # 全区 or the unit's name
    unit_id: int | None
    # Figures up to this moment: the period's end, or now for a period still running.
    until: datetime
    min_per_week: int
    silence_text: str
    levels: list[str]
    units: list[UnitFigures]
    accounts: list[AccountFigures]
    flags: list[FlagRow]
    total: UnitFigures
    basis: list[tuple[str, str]]  # (what, 依据) lines for the 说明 sheet

    @property
    def title(self) -> str:
        return f"政务新媒体{self.period.title}报表（{self.scope}）"

    @property
    def empty(self) -> bool:
        """Nothing happened in the period: no update, review, notice, alert or handover."""
        t = self.total
        return not (t.updates or t.review or t.rect.issued or t.alerts or t.handovers)


InScope = Callable[[int], bool]
RowOf = Callable[[int], UnitFigures]


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


class _Units:
    """The unit tree in memory: each unit's owning unit (internal offices roll up)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.rows = {u.id: u for u in units}

    def owner(self, unit_id: int) -> int:
        seen: set[int] = set()
        current = self.rows.get(unit_id)
        while current is not None and current.is_internal_office and current.id not in seen:
            seen.add(current.id)
            parent = current.parent_id
            if parent is None or parent not in self.rows:
                break
            current = self.rows[parent]
        return current.id if current is not None else unit_id

    def name(self, unit_id: int) -> str:
        unit = self.rows.get(unit_id)
        return unit.name if unit is not None else f"单位{unit_id}"


async def build(services: Reading, period: Period, unit_id: int | None = None) -> Report:
    """The report of ``period`` for the district, or for one unit (its accounts and offices)."""
    tz = services.tz
    policy = services.timekeeping.policy
    now = services.clock.now()
    start, end = period.bounds(tz)
    if start > now:
        raise ReportError(f"{period.title}还没有开始。")
    until = min(end, now)
    units = _Units(await Unit.all())
    if unit_id is not None and unit_id not in units.rows:
        raise ReportError("没有这个单位。")
    scope_id = units.owner(unit_id) if unit_id is not None else None

    def in_scope(owner: int) -> bool:
        return scope_id is None or owner == scope_id

    figures: dict[int, UnitFigures] = {}

    def unit_row(owner: int) -> UnitFigures:
        row = figures.get(owner)
        if row is None:
            row = figures[owner] = UnitFigures(owner, units.name(owner))
        return row

    accounts = await _accounts(services, policy, period, units, in_scope, start, until)
    for acc in accounts.values():
        row = unit_row(acc.unit_id)
        row.accounts += 1
        row.updates += acc.updates
        row.required += acc.required
        row.accounts_short += 1 if acc.weeks_short else 0
        row.accounts_silent += 1 if acc.silence_breach else 0
        row.longest_silence = max(row.longest_silence, acc.silent_days)

    levels, review_hours = await _review(units, in_scope, start, end, unit_row)
    await _rectifications(units, in_scope, start, end, unit_row, accounts)
    alert_minutes = await _alerts(units, in_scope, start, end, unit_row)
    handover_minutes = await _handovers(units, in_scope, start, end, unit_row)
    flags = await _flags(policy, period, units, in_scope, start, end)
    for flag in flags:
        unit_row(flag.unit_id).flags.append(flag.label)

    ordered = sorted(figures.values(), key=lambda u: u.name)
    total = _total(ordered)
    total.review = {name: Spread.of(review_hours[name]) for name in levels}
    total.alert_ack = Spread.of(alert_minutes)
    total.handover_ack = Spread.of(handover_minutes)
    silence = policy.deadlines.get(SILENCE_RULE)
    minimum = policy.activity.min_posts_per_week
    basis = [
        (f"每周至少更新{minimum.value}次", minimum.citation.basis()),
        (
            f"停更判定：{silence.phrase()}" if silence is not None else "停更判定：未规定",
            silence.citation.basis() if silence is not None else "",
        ),
        (
            f"停更后果：{policy.activity.silence_consequence.value}",
            policy.activity.silence_consequence.citation.basis(),
        ),
    ]
    for key in ("circulars_per_year", "quarterly_letter", "no_improvement", "bottom_three"):
        penalty = policy.penalties.get(key)
        if penalty is not None and not penalty.citation.silent:
            basis.append((f"{penalty.label}：{penalty.value_text()}", penalty.citation.basis()))
    basis.append((f"检查与报告：{policy.reporting.value}", policy.reporting.citation.basis()))
    return Report(
        period=period,
        generated_at=now,
        policy_id=policy.id,
        jurisdiction=policy.jurisdiction,
        tz=tz,
        scope=units.name(scope_id) if scope_id is not None else "全区",
        unit_id=scope_id,
        until=until,
        min_per_week=minimum.value,
        silence_text=silence.length_text() if silence is not None else "",
        levels=levels,
        units=ordered,
        accounts=sorted(accounts.values(), key=lambda a: (a.unit_name, a.label)),
        flags=flags,
        total=total,
        basis=basis,
    )


async def _accounts(
    services: Reading,
    policy: Policy,
    period: Period,
    units: _Units,
    in_scope: InScope,
    start: datetime,
    until: datetime,
) -> dict[int, AccountFigures]:
    rows = await Account.filter(status__in=list(LISTED)).only(
        "id", "name", "platform", "platform_name", "owner_unit_id", "status", "opened_on"
    )
    found: dict[int, AccountFigures] = {}
    opened: dict[int, datetime] = {}
    for acc in rows:
        owner = units.owner(acc.owner_unit_id)
        if not in_scope(owner):
            continue
        status = AccountStatus(acc.status)
        found[acc.id] = AccountFigures(
            account_id=acc.id,
            unit_id=owner,
            unit_name=units.name(owner),
            label=acc.label,
            status=status.label,
            judged=status == JUDGED,
        )
        if acc.opened_on is not None:
            opened[acc.id] = datetime.combine(acc.opened_on, time(0), tzinfo=start.tzinfo)
    if not found:
        return found
    ids = list(found)
    times: dict[int, list[datetime]] = defaultdict(list)
    for account_id, published in await AccountUpdate.filter(
        published_at__gte=start, published_at__lt=until
    ).values_list("account_id", "published_at"):
        if account_id in found:
            times[account_id].append(published)
    before: dict[int, datetime] = {}
    for item in (
        await AccountUpdate.filter(published_at__lt=start)
        .group_by("account_id")
        .annotate(last=Max("published_at"))
        .values("account_id", "last")
    ):
        if item["account_id"] in found:
            before[item["account_id"]] = item["last"]
    minimum = policy.activity.min_posts_per_week.value
    weeks = _weeks(start, until)
    has_rule = SILENCE_RULE in policy.deadlines
    for account_id in ids:
        row = found[account_id]
        stamps = sorted(times.get(account_id, []))
        row.updates = len(stamps)
        row.last_update = stamps[-1] if stamps else before.get(account_id)
        if not row.judged:
            continue
        since = opened.get(account_id)
        judged_weeks = [w for w in weeks if since is None or w >= since]
        row.weeks_judged = len(judged_weeks)
        row.required = minimum * len(judged_weeks)
        if minimum:
            row.weeks_short = sum(
                1
                for monday in judged_weeks
                if sum(1 for s in stamps if monday <= s < monday + timedelta(days=7)) < minimum
            )
        first = before.get(account_id)
        if first is None:
            # Nothing known before the period: silent from its start (or the opening day).
            first = max(start, since) if since is not None else start
        gap_start, gap = _longest_gap(first, stamps, until, start)
        row.silent_days = int(gap.total_seconds() // 86400)
        if has_rule and gap > timedelta(0):
            due = services.timekeeping.due(SILENCE_RULE, gap_start).due_at
            row.silence_breach = gap_start + gap > due
    return found


def _weeks(start: datetime, until: datetime) -> list[datetime]:
    """Mondays of the weeks judged: starting in the period and ended by ``until``."""
    day = start
    while day.weekday() != 0:
        day = datetime.combine(day.date() + timedelta(days=1), day.timetz())
    mondays = []
    while day + timedelta(days=7) <= until:
        mondays.append(day)
        day = datetime.combine(day.date() + timedelta(days=7), day.timetz())
    return mondays


def _longest_gap(
    first: datetime, stamps: list[datetime], until: datetime, start: datetime
) -> tuple[datetime, timedelta]:
    """The longest stretch without an update that reaches into the period (from the last
    update before it, if known), clipped at ``until``."""
    points = [first, *stamps, until]
    best_start, best = first, timedelta(0)
    for a, b in itertools.pairwise(points):
        if b <= start:
            continue
        if b - a > best:
            best_start, best = a, b - a
    return best_start, best


async def _review(
    units: _Units, in_scope: InScope, start: datetime, end: datetime, unit_row: RowOf
) -> tuple[list[str], dict[str, list[float]]]:
    spans: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    order: dict[str, int] = {}
    every: dict[str, list[float]] = defaultdict(list)
    decided = (StepStatus.APPROVED, StepStatus.RETURNED, StepStatus.REJECTED)
    for level, name, created, decided_at, author_unit in await ReviewStep.filter(
        decided_at__gte=start, decided_at__lt=end, status__in=list(decided)
    ).values_list("level", "level_name", "created_at", "decided_at", "post__unit_id"):
        owner = units.owner(int(author_unit))
        if not in_scope(owner):
            continue
        order.setdefault(name, level)
        hours = _hours(created, decided_at)
        spans[owner][name].append(hours)
        every[name].append(hours)
    for owner, by_level in spans.items():
        row = unit_row(owner)
        for name, values in by_level.items():
            row.review[name] = Spread.of(values)
    return sorted(order, key=lambda n: (order[n], n)), every


async def _rectifications(
    units: _Units,
    in_scope: InScope,
    start: datetime,
    end: datetime,
    unit_row: RowOf,
    accounts: dict[int, AccountFigures],
) -> None:
    by_unit: dict[int, list[Rectification]] = defaultdict(list)
    by_account: dict[int, list[Rectification]] = defaultdict(list)
    for rect in await Rectification.filter(issued_at__gte=start, issued_at__lt=end).only(
        "id", "owner_unit_id", "account_id", "status", "ever_overdue", "reopened"
    ):
        # Notices name the owner unit itself (issue_notice resolves it), so no roll-up here:
        # 整改记录 groups by the same column.
        if not in_scope(units.owner(rect.owner_unit_id)):
            continue
        by_unit[rect.owner_unit_id].append(rect)
        if rect.account_id is not None:
            by_account[rect.account_id].append(rect)
    for owner, rects in by_unit.items():
        unit_row(owner).rect = count(rects)
    for account_id, rects in by_account.items():
        if account_id in accounts:
            accounts[account_id].rect = count(rects)


async def _team_units(units: _Units) -> dict[int, int]:
    return {
        team_id: units.owner(unit_id)
        for team_id, unit_id in await DutyTeam.all().values_list("id", "unit_id")
    }


async def _alerts(
    units: _Units, in_scope: InScope, start: datetime, end: datetime, unit_row: RowOf
) -> list[float]:
    teams = await _team_units(units)
    owners = {
        acc_id: units.owner(unit_id)
        for acc_id, unit_id in await Account.all().values_list("id", "owner_unit_id")
    }
    spans: dict[int, list[float]] = defaultdict(list)
    for team_id, account_id, raised, acked in await Alert.filter(
        raised_at__gte=start, raised_at__lt=end
    ).values_list("team_id", "account_id", "raised_at", "acknowledged_at"):
        # An alert about an account belongs to the account's unit; others to the team's.
        owner = owners.get(account_id) if account_id is not None else teams.get(team_id)
        if owner is None or not in_scope(owner):
            continue
        row = unit_row(owner)
        row.alerts += 1
        if acked is None:
            row.alerts_unacknowledged += 1
        else:
            spans[owner].append(_minutes(raised, acked))
    for owner, values in spans.items():
        unit_row(owner).alert_ack = Spread.of(values)
    return [v for values in spans.values() for v in values]


async def _handovers(
    units: _Units, in_scope: InScope, start: datetime, end: datetime, unit_row: RowOf
) -> list[float]:
    teams = await _team_units(units)
    spans: dict[int, list[float]] = defaultdict(list)
    for team_id, status, change_at, submitted, acked in await DutyHandover.filter(
        change_at__gte=start,
        change_at__lt=end,
        status__in=[HandoverStatus.SUBMITTED, HandoverStatus.ACKNOWLEDGED],
    ).values_list("team_id", "status", "change_at", "submitted_at", "acknowledged_at"):
        owner = teams.get(team_id)
        if owner is None or not in_scope(owner):
            continue
        row = unit_row(owner)
        row.handovers += 1
        if acked is None or status != HandoverStatus.ACKNOWLEDGED:
            row.handovers_unacknowledged += 1
        else:
            # From handing over (or the change time, if handed over early) to 确认接班.
            spans[owner].append(_minutes(max(submitted or change_at, change_at), acked))
    for owner, values in spans.items():
        unit_row(owner).handover_ack = Spread.of(values)
    return [v for values in spans.values() for v in values]


async def _flags(
    policy: Policy,
    period: Period,
    units: _Units,
    in_scope: InScope,
    start: datetime,
    end: datetime,
) -> list[FlagRow]:
    """Flags of the quarters the period overlaps, and yearly flags raised inside it."""
    quarters = [q.label for q in period.quarters()]
    years = sorted({str(period.start.year), str((period.end - timedelta(days=1)).year)})
    labels = {
        acc_id: Account(name=name, platform=platform, platform_name=pname).label
        for acc_id, name, platform, pname in await Account.all().values_list(
            "id", "name", "platform", "platform_name"
        )
    }
    found: list[FlagRow] = []
    for flag in await RectFlag.filter(period__in=quarters + years).order_by("period", "id"):
        if flag.period in years and not start <= flag.created_at < end:
            continue
        owner = units.owner(flag.unit_id)
        if not in_scope(owner):
            continue
        penalty = policy.penalties.get(FLAG_PENALTIES.get(flag.kind, ""))
        found.append(
            FlagRow(
                period=flag.period,
                kind=flag.kind,
                label=FLAG_LABELS.get(flag.kind, flag.kind),
                unit_id=owner,
                unit_name=units.name(owner),
                account_label=labels.get(flag.account_id, "") if flag.account_id else "",
                reason=flag.reason,
                basis=penalty.citation.basis() if penalty is not None else "",
            )
        )
    return found


def _total(units: list[UnitFigures]) -> UnitFigures:
    """The district line: sums and the longest silence (``build`` adds the spreads, taken
    over every value: medians do not add up)."""
    total = UnitFigures(0, "合计")
    for row in units:
        total.accounts += row.accounts
        total.updates += row.updates
        total.required += row.required
        total.accounts_short += row.accounts_short
        total.accounts_silent += row.accounts_silent
        total.longest_silence = max(total.longest_silence, row.longest_silence)
        total.rect = Counts(
            total.rect.issued + row.rect.issued,
            total.rect.on_time + row.rect.on_time,
            total.rect.overdue + row.rect.overdue,
            total.rect.reopened + row.rect.reopened,
            total.rect.open + row.rect.open,
        )
        total.alerts += row.alerts
        total.alerts_unacknowledged += row.alerts_unacknowledged
        total.handovers += row.handovers
        total.handovers_unacknowledged += row.handovers_unacknowledged
        total.flags.extend(row.flags)
    return total
