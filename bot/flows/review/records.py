"""What people read about review: the cards as the rows stand, 审核记录, 待审核, the full text,
and the account update records (已发布) that update-frequency thresholds count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import Card
from bot.core.context import HandlerContext
from bot.core.directory import Member, load_member
from bot.core.emit import card_from_record
from bot.core.outgoing import FileRef
from bot.core.work import Outcome, Work
from bot.flows.review import cards
from bot.flows.review.model import ReviewError, current_version, find_post, previous_version
from storage.enums import Role
from storage.models.machinery import CardRecord
from storage.models.org import Account, Person
from storage.models.review import (
    AccountUpdate,
    Post,
    PostStatus,
    PostVersion,
    ReviewStep,
    StepStatus,
)

NOT_ALLOWED = "只有送审人、审核人和主管单位可以查看这篇稿件的审核记录。"


# ---- reading the rows for the cards -------------------------------------------------------------


async def names_of(conn: BaseDBAsyncClient, ids: Iterable[int | None]) -> dict[int, str]:
    """Person id → name for the ids given (people no longer in the directory are absent)."""
    wanted = {int(i) for i in ids if i is not None}
    rows = await Person.filter(id__in=list(wanted)).using_db(conn).values_list("id", "name")
    return {int(str(pid)): str(name) for pid, name in rows}


async def account_names(conn: BaseDBAsyncClient, ids: Sequence[int]) -> str:
    """The post's accounts as people read them: 临江文旅（微信）、临江发布（微博）."""
    rows = await Account.filter(id__in=list(ids)).using_db(conn).order_by("id")
    return "、".join(a.label for a in rows) or "未选择"


async def history(w: Work, post: Post) -> list[str]:
    """Where each level of the current version stands (``cards.history_lines``)."""
    steps = (
        await ReviewStep.filter(post_id=post.id, version=post.version)
        .using_db(w.conn)
        .order_by("id")
    )
    names = await names_of(w.conn, [s.decided_by_id or s.approver_id for s in steps])
    return cards.history_lines(steps, names, w.when)


async def step_card(w: Work, post: Post, step: ReviewStep, author: Member) -> Card:
    """A level's card as the post stands now."""
    return cards.step_card(
        post=post,
        step=step,
        version=await current_version(w.conn, post),
        previous=await previous_version(w.conn, post),
        author=author,
        approver=await load_member(step.approver_id, w.conn),
        accounts=await account_names(w.conn, post.account_ids),
        history=await history(w, post),
    )


async def author_card(w: Work, post: Post) -> Card:
    """The author's progress card as the post stands now."""
    version = await current_version(w.conn, post)
    return cards.author_card(post, version.title, await history(w, post))


async def trail_card(w: Work, post: Post) -> Card:
    """审核记录 of a post."""
    versions = await PostVersion.filter(post_id=post.id).using_db(w.conn).order_by("number")
    steps = await ReviewStep.filter(post_id=post.id).using_db(w.conn).order_by("id")
    people: list[int | None] = [post.author_id]
    for step in steps:
        people += [step.decided_by_id or step.approver_id, step.delegated_from_id]
    names = await names_of(w.conn, people)
    return cards.trail_card(post, versions, steps, names, w.when)


# ---- 审核记录 -----------------------------------------------------------------------------------


async def may_see(conn: BaseDBAsyncClient, member: Member, post: Post) -> bool:
    """The author, anyone who was an approver of the post, supervisor staff and admins."""
    if member.id == post.author_id or member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        return True
    reviewers = (
        await ReviewStep.filter(post_id=post.id)
        .using_db(conn)
        .values_list("approver_id", "delegated_from_id")
    )
    return any(member.id in pair for pair in reviewers)


