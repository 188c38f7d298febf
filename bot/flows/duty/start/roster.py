"""The roster from the chat: 值班 (who is on duty, my next shift), 值班表 (the week, with an
image), the duty lead's override ("12月5日白班由老刘值") and 换班 (a swap request)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.cards.model import Button, Card, CardField
from bot.core import files
from bot.core.context import HandlerContext
from bot.core.directory import Member, chat_by_ref, load_member
from bot.core.outgoing import FileRef, Message
from bot.core.work import Outcome
from bot.flows.duty import people
from bot.flows.duty.cards.roster import week_card, week_lines
from bot.flows.duty.forms.roster import FORMAT_HELP, ShiftRef, parse_override, parse_swap
from bot.flows.duty.model import ACTIONS, TEAM_SUBJECT, DutyError, shift_label
from bot.flows.duty.records import roster as records
from bot.flows.duty.roster_image import find_font, render_week
from bot.flows.duty.transitions import roster as roster_transitions
from bot.flows.duty.transitions import swaps
from storage.enums import Role
from storage.models.duty import DutyShift, DutySwap, DutyTeam, ShiftMode, ShiftSlot, SwapStatus

STATUS_CARD = "duty.status"


def _today(ctx: HandlerContext) -> date:
    return ctx.now.astimezone(ctx.tz).date()


async def _teams_to_show(ctx: HandlerContext) -> list[DutyTeam]:
    """The person's own teams; for readers outside every team (supervisors, heads), all."""
    mine = await people.teams_of(ctx.conn, ctx.actor.id, _today(ctx))
    for team in await people.teams_led_by(ctx.conn, ctx.actor):
        if team.id not in {t.id for t in mine}:
            mine.append(team)
    if mine:
        return mine
    if ctx.actor.has(Role.SUPERVISOR_STAFF, Role.ADMIN, Role.PRINCIPAL):
        return list(await DutyTeam.filter(active=True).using_db(ctx.conn).order_by("id"))
    return []


NO_TEAM = "您不在任何值班组中。值班组和轮值顺序由管理员在组织名单（duty_teams）中设置。"


# ---- 值班 --------------------------------------------------------------------------------


async def show_status(ctx: HandlerContext, rest: str) -> None:
    """Who is on duty now, who is next, and the person's own next shift."""
    teams = await _teams_to_show(ctx)
    if not teams:
        await ctx.reply(NO_TEAM)
        return
    for team in teams:
        await ctx.reply(card=await _status_card(ctx, team))


async def _status_card(ctx: HandlerContext, team: DutyTeam) -> Card:
    now = ctx.now
    fields: list[CardField] = []
    current = await people.on_duty(ctx.conn, team, now)
    if current is not None:
        holder = await load_member(current.person_id, ctx.conn)
        fields.append(
            CardField(
                label="现在值班",
                value=f"{holder.name if holder else '?'}"
                f"（{ShiftSlot(current.slot).label}，至{ctx.when(current.ends_at)}）",
            )
        )
        following = await people.on_duty(ctx.conn, team, current.ends_at)
        if following is not None:
            nxt = await load_member(following.person_id, ctx.conn)
            fields.append(
                CardField(
                    label="下一班",
                    value=f"{nxt.name if nxt else '?'}"
                    f"（{ShiftSlot(following.slot).label}，{ctx.when(following.starts_at)} 起）",
                )
            )
    else:
        fields.append(CardField(label="现在值班", value="未排班（请值班长安排）"))
    mine = [
        s
        for s in await records.next_shifts(ctx.conn, ctx.actor.id, now, limit=5)
        if s.team_id == team.id
    ]
    if mine:
        first = mine[0]
        state = "正在值班" if first.starts_at <= now else f"{ctx.when(first.starts_at)} 起"
        fields.append(
            CardField(label="您的下一个班", value=f"{shift_label(first, ctx.tz)}（{state}）")
        )
    elif await _is_officer(ctx, team):
        fields.append(CardField(label="您的下一个班", value="近期没有排班"))
    lead = await people.lead(ctx.conn, team)
    if lead is not None:
        fields.append(CardField(label="值班长", value=lead.name))
    open_swaps = await DutySwap.filter(
        team_id=team.id, status__in=[SwapStatus.OPEN, SwapStatus.ACCEPTED]
    ).using_db(ctx.conn)
    waiting = [s for s in open_swaps if s.status == SwapStatus.ACCEPTED]
    is_lead = ctx.actor.id in {m.id for m in await people.leads(ctx.conn, team)}
    if is_lead and waiting:
        fields.append(CardField(label="待您审批的换班", value=f"{len(waiting)} 份（见审批卡片）"))
    mine_open = [s for s in open_swaps if s.requester_id == ctx.actor.id]
    if mine_open:
        fields.append(
            CardField(
                label="您的换班申请",
                value="、".join(SwapStatus(s.status).label for s in mine_open),
            )
        )
    hints = []
    if await _is_officer(ctx, team):
        hints.append("换班：发送“换班 12月5日白班 老刘”。")
    if is_lead:
        hints.append(f"调整排班：发送{FORMAT_HELP[2:]}。")
    card = Card(
        title=f"值班 · {team.name}",
        body="\n".join(hints),
        fields=tuple(fields),
        buttons=(
            Button(label="本周值班表", action=f"{ACTIONS}.week", payload={"team": str(team.id)}),
            Button(
                label="下周值班表",
                action=f"{ACTIONS}.week",
                payload={"team": str(team.id), "next": "1"},
            ),
        ),
    )
    return await ctx.emit.new_card(
        card,
        kind=STATUS_CARD,
        allowed_person_ids=[ctx.actor.id],
        subject_type=TEAM_SUBJECT,
        subject_id=team.id,
    )


