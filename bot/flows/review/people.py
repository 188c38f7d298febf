"""Who acts in review: the levels, who may approve each, delegates, and where each person hears."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card
from bot.core.context import HandlerContext
from bot.core.directory import Member, nearest_with_role, unit_chat
from bot.core.emit import chat_reachable
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.flows.review import cards
from bot.flows.review.model import (
    DELEGATE_CARD,
    SUBJECT,
    AlreadyDecided,
    ReviewError,
    author_platform,
)
from bot.policy.model import Policy
from storage.enums import ChatPurpose, Platform, Role
from storage.models.machinery import CardRecord
from storage.models.org import Person
from storage.models.review import Post, ReviewStep, StepStatus

# Who writes posts and sends them for review.
AUTHOR_ROLES = frozenset({Role.EDITOR, Role.CLERK})
# Who may have posts waiting for them (an editor is dongguan's 初审).
REVIEWER_ROLES = frozenset({Role.EDITOR, Role.SECTION_CHIEF, Role.DEPUTY_LEADER, Role.PRINCIPAL})


# ---- the chain ----------------------------------------------------------------------------------


def levels_from_policy(policy: Policy, *, major_policy: bool) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = [
        {"name": lv.name, "roles": [r.value for r in lv.roles], "duty": lv.duty, "consent": False}
        for lv in policy.review.levels.levels
    ]
    if major_policy and needs_consent(policy):
        # beibei 第五章: 区级重大公共政策 needs 区委、区政府 consent; the unit's principal
        # records it after the final level, before the post may be published.
        levels.append(
            {
                "name": "重大政策报批",
                "roles": [Role.PRINCIPAL.value],
                "duty": policy.review.extra_approval.value,
                "consent": True,
            }
        )
    return levels


def needs_consent(policy: Policy) -> bool:
    return policy.review.extra_approval.value.strip() not in ("", "无")


def level_roles(level: dict[str, Any]) -> list[Role]:
    return [Role(r) for r in level["roles"]]


async def candidates(
    conn: BaseDBAsyncClient, unit_id: int, level: dict[str, Any], exclude: set[int]
) -> list[Member]:
    """People who may take a level: its roles, nearest up the unit tree, minus ``exclude``."""
    found: list[Member] = []
    for role in level_roles(level):
        for member in await nearest_with_role(unit_id, role, conn, exclude=exclude):
            if member.id not in {m.id for m in found}:
                found.append(member)
    return found


async def plan_chain(
    conn: BaseDBAsyncClient,
    *,
    author_id: int,
    unit_id: int,
    levels: list[dict[str, Any]],
    allow_same_person: bool,
) -> list[Member]:
    """The approver of each level as things stand; ``ReviewError`` when a level has nobody."""
    chosen: list[Member] = []
    for level in levels:
        exclude = {author_id}
        if not allow_same_person and not level.get("consent"):
            exclude |= {m.id for m in chosen}
        found = await candidates(conn, unit_id, level, exclude)
        if not found:
            roles = "或".join(r.label for r in level_roles(level))
            extra = (
                "（同一人不得审核同一稿件的两个层级，送审人也不能审核自己的稿件）"
                if not allow_same_person
                else "（送审人不能审核自己的稿件）"
            )
            raise ReviewError(
                f"本单位找不到可以担任{level['name']}（{roles}）的人员{extra}。"
                "请联系管理员在组织名单中补充审核人员。"
            )
        chosen.append(found[0])
    return chosen


async def earlier_approvers(conn: BaseDBAsyncClient, post: Post) -> set[int]:
    rows = await ReviewStep.filter(
        post_id=post.id, version=post.version, status=StepStatus.APPROVED
    ).using_db(conn)
    return {int(r.decided_by_id) for r in rows if r.decided_by_id is not None}


async def level_candidates(
    conn: BaseDBAsyncClient, post: Post, level: dict[str, Any], also_exclude: Iterable[int] = ()
) -> list[Member]:
    """Who may take ``level`` of this version: never the author and, unless the deployment
    allows it or the level only records consent, nobody who approved an earlier level."""
    exclude = {post.author_id}
    if not post.allow_same_person and not level.get("consent"):
        exclude |= await earlier_approvers(conn, post) | set(also_exclude)
    return await candidates(conn, post.unit_id, level, exclude)


async def delegates_for(conn: BaseDBAsyncClient, post: Post, step: ReviewStep) -> list[Member]:
    """Others holding this level's roles (转交 targets), never the author or earlier approvers."""
    level = post.levels[step.level]
    exclude = {post.author_id, step.approver_id}
    if not post.allow_same_person and not level.get("consent"):
        exclude |= await earlier_approvers(conn, post)
    return await candidates(conn, post.unit_id, level, exclude)