async def show_trail(ctx: HandlerContext, rest: str) -> None:
    """审核记录 [编号]: the numbered post, else the person's newest post or latest review."""
    post = await find_post(ctx.conn, ctx.actor.id, rest, tuple(PostStatus))
    if post is None and not rest:
        step = (
            await ReviewStep.filter(approver_id=ctx.actor.id)
            .using_db(ctx.conn)
            .order_by("-id")
            .first()
        )
        if step is not None:
            post = await Post.filter(id=step.post_id).using_db(ctx.conn).first()
    if post is None:
        await ctx.reply("没有找到稿件。请发送“审核记录 编号”，编号见送审进度卡片。")
        return
    if not await may_see(ctx.conn, ctx.actor, post):
        await ctx.reply(NOT_ALLOWED)
        return
    await ctx.reply(card=await trail_card(ctx, post))


async def send_trail(ctx: HandlerContext, post_id: int) -> Outcome:
    """审核记录 tapped on the author's card: the trail goes to the person's 1:1 chat."""
    post = await Post.filter(id=post_id).using_db(ctx.conn).first()
    if post is None:
        raise ReviewError(f"找不到编号为 {post_id} 的稿件。")
    if not await may_see(ctx.conn, ctx.actor, post):
        raise ReviewError(NOT_ALLOWED)
    await ctx.reply_privately(card=await trail_card(ctx, post))
    return Outcome("审核记录已发到您的对话中", "info")


# ---- what reviewers read ------------------------------------------------------------------------


async def send_full_text(ctx: HandlerContext, step_id: int) -> Outcome:
    """查看全文: the level's version in full, with its link and files, in the 1:1 chat."""
    step = await ReviewStep.filter(id=step_id).using_db(ctx.conn).get()
    version = (
        await PostVersion.filter(post_id=step.post_id, number=step.version).using_db(ctx.conn).get()
    )
    link = f"\n链接：{version.link}" if version.link else ""
    files = tuple(FileRef.model_validate(f) for f in version.attachments)
    listed = f"\n附件（{len(files)}个）见下。" if files else ""
    await ctx.reply_privately(
        f"《{version.title}》第{version.number}版全文：\n{version.text}{link}{listed}", files=files
    )
    return Outcome("全文已发到您的对话中", "info")


async def show_pending(ctx: HandlerContext, rest: str) -> None:
    """待审核: re-sends the open card of every level waiting for this person (a lost message
    is no reason for a post to wait)."""
    steps = (
        await ReviewStep.filter(approver_id=ctx.actor.id, status=StepStatus.PENDING)
        .using_db(ctx.conn)
        .order_by("id")
    )
    if not steps:
        await ctx.reply("目前没有等待您审核的稿件。")
        return
    await ctx.reply(f"有{len(steps)}篇稿件等待您审核：")
    for step in steps[:10]:
        if step.card_id is None:
            continue
        record = await CardRecord.filter(id=step.card_id).using_db(ctx.conn).first()
        if record is not None:
            await ctx.reply(card=card_from_record(record))


# ---- 已发布 -------------------------------------------------------------------------------------


async def post_to_publish(ctx: HandlerContext, typed: str) -> Post | None:
    """The post 已发布 reports: the one numbered, else the author's only approved post. With
    several approved posts and no number, lists them and returns None (so does no post)."""
    if any(c.isdigit() for c in typed):
        post = await find_post(ctx.conn, ctx.actor.id, typed, ())
    else:
        approved = (
            await Post.filter(author_id=ctx.actor.id, status=PostStatus.APPROVED)
            .using_db(ctx.conn)
            .order_by("id")
        )
        if len(approved) > 1:
            listed = "\n".join(f"{p.id}. 《{p.title}》" for p in approved)
            await ctx.reply(
                f"您有{len(approved)}篇可发布的稿件，请写明编号，"
                f"如“已发布 {approved[0].id} 链接”：\n{listed}"
            )
            return None
        post = approved[0] if approved else None
    if post is None:
        await ctx.reply("没有找到审核通过、待发布的稿件。稿件须经全部审核通过后才能发布。")
    return post


async def updates_since(account_id: int, since: datetime) -> int:
    """How many updates an account had since ``since`` (for ≥ N a week, 14 days of silence)."""
    return await AccountUpdate.filter(account_id=account_id, published_at__gte=since).count()


async def last_update(account_id: int) -> datetime | None:
    row = await AccountUpdate.filter(account_id=account_id).order_by("-published_at").first()
    return row.published_at if row else None
