"""Submitting a post: the check, then opening each level (step, card, deadline)."""

from __future__ import annotations

from dataclasses import replace

from bot.cards.model import (
    Card,
)
from bot.core.directory import Member, load_member, unit_chat
from bot.core.emit import chat_reachable
from bot.core.outgoing import Message
from bot.core.services import Services
from bot.deadlines import lifecycle
from bot.flows.review.base import STEP_HANDLER, ReviewError, Work, options
from bot.flows.review.cards import step_card
from bot.flows.review.chain import candidates, earlier_approvers, plan_chain
from bot.flows.review.store import current_version
from bot.flows.review_check import CheckInput, CheckResult, check_post
from storage.enums import ChatPurpose, Platform
from storage.models.review import Post, PostStatus, ReviewStep


def run_check(services: Services, title: str, text: str, repost: bool, source: str) -> CheckResult:
    """The title and the text checked apart, so places read 标题第3字 / 正文第2行第5字."""
    words = options(services).words()
    in_title = check_post(CheckInput(text=title), sensitive_words=words)
    in_text = check_post(CheckInput(text=text, repost=repost, source=source), sensitive_words=words)
    return CheckResult(
        findings=tuple(replace(f, part="标题") for f in in_title.findings)
        + tuple(replace(f, part="正文") if f.start >= 0 else f for f in in_text.findings)
    )


async def submit(w: Work, post: Post, author: Member) -> ReviewStep:
    """Send a checked draft to its first level (a returned post restarts at level 1)."""
    if post.status != PostStatus.DRAFT:
        raise ReviewError(f"这篇稿件当前状态为“{post.status.label}”，不能送审。")
    await plan_chain(
        w.conn,
        author_id=post.author_id,
        unit_id=post.unit_id,
        levels=post.levels,
        allow_same_person=post.allow_same_person,
    )
    post.status = PostStatus.IN_REVIEW
    post.level = 0
    post.updated_at = w.now
    await post.save(using_db=w.conn)
    version = await current_version(w.conn, post)
    await w.audit(
        "review.submitted",
        "post",
        post.id,
        {
            "version": post.version,
            "findings": len(version.findings),
            "override_reason": version.override_reason,
            "levels": [lv["name"] for lv in post.levels],
        },
    )
    return await open_level(w, post, author)


async def open_level(
    w: Work, post: Post, author: Member, *, previous: ReviewStep | None = None
) -> ReviewStep:
    """Create the pending step of ``post.level``: card, group @-mention, 1:1 card, reminders."""
    level = post.levels[post.level]
    exclude = {post.author_id}
    if not post.allow_same_person and not level.get("consent"):
        exclude |= await earlier_approvers(w.conn, post)
    found = await candidates(w.conn, post.unit_id, level, exclude)
    if not found:
        raise ReviewError(
            f"本单位找不到可以担任{level['name']}的人员，请联系管理员补充审核人员后重新送审。"
        )
    approver = found[0]
    step = await ReviewStep.create(
        using_db=w.conn,
        post_id=post.id,
        version=post.version,
        level=post.level,
        level_name=level["name"],
        approver_id=approver.id,
        created_at=w.now,
    )
    card = await w.emit.new_card(
        await step_card(w, post, step, author),
        kind="review.step",
        allowed_person_ids=[approver.id],
        subject_type="post",
        subject_id=post.id,
    )
    step.card_id = card.card_id
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind="review",
        subject_type="review_step",
        subject_id=step.id,
        handler=STEP_HANDLER,
        now=w.now,
        rule="review.escalate",
        schedule=w.policy.schedule("review"),
        data={"step": step.id, "post": post.id},
    )
    step.deadline_id = deadline.id
    await step.save(using_db=w.conn)
    lead = f"请{level['name']}《{post.title}》（{author.name}送审，第{post.version}版）"
    if previous is not None:
        decider = await load_member(int(previous.decided_by_id or 0), w.conn)
        who = decider.name if decider else ""
        lead = f"{previous.level_name}已由{who}通过。{lead}"
    await deliver_card(w, post, approver, card, lead)
    await w.audit(
        "review.level_opened",
        "post",
        post.id,
        {"step": step.id, "level": level["name"], "approver": approver.id, "version": post.version},
    )
    return step


async def deliver_card(w: Work, post: Post, approver: Member, card: Card, lead: str) -> None:
    """The unit's review group gets the card with an @-mention; the approver gets it 1:1 where
    the group cannot carry a tappable card for them (WeCom robots post markdown only)."""
    chat = await unit_chat(post.unit_id, ChatPurpose.REVIEW, w.conn)
    mention = (approver.mention(),)
    if chat is not None:
        await w.emit.to_chat(chat.id, Message(text=lead, card=card, mentions=mention))
    # Every platform the approver uses must offer a tappable card: a group card where the
    # group carries cards (console, Feishu), else a 1:1 copy (WeCom robots post markdown).
    for platform in await w.emit.person_platforms(approver.id):
        if chat is None or platform == Platform.WECOM or not chat_reachable(chat, platform):
            await w.emit.to_person(approver.id, Message(text=lead, card=card), platform=platform)