async def may_decide_instead(conn: BaseDBAsyncClient, step: ReviewStep, person_id: int) -> bool:
    """An escalation may have let a deputy decide in the approver's place (card allowed ids)."""
    if step.card_id is None:
        return False
    record = await CardRecord.filter(id=step.card_id).using_db(conn).first()
    return record is not None and person_id in [int(p) for p in record.allowed_person_ids]


async def step_denial(conn: BaseDBAsyncClient, record: CardRecord, person_id: int) -> str | None:
    """Why a level's card refused this person, and who decides it now (送审人不能审核自己的稿件 /
    当前由李科长初审)."""
    step = await ReviewStep.filter(card_id=record.id).using_db(conn).first()
    if step is None:
        return None
    post = await Post.filter(id=step.post_id).using_db(conn).first()
    if post is not None and post.author_id == person_id:
        return "送审人不能审核自己的稿件。"
    allowed = [int(p) for p in record.allowed_person_ids] or [step.approver_id]
    names = (
        await Person.filter(id__in=allowed)
        .using_db(conn)
        .order_by("id")
        .values_list("name", flat=True)
    )
    if not names:
        return None
    return f"当前由{'、'.join(str(n) for n in names)}{step.level_name}，您的操作未生效。"


# ---- where people hear --------------------------------------------------------------------------


async def to_author(w: Work, post: Post, message: Message) -> None:
    """Back to the platform the author submitted on, if it is still enabled."""
    platform = author_platform(post)
    if platform not in w.services.channels:
        platform = None
    await w.emit.to_person(post.author_id, message, platform=platform)


async def deliver_card(w: Work, post: Post, approver: Member, card: Card, lead: str) -> None:
    """The unit's review group gets the card with an @-mention; the approver gets it 1:1 where
    the group cannot carry a tappable card for them (WeCom robots post markdown only)."""
    chat = await unit_chat(post.unit_id, ChatPurpose.REVIEW, w.conn)
    mention = (approver.mention(),)
    if chat is not None:
        await w.emit.to_chat(chat.id, Message(text=lead, card=card, mentions=mention))
    # Every platform the approver uses must offer a tappable card: a group card where the
    # group carries cards (console, Feishu, WeCom's intelligent robot), else a 1:1 copy
    # (WeCom's group robot posts markdown only).
    for platform in await w.emit.person_platforms(approver.id):
        group_card = chat is not None and (
            w.emit.robot_serves(chat)
            if platform == Platform.WECOM
            else chat_reachable(chat, platform)
        )
        if chat is None or not group_card:
            await w.emit.to_person(approver.id, Message(text=lead, card=card), platform=platform)
        else:
            # The card waits in the group; a reviewer who opens their 1:1 chat with the bot
            # would find nothing there, so it says where the card is.
            pointer = f"{lead}。审核卡片在群“{chat.name}”中，请到该群处理。"
            await w.emit.to_person(approver.id, Message(text=pointer), platform=platform)


async def remind(w: Work, post: Post, person: Member, text: str) -> None:
    """A reminder 1:1 and, with an @-mention, in the unit's review group."""
    await w.emit.to_person(person.id, Message(text=text))
    chat = await unit_chat(post.unit_id, ChatPurpose.REVIEW, w.conn)
    if chat is not None:
        await w.emit.to_chat(chat.id, Message(text=text, mentions=(person.mention(),)))


# ---- 转交 ---------------------------------------------------------------------------------------


async def offer_delegates(ctx: HandlerContext, step_id: int) -> Outcome:
    """转交 tapped: the approver picks, in their 1:1 chat, whom to hand the level to."""
    step = await ReviewStep.filter(id=step_id).using_db(ctx.conn).first()
    if step is None or step.status != StepStatus.PENDING:
        raise AlreadyDecided("这一级已经处理过了，无需转交。")
    if step.approver_id != ctx.actor.id:
        raise ReviewError("只有当前审核人可以转交。")
    post = await Post.filter(id=step.post_id).using_db(ctx.conn).get()
    people = await delegates_for(ctx.conn, post, step)
    if not people:
        raise ReviewError("本单位没有同一角色的其他人员可以转交。")
    card = await ctx.emit.new_card(
        cards.delegate_card(post, step, people),
        kind=DELEGATE_CARD,
        allowed_person_ids=[ctx.actor.id],
        subject_type=SUBJECT,
        subject_id=post.id,
    )
    await ctx.reply_privately(card=card)
    return Outcome("请在对话中选择转交对象", "info")
