"""Hand-over (转交), withdrawal (撤回), urging (催办) and reminders."""

from __future__ import annotations

from datetime import timedelta

from bot.core.directory import Member, load_member, unit_chat
from bot.core.outgoing import Message
from bot.deadlines import lifecycle
from bot.flows.review.base import AlreadyDecided, ReviewError, Work, options
from bot.flows.review.cards import step_card
from bot.flows.review.chain import candidates, earlier_approvers
from bot.flows.review.decisions import close_step_card
from bot.flows.review.store import lock_post
from bot.flows.review.submission import deliver_card
from storage.enums import ChatPurpose
from storage.models.review import Post, PostStatus, ReviewStep, StepStatus


async def delegates_for(w: Work, post: Post, step: ReviewStep) -> list[Member]:
    """Others holding this level's roles (转交 targets), never the author or earlier approvers."""
    level = post.levels[step.level]
    exclude = {post.author_id, step.approver_id}
    if not post.allow_same_person and not level.get("consent"):
        exclude |= await earlier_approvers(w.conn, post)
    return await candidates(w.conn, post.unit_id, level, exclude)


async def hand_over(w: Work, actor: Member, step_id: int, to_id: int) -> ReviewStep:
    step = await ReviewStep.filter(id=step_id).using_db(w.conn).select_for_update().first()
    if step is None or step.status != StepStatus.PENDING:
        raise AlreadyDecided("这一级已经处理过了，无需转交。")
    post = await lock_post(w.conn, step.post_id)
    assert post is not None
    if actor.id != step.approver_id:
        raise ReviewError("只有当前审核人可以转交。")
    allowed = {m.id for m in await delegates_for(w, post, step)}
    if to_id not in allowed:
        raise ReviewError("只能转交给同一角色的其他人员。")
    target = await load_member(to_id, w.conn)
    author = await load_member(post.author_id, w.conn)
    assert target is not None
    assert author is not None
    step.delegated_from_id = actor.id
    step.approver_id = to_id
    await step.save(using_db=w.conn)
    await w.audit(
        "review.handed_over",
        "post",
        post.id,
        {"step": step.id, "from": actor.id, "to": to_id, "level": step.level_name},
    )
    if step.card_id is not None:
        card = await step_card(w, post, step, author)
        card = await w.emit.update_card(step.card_id, card, allowed_person_ids=[to_id])
        lead = f"{actor.name}将《{post.title}》的{step.level_name}转交给您"
        await deliver_card(w, post, target, card, lead)
    if step.deadline_id is not None:
        await lifecycle.reschedule(w.services, w.conn, step.deadline_id, now=w.now, start_at=w.now)
    return step


async def withdraw(w: Work, actor: Member, post_id: int) -> str:
    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if actor.id != post.author_id:
        raise ReviewError("只有送审人可以撤回。")
    if post.status == PostStatus.WITHDRAWN:
        raise AlreadyDecided("这篇稿件已经撤回了。")
    if post.status not in (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.RETURNED):
        raise ReviewError(f"稿件已{post.status.label}，审核已结束，不能撤回。")
    author = await load_member(post.author_id, w.conn)
    assert author is not None
    pending = (
        await ReviewStep.filter(post_id=post.id, status=StepStatus.PENDING)
        .using_db(w.conn)
        .select_for_update()
    )
    post.status = PostStatus.WITHDRAWN
    post.updated_at = w.now
    await post.save(using_db=w.conn)
    for step in pending:
        step.status = StepStatus.CANCELLED
        step.decided_at = w.now
        await step.save(using_db=w.conn)
        if step.deadline_id is not None:
            await lifecycle.cancel(w.services, w.conn, step.deadline_id, now=w.now, reason="撤回")
        await close_step_card(
            w, post, step, author, f"送审人{actor.name}已撤回（{w.when(w.now)}），无需审核"
        )
        approver = await load_member(step.approver_id, w.conn)
        if approver is not None:
            await w.emit.to_person(
                approver.id, Message(text=f"{actor.name}已撤回《{post.title}》，无需再审核。")
            )
    await w.audit("review.withdrawn", "post", post.id, {"version": post.version})
    return "已撤回"


async def urge(w: Work, actor: Member, post_id: int) -> str:
    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if actor.id != post.author_id:
        raise ReviewError("只有送审人可以催办。")
    if post.status != PostStatus.IN_REVIEW:
        raise ReviewError(f"稿件{post.status.label}，无需催办。")
    interval = timedelta(minutes=options(w.services).urge_interval_minutes)
    if post.last_urged_at is not None and w.now - post.last_urged_at < interval:
        wait = interval - (w.now - post.last_urged_at)
        minutes = max(1, int(wait.total_seconds() // 60))
        raise ReviewError(f"刚催办过，请{minutes}分钟后再催办。")
    step = (
        await ReviewStep.filter(post_id=post.id, status=StepStatus.PENDING).using_db(w.conn).first()
    )
    if step is None:
        raise ReviewError("当前没有待审核的层级。")
    approver = await load_member(step.approver_id, w.conn)
    assert approver is not None
    post.last_urged_at = w.now
    await post.save(using_db=w.conn)
    text = f"{actor.name}催办：《{post.title}》正等待您{step.level_name}，请尽快审核。"
    await remind(w, post, approver, text)
    await w.audit("review.urged", "post", post.id, {"step": step.id, "approver": approver.id})
    return f"已催办{approver.name}"


async def remind(w: Work, post: Post, person: Member, text: str) -> None:
    """A reminder 1:1 and, with an @-mention, in the unit's review group."""
    await w.emit.to_person(person.id, Message(text=text))
    chat = await unit_chat(post.unit_id, ChatPurpose.REVIEW, w.conn)
    if chat is not None:
        await w.emit.to_chat(chat.id, Message(text=text, mentions=(person.mention(),)))
