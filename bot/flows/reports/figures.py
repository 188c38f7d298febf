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

import bisect
import itertools
import math
import operator
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet, ValuesListQuery

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
from bot.timekeeping.rules import CalendarDaysRule
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
WEEK = timedelta(days=7)
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


async def _raw(query: ValuesListQuery[Any]) -> list[tuple[Any, ...]]:
    """A ``values_list`` query's rows as the database driver returns them.

    tortoise converts every value through its field (several µs each: seconds for the half
    million values of a large quarter); the report converts the few it needs itself (``_at``).
    The query is still built by tortoise, so filter values are converted as usual (datetimes
    to UTC on SQLite, see ``storage._utc_datetimes``). Uses tortoise internals (pinned < 1.2).
    """
    query._choose_db_if_not_chosen()
    query._make_query()
    _, rows = await query._db.execute_query(*query.query.get_parameterized_sql())
    # Columns by their aliases ("0", "1", …), as tortoise reads them: an annotation may be
    # selected twice (by its name and its position).
    keys = list(query.fields)
    if len(keys) == 1:
        return [(row[keys[0]],) for row in rows]
    pick = operator.itemgetter(*keys)
    return [pick(row) for row in rows]


def _at(value: Any) -> datetime:
    """A stored datetime: asyncpg gives aware datetimes, SQLite ISO text in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
        # Looked up once per row read (hundreds of thousands of times): precomputed.
        self.owners = {unit_id: self._walk(unit_id) for unit_id in self.rows}
        # One unit's report: its units (itself and its offices) and accounts, so that every
        # query reads that unit's rows only; None for the district.
        self.members: list[int] | None = None
        self.account_ids: list[int] | None = None

    def narrow_to(self, owner: int) -> None:
        self.members = [unit_id for unit_id, o in self.owners.items() if o == owner]

    def where(self, column: str) -> dict[str, list[int]]:
        """A filter keeping the scope's rows (``column`` holds a unit id); none for the district."""
        return {} if self.members is None else {f"{column}__in": self.members}

    def owner(self, unit_id: int) -> int:
        return self.owners.get(unit_id, unit_id)

    def _walk(self, unit_id: int) -> int:
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
    if scope_id is not None:
        units.narrow_to(scope_id)

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
    flags = await _flags(policy, period, units, in_scope, start, end, accounts)
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
    rows = await Account.filter(status__in=list(LISTED), **units.where("owner_unit_id")).only(
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
    if units.members is not None:
        units.account_ids = ids
    mine = {} if units.account_ids is None else {"account_id__in": units.account_ids}
    # POSIX seconds: 100,000 aware datetimes compared and sorted cost a second of CPU.
    times: dict[int, list[float]] = defaultdict(list)
    for account_id, published in await _raw(
        AccountUpdate.filter(published_at__gte=start, published_at__lt=until, **mine).values_list(
            "account_id", "published_at"
        )
    ):
        if account_id in found:
            times[account_id].append(_at(published).timestamp())
    before: dict[int, datetime] = {}
    for item in (
        await AccountUpdate.filter(published_at__lt=start, **mine)
        .group_by("account_id")
        .annotate(last=Max("published_at"))
        .values("account_id", "last")
    ):
        if item["account_id"] in found:
            before[item["account_id"]] = _at(item["last"])
    minimum = policy.activity.min_posts_per_week.value
    weeks = _weeks(start, until)
    start_s, until_s = start.timestamp(), until.timestamp()
    week_starts = [w.timestamp() for w in weeks]
    week_ends = [(w + WEEK).timestamp() for w in weeks]
    tz = services.tz
    rule = policy.deadlines.get(SILENCE_RULE)
    dues: dict[object, datetime] = {}

    def silence_due(since: datetime) -> datetime:
        # A calendar-days rule ends at a day's end: its due time depends on the local date
        # alone, so 10,000 accounts need a few dozen calendar look-ups, not 10,000.
        key: object = (
            since.astimezone(services.tz).date() if isinstance(rule, CalendarDaysRule) else since
        )
        if key not in dues:
            dues[key] = services.timekeeping.due(SILENCE_RULE, since).due_at
        return dues[key]

    for account_id in ids:
        row = found[account_id]
        stamps = sorted(times.get(account_id, []))
        row.updates = len(stamps)
        row.last_update = (
            datetime.fromtimestamp(stamps[-1], tz) if stamps else before.get(account_id)
        )
        if not row.judged:
            continue
        since = opened.get(account_id)
        judged_weeks = [w for w in weeks if since is None or w >= since]
        judged = set(judged_weeks)
        row.weeks_judged = len(judged_weeks)
        row.required = minimum * len(judged_weeks)
        if minimum and judged_weeks:
            # Each update into its week by the weeks' start instants (exact across DST).
            per_week = [0] * len(weeks)
            for stamp in stamps:
                index = bisect.bisect_right(week_starts, stamp) - 1
                if 0 <= index < len(weeks) and stamp < week_ends[index]:
                    per_week[index] += 1
            row.weeks_short = sum(
                1
                for index, monday in enumerate(weeks)
                if monday in judged and per_week[index] < minimum
            )
        first = before.get(account_id)
        if first is None:
            # Nothing known before the period: silent from its start (or the opening day).
            first = max(start, since) if since is not None else start
        begin, length = _longest_gap(first.timestamp(), stamps, until_s, start_s)
        row.silent_days = int(length // 86400)
        if rule is not None and length > 0:
            gap_start = datetime.fromtimestamp(begin, tz)
            row.silence_breach = gap_start + timedelta(seconds=length) > silence_due(gap_start)
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
    first: float, stamps: list[float], until: float, start: float
) -> tuple[float, float]:
    """The longest stretch without an update that reaches into the period (from the last
    update before it, if known), clipped at ``until``: (its start, its length), in seconds."""
    points = [first, *stamps, until]
    best_start, best = first, 0.0
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
    for level, name, created, decided_at, author_unit in await _raw(
        ReviewStep.filter(
            decided_at__gte=start,
            decided_at__lt=end,
            status__in=list(decided),
            **units.where("post__unit_id"),
        ).values_list("level", "level_name", "created_at", "decided_at", "post__unit_id")
    ):
        owner = units.owner(int(author_unit))
        if not in_scope(owner):
            continue
        order.setdefault(name, level)
        hours = _hours(_at(created), _at(decided_at))
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
    # Grouped in the database: notices alike in every column ``count`` reads are counted once
    # and multiplied (100,000 notices become a few per account).
    by_unit: dict[int, Counts] = defaultdict(Counts)
    by_account: dict[int, Counts] = defaultdict(Counts)
    for owner_unit, account_id, status, ever_overdue, reopened, n in await _raw(
        Rectification.filter(
            issued_at__gte=start, issued_at__lt=end, **units.where("owner_unit_id")
        )
        .annotate(n=Count("id"))
        .group_by("owner_unit_id", "account_id", "status", "ever_overdue", "reopened")
        .values_list("owner_unit_id", "account_id", "status", "ever_overdue", "reopened", "n")
    ):
        # Notices name the owner unit itself (issue_notice resolves it), so no roll-up here:
        # 整改记录 groups by the same column.
        if not in_scope(units.owner(owner_unit)):
            continue
        one = count([_Notice(str(status), bool(ever_overdue), int(reopened))])
        _add(by_unit[owner_unit], one, int(n))
        if account_id is not None:
            _add(by_account[account_id], one, int(n))
    for owner, counts in by_unit.items():
        unit_row(owner).rect = counts
    for account_id, counts in by_account.items():
        if account_id in accounts:
            accounts[account_id].rect = counts


def _add(total: Counts, one: Counts, times: int = 1) -> None:
    total.issued += one.issued * times
    total.on_time += one.on_time * times
    total.overdue += one.overdue * times
    total.reopened += one.reopened * times
    total.open += one.open * times


@dataclass(frozen=True)
class _Notice:
    """The columns of a notice that ``count`` reads (a model per row is too slow at scale)."""

    status: str
    ever_overdue: bool
    reopened: int


async def _team_units(units: _Units) -> dict[int, int]:
    return {
        team_id: units.owner(unit_id)
        for team_id, unit_id in await DutyTeam.all().values_list("id", "unit_id")
    }


def _scoped_teams(units: _Units, teams: dict[int, int]) -> dict[str, list[int]]:
    if units.members is None:
        return {}
    return {"team_id__in": [t for t, owner in teams.items() if owner in units.members]}


def _scoped_alerts(units: _Units, teams: dict[int, int], query: QuerySet[Alert]) -> QuerySet[Alert]:
    """One unit's alerts: about its accounts, or without an account from its teams."""
    if units.members is None:
        return query
    mine = [t for t, owner in teams.items() if owner in units.members]
    return query.filter(
        Q(account_id__in=units.account_ids or []) | Q(account_id__isnull=True, team_id__in=mine)
    )


async def _alerts(
    units: _Units, in_scope: InScope, start: datetime, end: datetime, unit_row: RowOf
) -> list[float]:
    teams = await _team_units(units)
    owners = {
        acc_id: units.owner(unit_id)
        for acc_id, unit_id in await _raw(Account.all().values_list("id", "owner_unit_id"))
    }
    spans: dict[int, list[float]] = defaultdict(list)
    for team_id, account_id, raised, acked in await _raw(
        _scoped_alerts(
            units, teams, Alert.filter(raised_at__gte=start, raised_at__lt=end)
        ).values_list("team_id", "account_id", "raised_at", "acknowledged_at")
    ):
        # An alert about an account belongs to the account's unit; others to the team's.
        owner = owners.get(account_id) if account_id is not None else teams.get(team_id)
        if owner is None or not in_scope(owner):
            continue
        row = unit_row(owner)
        row.alerts += 1
        if acked is None:
            row.alerts_unacknowledged += 1
        else:
            spans[owner].append(_minutes(_at(raised), _at(acked)))
    for owner, values in spans.items():
        unit_row(owner).alert_ack = Spread.of(values)
    return [v for values in spans.values() for v in values]


async def _handovers(
    units: _Units, in_scope: InScope, start: datetime, end: datetime, unit_row: RowOf
) -> list[float]:
    teams = await _team_units(units)
    spans: dict[int, list[float]] = defaultdict(list)
    for team_id, status, change_at, submitted, acked in await _raw(
        DutyHandover.filter(
            **_scoped_teams(units, teams),
            change_at__gte=start,
            change_at__lt=end,
            status__in=[HandoverStatus.SUBMITTED, HandoverStatus.ACKNOWLEDGED],
        ).values_list("team_id", "status", "change_at", "submitted_at", "acknowledged_at")
    ):
        owner = teams.get(team_id)
        if owner is None or not in_scope(owner):
            continue
        row = unit_row(owner)
        row.handovers += 1
        if acked is None or status != HandoverStatus.ACKNOWLEDGED:
            row.handovers_unacknowledged += 1
        else:
            # From handing over (or the change time, if handed over early) to 确认接班.
            change = _at(change_at)
            handed = _at(submitted) if submitted is not None else change
            spans[owner].append(_minutes(max(handed, change), _at(acked)))
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
    accounts: dict[int, AccountFigures],
) -> list[FlagRow]:
    """Flags of the quarters the period overlaps, and yearly flags raised inside it."""
    quarters = [q.label for q in period.quarters()]
    years = sorted({str(period.start.year), str((period.end - timedelta(days=1)).year)})
    rows = await RectFlag.filter(period__in=quarters + years, **units.where("unit_id")).order_by(
        "period", "id"
    )
    labels = {a.account_id: a.label for a in accounts.values()}
    missing = {f.account_id for f in rows if f.account_id and f.account_id not in labels}
    for account in await Account.filter(id__in=list(missing)):  # closed since: still named
        labels[account.id] = account.label
    found: list[FlagRow] = []
    for flag in rows:
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
        _add(total.rect, row.rect)
        total.alerts += row.alerts
        total.alerts_unacknowledged += row.alerts_unacknowledged
        total.handovers += row.handovers
        total.handovers_unacknowledged += row.handovers_unacknowledged
        total.flags.extend(row.flags)
    return total