async def _is_officer(ctx: HandlerContext, team: DutyTeam) -> bool:
    return ctx.actor.id in {m.id for m in await people.officers(ctx.conn, team, _today(ctx))}


# ---- 值班表 ------------------------------------------------------------------------------


def _week_wanted(text: str, today: date) -> date:
    t = text.strip()
    if t in ("", "本周", "这周", "本星期"):
        return records.week_start(today)
    if t in ("下周", "下星期"):
        return records.week_start(today) + timedelta(days=7)
    if t in ("上周", "上星期"):
        return records.week_start(today) - timedelta(days=7)
    from bot.flows.duty.forms.roster import parse_day

    return records.week_start(parse_day(t, today))


async def show_week(ctx: HandlerContext, rest: str) -> None:
    """The week as a card, and as a PNG where a CJK font is available."""
    teams = await _teams_to_show(ctx)
    if not teams:
        await ctx.reply(NO_TEAM)
        return
    try:
        first = _week_wanted(rest, _today(ctx))
    except DutyError as exc:
        await ctx.reply(f"{exc}（例如“值班表 下周”“值班表 12月5日”）")
        return
    for team in teams:
        await send_week(ctx, team, first)


async def send_week(ctx: HandlerContext, team: DutyTeam, first: date) -> None:
    calendar = ctx.services.timekeeping.calendar()
    view = await records.week(ctx.conn, team, first, calendar)
    image: tuple[FileRef, ...] = ()
    font = find_font(str(ctx.services.settings.cjk_font or "") or None)
    if font is not None:
        data = render_week(view, font)
        ref = await files.save(
            ctx.services,
            ctx.conn,
            name=f"值班表-{team.key}-{first:%Y%m%d}.png",
            data=data,
            now=ctx.now,
            subject_type=TEAM_SUBJECT,
            subject_id=team.id,
            created_by=ctx.actor.id,
        )
        image = (ref.model_copy(update={"inline": True}),)
    card = week_card(view, image_attached=bool(image))
    message = Message(
        card=card, files=image, text="" if card.fields else "\n".join(week_lines(view))
    )
    place = ctx.event.place
    if place.kind == "group" and place.chat_ref is not None:
        chat = await chat_by_ref(place.platform, place.chat_ref, ctx.conn)
        if chat is not None:
            await ctx.emit.to_chat(chat.id, message, platform=place.platform)
            return
    await ctx.emit.to_person(ctx.actor.id, message, platform=place.platform)


async def week_tapped(ctx: HandlerContext, team_id: int, next_week: bool) -> Outcome:
    team = await DutyTeam.filter(id=team_id).using_db(ctx.conn).first()
    if team is None:
        raise DutyError("这个值班组已不存在。", kind="info")
    first = records.week_start(_today(ctx)) + timedelta(days=7 if next_week else 0)
    await send_week(ctx, team, first)
    return Outcome("值班表已发送。", kind="info")


# ---- the duty lead's override ------------------------------------------------------------


