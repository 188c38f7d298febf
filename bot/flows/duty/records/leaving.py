"""Personnel leaving: what a leaving person still holds (the checklist's items, read from what
is actually open in the database), the card's view of a checklist, and ``离岗清单``.

The regulations (yongchuan 第二十二条, beibei 第七章) name three duties when someone leaves
(离职、调任、辞职): 工作移交, 保密承诺, 口令更换. Here they become items:

- 工作移交: each filing they handled that is still open, each post of theirs not finished,
  each review level waiting for their decision, each rectification notice they issued or that
  concerns an account they ran and is not verified, and their future duty shifts;
- 保密承诺: one item, always;
- 口令更换: one item per account of the registry they operated or managed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core.context import HandlerContext
from bot.core.directory import Member, unit_chain
from bot.core.work import Work
from bot.flows.duty.model import shift_label
from bot.flows.duty.people import LEAVING_OVERSEERS, leaving_heads
from bot.flows.filing.model import title_of
from bot.flows.rectification.model import number as rect_number
from storage.enums import AccountStatus
from storage.models.duty import DutyShift, DutyTeam
from storage.models.duty_leaving import (
    LeavingChecklist,
    LeavingItem,
    LeavingItemKind,
    LeavingReason,
    LeavingStatus,
)
from storage.models.filing import Filing, FilingStatus
from storage.models.org import Account, Person, Unit
from storage.models.rectification import Rectification, RectStatus
from storage.models.review import Post, PostStatus, ReviewStep, StepStatus

OPEN_FILINGS = (FilingStatus.PENDING, FilingStatus.RETURNED)
OPEN_POSTS = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.RETURNED, PostStatus.APPROVED)
# Accounts that still exist on their platform (a cancelled one has no password to change).
LIVE_ACCOUNTS = tuple(s for s in AccountStatus if s != AccountStatus.CANCELLED)
# How many shifts an item names before "等 N 个".
SHIFTS_NAMED = 2


@dataclass(frozen=True)
class ItemSpec:
    """An item before it is stored: what it is about and how people read it."""

    kind: LeavingItemKind
    label: str
    subject_type: str = ""
    subject_id: int | None = None


def _is_operator(person: Person, contact: dict[str, object]) -> bool:
    """A registry contact ({"name", "phone"}) is the person: the same phone, or the same name
    where either phone is missing (the registry is typed by hand)."""
    phone = str(contact.get("phone") or "").strip()
    name = str(contact.get("name") or "").strip()
    if phone and person.phone:
        return phone == person.phone.strip()
    return bool(name) and name == person.name


async def operated_accounts(conn: BaseDBAsyncClient, person: Person, unit_id: int) -> list[Account]:
    """Accounts of the registry the person operated (运营人员) or managed (运营主管负责人),
    among those owned or run by the unit they left, its parents and its offices."""
    units = {u.id for u in await unit_chain(unit_id, conn)}
    units |= {
        int(str(u))
        for u in await Unit.filter(parent_id__in=sorted(units))
        .using_db(conn)
        .values_list("id", flat=True)
    }
    accounts = await Account.filter(status__in=LIVE_ACCOUNTS).using_db(conn).order_by("id")
    found: list[Account] = []
    for account in accounts:
        if account.owner_unit_id not in units and account.operator_unit_id not in units:
            continue
        contacts: list[dict[str, object]] = list(account.operators or [])
        if account.manager_name:
            contacts.append({"name": account.manager_name, "phone": account.manager_phone})
        if any(_is_operator(person, c) for c in contacts):
            found.append(account)
    return found


async def held_shifts(
    conn: BaseDBAsyncClient, checklist: LeavingChecklist, now: datetime
) -> list[DutyShift]:
    """The person's shifts that have not started, in the teams they leave: every team when
    they left, the teams of other units when they moved."""
    shifts = (
        await DutyShift.filter(person_id=checklist.person_id, starts_at__gt=now)
        .using_db(conn)
        .order_by("starts_at")
    )
    if checklist.reason == LeavingReason.MOVED and shifts:
        staying = {
            t.id for t in await DutyTeam.filter(unit_id=checklist.moved_to_unit_id).using_db(conn)
        }
        shifts = [s for s in shifts if s.team_id not in staying]
    return shifts


def shifts_text(shifts: list[DutyShift], name: str, tz: ZoneInfo) -> str:
    """值班改排：2 个班次仍由小陈值守（12月5日（周六）白班 08:30–20:30、…）."""
    named = "、".join(shift_label(s, tz) for s in shifts[:SHIFTS_NAMED])
    more = f"等 {len(shifts)} 个" if len(shifts) > SHIFTS_NAMED else ""
    return f"值班改排：{len(shifts)} 个班次仍由{name}值守（{named}{more}）"


async def open_items(
    conn: BaseDBAsyncClient, checklist: LeavingChecklist, now: datetime, tz: ZoneInfo
) -> list[ItemSpec]:
    """What the person still holds, in the order the card lists it."""
    person = await Person.filter(id=checklist.person_id).using_db(conn).get()
    pid = person.id
    items: list[ItemSpec] = []
    for filing in (
        await Filing.filter(clerk_id=pid, status__in=OPEN_FILINGS).using_db(conn).order_by("id")
    ):
        status = FilingStatus(filing.status).label
        items.append(
            ItemSpec(
                LeavingItemKind.FILING,
                f"移交备案：{title_of(filing)}（{status}）",
                "filing",
                filing.id,
            )
        )
    for post in (
        await Post.filter(author_id=pid, status__in=OPEN_POSTS).using_db(conn).order_by("id")
    ):
        status = PostStatus(post.status).label
        items.append(
            ItemSpec(
                LeavingItemKind.POST, f"移交稿件：《{post.title}》（{status}）", "post", post.id
            )
        )
    steps = (
        await ReviewStep.filter(approver_id=pid, status=StepStatus.PENDING)
        .using_db(conn)
        .order_by("id")
    )
    for step in steps:
        post = await Post.filter(id=step.post_id).using_db(conn).get()
        items.append(
            ItemSpec(
                LeavingItemKind.REVIEW_STEP,
                f"转交待审：《{post.title}》{step.level_name}待其审核",
                "review_step",
                step.id,
            )
        )
    accounts = await operated_accounts(conn, person, checklist.unit_id)
    account_ids = [a.id for a in accounts]
    rects = (
        await Rectification.exclude(status=RectStatus.VERIFIED)
        .filter(issued_by_id=pid)
        .using_db(conn)
        .order_by("id")
    )
    rects += [
        r
        for r in await Rectification.exclude(status=RectStatus.VERIFIED)
        .filter(account_id__in=account_ids)
        .using_db(conn)
        .order_by("id")
        if r.issued_by_id != pid
    ]
    for rect in rects:
        why = "由其下发，需同事接续核验" if rect.issued_by_id == pid else "其运营的账号"
        what = rect.account_label or "整改通知"
        status = RectStatus(rect.status).label
        items.append(
            ItemSpec(
                LeavingItemKind.RECTIFICATION,
                f"移交整改：{rect_number(rect)} {what}（{status}，{why}）",
                "rectification",
                rect.id,
            )
        )
    shifts = await held_shifts(conn, checklist, now)
    if shifts:
        items.append(ItemSpec(LeavingItemKind.SHIFTS, shifts_text(shifts, person.name, tz)))
    items.append(ItemSpec(LeavingItemKind.PLEDGE, f"签署保密承诺书（{person.name}）"))
    for account in accounts:
        items.append(
            ItemSpec(
                LeavingItemKind.PASSWORD, f"更换账号口令：{account.label}", "account", account.id
            )
        )
    return items


@dataclass(frozen=True)
class ChecklistView:
    """A checklist with what the card and the record show."""

    checklist: LeavingChecklist
    person: Person
    unit: Unit
    moved_to: Unit | None
    items: list[LeavingItem]
    confirmers: dict[int, str]  # person id → name of who confirmed items

    @property
    def remaining(self) -> list[LeavingItem]:
        return [i for i in self.items if i.confirmed_at is None]


async def view_of(conn: BaseDBAsyncClient, checklist: LeavingChecklist) -> ChecklistView:
    person = await Person.filter(id=checklist.person_id).using_db(conn).get()
    unit = await Unit.filter(id=checklist.unit_id).using_db(conn).get()
    moved_to = (
        await Unit.filter(id=checklist.moved_to_unit_id).using_db(conn).first()
        if checklist.moved_to_unit_id is not None
        else None
    )
    items = await LeavingItem.filter(checklist_id=checklist.id).using_db(conn).order_by("position")
    by_ids = sorted({i.confirmed_by_id for i in items if i.confirmed_by_id is not None})
    confirmers = {p.id: p.name for p in await Person.filter(id__in=by_ids).using_db(conn)}
    return ChecklistView(checklist, person, unit, moved_to, items, confirmers)


async def visible_checklists(
    conn: BaseDBAsyncClient, member: Member, statuses: tuple[LeavingStatus, ...]
) -> list[LeavingChecklist]:
    """Checklists the member may see: every unit's for supervisor staff and administrators,
    else those of the units they head (where ``leaving_heads`` names them)."""
    rows = (
        await LeavingChecklist.filter(status__in=statuses)
        .using_db(conn)
        .order_by("-recorded_at", "-id")
    )
    if member.has(*LEAVING_OVERSEERS):
        return rows
    heads_of: dict[int, bool] = {}
    mine: list[LeavingChecklist] = []
    for row in rows:
        if row.unit_id not in heads_of:
            heads_of[row.unit_id] = any(
                h.id == member.id for h in await leaving_heads(conn, row.unit_id)
            )
        if heads_of[row.unit_id]:
            mine.append(row)
    return mine


def _line(w: Work, view: ChecklistView) -> str:
    c = view.checklist
    done = len(view.items) - len(view.remaining)
    where = f"{view.unit.name}" + (f" → {view.moved_to.name}" if view.moved_to else "")
    head = f"· {view.person.name}（{LeavingReason(c.reason).label}，{where}）"
    if c.status == LeavingStatus.WITHDRAWN:
        return f"{head}：已撤销（{c.note}）"
    if c.status == LeavingStatus.CLOSED:
        return f"{head}：已完成 {done}/{len(view.items)} 项，{w.when(c.closed_at)} 办结"
    if c.status == LeavingStatus.PENDING:
        return f"{head}：{w.when(c.recorded_at)} 记录，清单即将开出"
    overdue = "，已超期" if c.due_at is not None and c.due_at <= w.now else ""
    return f"{head}：已确认 {done}/{len(view.items)} 项，期限 {w.when(c.due_at)}{overdue}"


async def show(ctx: HandlerContext, rest: str) -> None:
    """离岗清单: the checklists of the units one heads (all units for supervisors), open ones
    first, with their progress and deadline."""
    rows = await visible_checklists(
        ctx.conn,
        ctx.actor,
        (
            LeavingStatus.PENDING,
            LeavingStatus.OPEN,
            LeavingStatus.CLOSED,
            LeavingStatus.WITHDRAWN,
        ),
    )
    if not rows:
        await ctx.reply("没有离岗交接记录。人员离岗或调岗（组织名单导入时）会自动开出清单。")
        return
    finished = (LeavingStatus.CLOSED, LeavingStatus.WITHDRAWN)
    open_rows = [r for r in rows if r.status not in finished]
    closed_rows = [r for r in rows if r.status in finished][:20]
    lines = ["【离岗交接清单】"]
    lines.append(f"办理中（{len(open_rows)}）：" if open_rows else "办理中：无")
    lines += [_line(ctx, await view_of(ctx.conn, r)) for r in open_rows]
    if closed_rows:
        lines.append(f"已完成（最近 {len(closed_rows)} 份）：")
        lines += [_line(ctx, await view_of(ctx.conn, r)) for r in closed_rows]
    lines.append("发送「离岗」查看待办清单并逐项确认。")
    await ctx.reply("\n".join(lines))
