"""帮助 and 我的信息: what this person can do, given their roles."""

from __future__ import annotations

from bot.cards.model import Button, ButtonStyle, Card, CardField, Tone
from bot.core.context import HandlerContext
from bot.core.directory import chats_of
from bot.core.emit import card_from_record
from bot.core.routing import Command
from bot.handlers.registry import router
from storage.enums import Role

# What each role does in the bot, in the words of the people who hold it.
ROLE_DUTIES: dict[Role, str] = {
    Role.CLERK: "办理本单位政务新媒体的开设、变更、关停、注销等备案，维护账号台账",
    Role.EDITOR: "撰写稿件并提交三审三校，审核通过后发布并回报链接",
    Role.SECTION_CHIEF: "对本科室稿件进行初审初校",
    Role.DEPUTY_LEADER: "对分管领域稿件进行复审复校",
    Role.PRINCIPAL: "终审终校，审批本单位政务新媒体备案；人员离岗时逐项确认离岗交接清单",
    Role.DUTY_OFFICER: (
        "24小时读网值班：交接班（交班提交交接清单，接班点确认接班），逐项巡查账号，"
        "确认并处理告警，报告发现的情况"
    ),
    Role.DUTY_LEAD: "督促交接班与告警处置：超时未确认时被@，可代为确认接班、接手告警",
    Role.SUPERVISOR_STAFF: "审核备案、下发整改通知并核验整改结果、查看统计报表",
    Role.ADMIN: "维护组织名单、账号台账和策略配置",
}

# WeCom button_interaction cards allow at most 6 buttons.
MAX_HELP_BUTTONS = 6


def available_commands(roles: frozenset[Role]) -> list[Command]:
    return [c for c in router.unique_commands() if c.allowed(roles)]


def button_commands(commands: list[Command]) -> list[Command]:
    """The commands that get a button, when only six fit: the pieces of work a person starts
    from the app menu (备案, 送审, 整改, …) first, then the rest in their usual order. The card's
    fields still list every command, so nothing is hidden."""
    tappable = [c for c in commands if c.word not in ("帮助", "取消")]
    ranked = sorted(tappable, key=lambda c: (c.menu_key is None, tappable.index(c)))
    return ranked[:MAX_HELP_BUTTONS]


def help_card(ctx: HandlerContext) -> Card:
    member = ctx.actor
    roles = sorted(member.roles, key=list(Role).index)
    role_text = "、".join(r.label for r in roles) or "（未分配角色）"
    duties = [f"· {r.label}：{ROLE_DUTIES[r]}" for r in roles]
    commands = available_commands(member.roles)
    fields = tuple(CardField(label=c.word, value=c.summary) for c in commands)
    body_lines = [f"您是「{member.unit.name}」的{role_text}。"]
    if duties:
        body_lines.append("您的职责：")
        body_lines.extend(duties)
    body_lines.append("可以直接发送下面的词语，或点按钮开始：")
    buttons = tuple(
        Button(
            label=c.word,
            action="help.run",
            payload={"command": c.word},
            style=ButtonStyle.PRIMARY if i == 0 else ButtonStyle.DEFAULT,
        )
        for i, c in enumerate(button_commands(commands))
    )
    return Card(
        title=f"{member.name}，我能帮您做什么",
        tone=Tone.BLUE,
        body="\n".join(body_lines),
        fields=fields,
        buttons=buttons,
    )


@router.command(
    "帮助",
    "查看您可以办理的事项",
    aliases=("help", "?", "？", "菜单"),
    menu_key="help",
    order=1,
    interrupts=True,
)
async def show_help(ctx: HandlerContext, rest: str) -> None:
    card = await ctx.emit.new_card(help_card(ctx), kind="help", allowed_person_ids=[ctx.actor.id])
    conv = await ctx.conversation(lock=False)
    if conv is not None:
        await ctx.reply(
            "（您还有一件事没办完，回答上面的问题即可继续，回复“取消”放弃。）", card=card
        )
        return
    await ctx.reply(card=card)


@router.command("我的信息", "查看您的单位、角色和所在群", aliases=("我是谁",), order=2)
async def whoami(ctx: HandlerContext, rest: str) -> None:
    member = ctx.actor
    chats = await chats_of(member.id, ctx.conn)
    roles = "、".join(r.label for r in sorted(member.roles, key=list(Role).index)) or "无"
    card = Card(
        title="我的信息",
        fields=(
            CardField(label="姓名", value=member.name),
            CardField(label="单位", value=member.unit.name),
            CardField(label="角色", value=roles),
            CardField(label="手机", value=member.person.phone or "未登记"),
            CardField(label="所在群", value="、".join(c.name for c in chats) or "无"),
        ),
    )
    await ctx.reply(card=card)


@router.action("help")
async def run_from_help(ctx: HandlerContext) -> None:
    word = ctx.card_action.payload.get("command", "")
    cmd = router.commands.get(word)
    if cmd is None or not cmd.allowed(ctx.actor.roles):
        ctx.notify_toast("这个事项您暂时不能办理。", "warning")
        return
    conv = await ctx.conversation(lock=False)
    if conv is not None and not cmd.interrupts:
        ctx.notify_toast("您还有一件事没办完，请先完成或回复“取消”。", "warning")
        return
    ctx.notify_toast(f"开始：{cmd.word}", "success")
    # Mark the tap on the card itself: on WeCom a tap shows nothing until the card is
    # updated. The card stays open, so the other buttons still work.
    record = ctx.card_record
    if record is not None:
        tapped = card_from_record(record).model_copy(update={"status": f"已开始：{cmd.word}"})
        ctx.updated_card = await ctx.emit.update_card(record.id, tapped)
    await cmd.handler(ctx, "")
