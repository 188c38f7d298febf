"""The lists whose rows belong to units: the registry, filings and posts in progress, and the
rectification notices. Each reads one page of rows through indexed filters (unit, status,
platform) and then the few related rows of that page in grouped queries, so a page costs the
same with 10,000 accounts as with 10."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tortoise.queryset import QuerySet

from bot.flows.duty.activity import (
    SEEN,
    SILENCE,
    WEEKLY,
    activity_of,
    findings,
    week_start,
)
from bot.flows.filing.model import HEAD_LEVEL, SUPERVISOR_LEVEL
from bot.flows.rectification.model import number
from bot.web.dash.listing import (
    Cell,
    Choice,
    Ctx,
    Filter,
    Listing,
    Paging,
    choice_value,
    countdown,
    duration,
    too_many,
    unit_filter,
)
from storage.enums import ACCOUNT_STATUS_LABELS, MEDIA_PLATFORM_LABELS, AccountStatus
from storage.models.deadlines import Deadline, DeadlineStatus
from storage.models.duty_alerts import ActivityFlag
from storage.models.filing import FILING_KIND_LABELS, Filing, FilingKind, FilingStatus
from storage.models.org import Account, Person, Unit
from storage.models.rectification import (
    RECT_CATEGORY_LABELS,
    RectCategory,
    Rectification,
    RectStatus,
    Severity,
)
from storage.models.review import Post, PostStatus, ReviewStep, StepStatus

PLATFORM_CHOICES = (
    Choice("", "全部"),
    *(Choice(p.value, label) for p, label in MEDIA_PLATFORM_LABELS.items()),
)
ACCOUNT_STATUS_CHOICES = (
    Choice("", "全部"),
    *(Choice(s.value, label) for s, label in ACCOUNT_STATUS_LABELS.items()),
)


async def unit_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await Unit.filter(id__in=wanted).values_list("id", "name")
    return {int(str(i)): str(n) for i, n in rows}


async def person_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await Person.filter(id__in=wanted).values_list("id", "name")
    return {int(str(i)): str(n) for i, n in rows}


async def top_units() -> list[tuple[int, str]]:
    """Units that own accounts and notices (internal offices are part of their body)."""
    rows = (
        await Unit.filter(active=True, is_internal_office=False)
        .order_by("id")
        .values_list("id", "name")
    )
    return [(int(str(i)), str(n)) for i, n in rows]


def scoped(ctx: Ctx, query: QuerySet, field: str, chosen: int | None) -> QuerySet:  # type: ignore[type-arg]
    """Rows of the chosen unit, else of every unit the viewer sees."""
    if chosen is not None:
        return query.filter(**{field: chosen})
    if not ctx.viewer.district:
        return query.filter(**{f"{field}__in": sorted(ctx.viewer.unit_ids)})
    return query


# ---- 账号台账 ---------------------------------------------------------------------------


async def registry(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    unit_f, unit_id = unit_filter(ctx, query, await top_units())
    platform = choice_value(query, "platform", PLATFORM_CHOICES)
    status = choice_value(query, "status", ACCOUNT_STATUS_CHOICES)
    rows_q = scoped(ctx, Account.all(), "owner_unit_id", unit_id)
    if platform:
        rows_q = rows_q.filter(platform=platform)
    if status:
        rows_q = rows_q.filter(status=status)
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    accounts = (
        await rows_q.order_by("owner_unit_id", "id").offset(paging.offset).limit(paging.limit)
    )
    units = await unit_names(a.owner_unit_id for a in accounts)
    verdicts = await _activity(ctx, accounts)
    minimum = ctx.services.timekeeping.policy.activity.min_posts_per_week.value
    rows: list[tuple[Cell, ...]] = []
    for a in accounts:
        last, week, verdict = verdicts.get(a.id, (None, None, Cell("不监测")))
        rows.append(
            (
                Cell(units.get(a.owner_unit_id, "")),
                Cell(a.name),
                Cell(a.platform_label),
                Cell(a.platform_account_id or "未登记"),
                Cell(AccountStatus(a.status).label),
                Cell(ctx.when(last) if last else ("无记录" if week is not None else "")),
                Cell(
                    f"{week}/{minimum}" if week is not None else "",
                    css="warn" if week is not None and week < minimum else "",
                ),
                verdict,
            )
        )
    return Listing(
        key="registry",
        title="账号台账",
        columns=(
            "单位",
            "账号名称",
            "平台",
            "平台账号",
            "状态",
            "最近更新",
            "本周更新/要求",
            "是否达标",
        ),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[
            unit_f,
            Filter("platform", "平台", platform, PLATFORM_CHOICES),
            Filter("status", "状态", status, ACCOUNT_STATUS_CHOICES),
        ],
        note=f"更新要求依据本地政策预设：每周至少 {minimum} 次；达标判定与值班的更新监测一致。",
    )


async def _activity(
    ctx: Ctx, accounts: list[Account]
) -> dict[int, tuple[datetime | None, int, Cell]]:
    """Last update, this week's count and the verdict of the running accounts, judged by the
    activity monitor's own rules (``findings``): 不达标 is a breach it alerts on, 预警 a
    warning it sends."""
    running = [a for a in accounts if a.status == AccountStatus.RUNNING]
    if not running:
        return {}
    services = ctx.services
    monday = week_start(ctx.now, ctx.now.astimezone(services.tz))
    seen_rows = await ActivityFlag.filter(
        kind=SEEN, account_id__in=[a.id for a in running]
    ).values_list("account_id", "at")
    seen = {int(str(a)): at for a, at in seen_rows}
    found: dict[int, tuple[datetime | None, int, Cell]] = {}
    for chunk in _chunks(running, 1000):
        for activity in await activity_of(None, chunk, monday):
            account = activity.account
            baseline = seen.get(account.id) or account.created_at
            verdicts = findings(services, ctx.now, activity, baseline=baseline, monday=monday)
            breaches = [f.text for f in verdicts if f.kind in (SILENCE, WEEKLY)]
            if breaches:
                cell = Cell("不达标：" + "；".join(breaches), css="overdue")
            elif verdicts:
                cell = Cell("预警：" + "；".join(f.text for f in verdicts), css="warn")
            else:
                cell = Cell("达标", css="ok")
            found[account.id] = (activity.last_update, activity.this_week, cell)
    return found


def _chunks(items: list[Account], size: int) -> Iterable[list[Account]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- 备案办理 ---------------------------------------------------------------------------

FILING_STATUS_CHOICES = (
    Choice("", "办理中（全部）"),
    Choice(FilingStatus.PENDING.value, "审批中"),
    Choice(FilingStatus.RETURNED.value, "已退回待修改"),
)
FILING_KIND_CHOICES = (
    Choice("", "全部"),
    *(Choice(k.value, label) for k, label in FILING_KIND_LABELS.items()),
)


async def filings(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    unit_f, unit_id = unit_filter(ctx, query, await top_units())
    status = choice_value(query, "status", FILING_STATUS_CHOICES)
    kind = choice_value(query, "kind", FILING_KIND_CHOICES)
    statuses = [status] if status else [FilingStatus.PENDING.value, FilingStatus.RETURNED.value]
    rows_q = scoped(ctx, Filing.filter(status__in=statuses), "unit_id", unit_id)
    if kind:
        rows_q = rows_q.filter(kind=kind)
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    items = await rows_q.order_by("submitted_at", "id").offset(paging.offset).limit(paging.limit)
    units = await unit_names(f.unit_id for f in items)
    clerks = await person_names(f.clerk_id for f in items)
    dues = await _open_deadlines("filing", [f.id for f in items])
    rows: list[tuple[Cell, ...]] = []
    for f in items:
        waiting = (HEAD_LEVEL, SUPERVISOR_LEVEL)[min(f.step, 1)].removesuffix("意见")
        stage = f"待{waiting}审批" if f.status == FilingStatus.PENDING else "退回经办人修改"
        due = dues.get(f.id)
        rows.append(
            (
                Cell(f"#{f.id}"),
                Cell(FilingKind(f.kind).label),
                Cell(units.get(f.unit_id, "")),
                Cell(str((f.answers or {}).get("name", ""))),
                Cell(clerks.get(f.clerk_id, "")),
                Cell(ctx.when(f.submitted_at)),
                Cell(stage),
                countdown(ctx, due) if due else Cell("无时限"),
            )
        )
    return Listing(
        key="filings",
        title="备案办理中",
        columns=("编号", "类型", "单位", "账号名称", "经办人", "提交时间", "当前环节", "期限"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[
            unit_f,
            Filter("status", "状态", status, FILING_STATUS_CHOICES),
            Filter("kind", "类型", kind, FILING_KIND_CHOICES),
        ],
    )


async def _open_deadlines(subject_type: str, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = await Deadline.filter(
        subject_type=subject_type,
        subject_id__in=[str(i) for i in ids],
        status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED],
    ).values_list("subject_id", "due_at")
    return {int(str(s)): due for s, due in rows}


# ---- 稿件审核 ---------------------------------------------------------------------------


async def reviews(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    unit_f, unit_id = unit_filter(ctx, query, await top_units())
    rows_q = Post.filter(status=PostStatus.IN_REVIEW)
    if unit_id is not None:
        offices = await Unit.filter(parent_id=unit_id, is_internal_office=True).values_list(
            "id", flat=True
        )
        rows_q = rows_q.filter(unit_id__in=[unit_id, *(int(str(o)) for o in offices)])
    elif not ctx.viewer.district:
        rows_q = rows_q.filter(unit_id__in=sorted(ctx.viewer.unit_ids))
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    posts = await rows_q.order_by("created_at", "id").offset(paging.offset).limit(paging.limit)
    steps = {
        s.post_id: s
        for s in await ReviewStep.filter(
            post_id__in=[p.id for p in posts], status=StepStatus.PENDING
        ).order_by("id")
    }
    units = await unit_names(p.unit_id for p in posts)
    people = await person_names(
        [p.author_id for p in posts] + [s.approver_id for s in steps.values()]
    )
    dues = await _step_deadlines([s.deadline_id for s in steps.values()])
    rows: list[tuple[Cell, ...]] = []
    for p in posts:
        step = steps.get(p.id)
        waited = (ctx.now - step.created_at).total_seconds() if step else 0.0
        due = dues.get(step.deadline_id) if step and step.deadline_id else None
        rows.append(
            (
                Cell(f"#{p.id}"),
                Cell(p.title),
                Cell(units.get(p.unit_id, "")),
                Cell(people.get(p.author_id, "")),
                Cell(f"{step.level_name}（第{step.level + 1}级）" if step else "—"),
                Cell(people.get(step.approver_id, "") if step else ""),
                Cell(duration(waited), css="warn" if waited > 24 * 3600 else ""),
                countdown(ctx, due) if due else Cell(""),
            )
        )
    return Listing(
        key="reviews",
        title="稿件审核中",
        columns=("编号", "标题", "单位", "作者", "等待层级", "审核人", "已等待", "审核时限"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[unit_f],
    )


async def _step_deadlines(ids: list[int | None]) -> dict[int, datetime]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = await Deadline.filter(
        id__in=wanted, status__in=[DeadlineStatus.OPEN, DeadlineStatus.PAUSED]
    ).values_list("id", "due_at")
    return {int(str(i)): due for i, due in rows}


# ---- 整改通知 ---------------------------------------------------------------------------

OPEN_RECT = (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED, RectStatus.SUBMITTED)
RECT_STATUS_CHOICES = (
    Choice("", "未完成"),
    Choice("all", "全部"),
    *(Choice(s.value, s.label) for s in RectStatus),
)
OVERDUE_CHOICES = (Choice("", "全部"), Choice("yes", "仅逾期"))


async def rectifications(ctx: Ctx, query: Mapping[str, str], paging: Paging) -> Listing:
    unit_f, unit_id = unit_filter(ctx, query, await top_units(), label="责任单位")
    status = choice_value(query, "status", RECT_STATUS_CHOICES)
    overdue = choice_value(query, "overdue", OVERDUE_CHOICES)
    rows_q = Rectification.all()
    if status == "":
        rows_q = rows_q.filter(status__in=[s.value for s in OPEN_RECT])
    elif status != "all":
        rows_q = rows_q.filter(status=status)
    if overdue:
        rows_q = rows_q.filter(overdue=True)
    rows_q = scoped(ctx, rows_q, "owner_unit_id", unit_id)
    total = await rows_q.count()
    if paging.page == 0:
        too_many(total)
    items = await rows_q.order_by("due_at", "id").offset(paging.offset).limit(paging.limit)
    units = await unit_names(r.owner_unit_id for r in items)
    rows = [rect_row(ctx, r, units.get(r.owner_unit_id, "")) for r in items]
    return Listing(
        key="rectifications",
        title="整改通知",
        columns=("编号", "责任单位", "账号", "问题", "类别", "程度", "状态", "截止时间", "倒计时"),
        rows=rows,
        total=total,
        page=paging.page,
        filters=[
            unit_f,
            Filter("status", "状态", status, RECT_STATUS_CHOICES),
            Filter("overdue", "逾期", overdue, OVERDUE_CHOICES),
        ],
        note="倒计时按整改时限实时走动；红色为已逾期。",
    )


def rect_row(ctx: Ctx, r: Rectification, unit: str) -> tuple[Cell, ...]:
    problem = r.problem if len(r.problem) <= 40 else r.problem[:39] + "…"
    if r.status in (RectStatus.ISSUED, RectStatus.ACKNOWLEDGED):
        left = countdown(ctx, r.due_at)
    elif r.status == RectStatus.SUBMITTED:
        left = Cell("已提交，待核验", css="overdue" if r.overdue else "")
    else:
        late = "（曾逾期）" if r.ever_overdue else ""
        left = Cell(f"已通过{late}", css="ok")
    overdue_now = r.overdue or left.css == "overdue"
    return (
        Cell(number(r), href=f"/dash/rectifications/{r.id}"),
        Cell(unit),
        Cell(r.account_label),
        Cell(problem),
        Cell(RECT_CATEGORY_LABELS[RectCategory(r.category)]),
        Cell(Severity(r.severity).label),
        Cell(RectStatus(r.status).label, css="overdue" if overdue_now else ""),
        Cell(ctx.when(r.due_at), css="overdue" if overdue_now else ""),
        left,
    )