async def _shift_of(ctx: HandlerContext, team: DutyTeam, ref: ShiftRef) -> DutyShift:
    found = await records.find_shift(ctx.conn, team, ref.day, ref.slot)
    if not found:
        raise DutyError(
            f"{ref.day.month}月{ref.day.day}日还没有排班（排班只排到约五周后），请换个日期。"
        )
    if len(found) > 1:
        raise DutyError("请写明是白班还是夜班，例如“12月5日白班”。")
    return found[0]


async def override(ctx: HandlerContext, rest: str) -> None:
    """调班 12月5日白班由老刘值 — or the sentence alone."""
    teams = await people.teams_led_by(ctx.conn, ctx.actor)
    if not teams:
        await ctx.reply("只有值班长可以调整排班。如需换班，请发送“换班 12月5日白班 老刘”。")
        return
    try:
        wanted = parse_override(rest, _today(ctx))
        team, person = await _team_with(ctx, teams, wanted.who)
        shift = await _shift_of(ctx, team, wanted.shift)
        outcome = await roster_transitions.override(ctx, team, shift.id, person, ctx.actor, rest)
    except DutyError as exc:
        await ctx.reply(str(exc))
        return
    await ctx.reply(outcome.toast)


async def _team_with(
    ctx: HandlerContext, teams: list[DutyTeam], name: str
) -> tuple[DutyTeam, Member]:
    """The first of the teams in which ``name`` is someone who may hold its shifts."""
    for team in teams:
        member = await people.colleague_named(ctx.conn, team, _today(ctx), name)
        if member is not None:
            return team, member
    known = "、".join(m.name for m in await people.colleagues(ctx.conn, teams[0], _today(ctx)))
    raise DutyError(f"找不到可以值班的“{name}”。本组可排班的人员：{known}。")


# ---- 换班 --------------------------------------------------------------------------------


async def request_swap(ctx: HandlerContext, rest: str) -> None:
    """换班 12月5日白班 老刘 [小马]: ask named colleagues to take one of my shifts."""
    if not rest.strip():
        await ctx.reply(
            "请写明哪一个班、请谁替班，例如“换班 12月5日白班 老刘”"
            "（可以写几位同事，先接受的人替班）。"
        )
        return
    teams = await people.teams_of(ctx.conn, ctx.actor.id, _today(ctx))
    if not teams:
        await ctx.reply(NO_TEAM)
        return
    try:
        ref, names = parse_swap(rest, _today(ctx))
        team, shift = await _my_shift(ctx, teams, ref)
        colleagues: list[Member] = []
        for name in names:
            member = await people.colleague_named(ctx.conn, team, _today(ctx), name)
            if member is None:
                known = "、".join(
                    m.name
                    for m in await people.colleagues(ctx.conn, team, _today(ctx))
                    if m.id != ctx.actor.id
                )
                raise DutyError(f"找不到同事“{name}”。可以请的同事：{known}。")
            if member.id not in {c.id for c in colleagues}:
                colleagues.append(member)
        outcome = await swaps.request(ctx, team, shift.id, ctx.actor, colleagues)
    except DutyError as exc:
        await ctx.reply(str(exc))
        return
    del outcome  # the requester's card says it


async def _my_shift(
    ctx: HandlerContext, teams: list[DutyTeam], ref: ShiftRef
) -> tuple[DutyTeam, DutyShift]:
    """The person's shift on that day (their own, in one of their teams)."""
    found: list[tuple[DutyTeam, DutyShift]] = []
    for team in teams:
        slot = ref.slot if ShiftMode(team.mode) == ShiftMode.DAY_NIGHT else None
        for shift in await records.find_shift(ctx.conn, team, ref.day, slot):
            found.append((team, shift))
    mine = [(t, s) for t, s in found if s.person_id == ctx.actor.id]
    if len(mine) == 1:
        return mine[0]
    if len(mine) > 1:
        raise DutyError("您这天有不止一个班，请写明白班还是夜班。")
    if not found:
        raise DutyError(f"{ref.day.month}月{ref.day.day}日还没有排班，请发送“值班表”查看。")
    team, shift = found[0]
    holder = await load_member(shift.person_id, ctx.conn)
    raise DutyError(
        f"{shift_label(shift, ctx.tz)}由{holder.name if holder else '?'}值班，"
        "不是您的班，只有当班人可以申请换班。"
    )
