"""Decisions on a level (通过, 退回修改, 不予发布) and what the author is told."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    Tone,
)
from bot.core.directory import Member, load_member
from bot.core.outgoing import Message
from bot.deadlines import lifecycle
from bot.flows.review.base import ACTION, AlreadyDecided, ReviewError, Work
from bot.flows.review.cards import account_names, history_lines, step_card
from bot.flows.review.chain import candidates, earlier_approvers
from bot.flows.review.store import lock_post
from bot.flows.review.submission import open_level
from storage.enums import Platform
from storage.models.review import Post, PostStatus, ReviewStep, StepStatus


@dataclass
class Decision:
    kind: Literal["approve", "return", "reject"]
    comment: str


async def decide(
    w: Work, actor: Member, step_id: int, decision: Decision
) -> tuple[str, Card | None]:
    """Record one decision. Returns the toast text and the step card's new content."""
    step = await ReviewStep.filter(id=step_id).using_db(w.conn).select_for_update().first()
    if step is None:
        raise ReviewError("找不到这一级审核，请查看最新卡片。")
    post = await lock_post(w.conn, step.post_id)
    assert post is not None
    if step.status != StepStatus.PENDING or post.status != PostStatus.IN_REVIEW:
        raise AlreadyDecided(f"这一级已经处理过了（{step.status.label}）。")
    if actor.id == post.author_id:
        await w.audit("review.denied", "post", post.id, {"step": step.id, "why": "author"})
        raise ReviewError("送审人不能审核自己的稿件。")
    if actor.id != step.approver_id and not await _is_delegate(w, step, actor):
        await w.audit("review.denied", "post", post.id, {"step": step.id, "why": "not_approver"})
        raise ReviewError("这一级不由您审核，您的操作未生效。")
    level = post.levels[step.level]
    if (
        not post.allow_same_person
        and not level.get("consent")
        and actor.id in await earlier_approvers(w.conn, post)
    ):
        await w.audit("review.denied", "post", post.id, {"step": step.id, "why": "two_levels"})
        raise ReviewError("您已审核过这篇稿件的上一级，同一人不能审核两个层级。")
    comment = decision.comment.strip()
    if decision.kind in ("return", "reject") and not comment:
        what = "退回意见" if decision.kind == "return" else "不予发布的理由"
        raise ReviewError(f"请填写{what}后再提交。")
    if decision.kind == "approve" and level.get("consent") and not comment:
        raise ReviewError("请填写区委、区政府同意的文件或批示（文号、日期）。")
    final = step.level == len(post.levels) - 1
    if decision.kind == "approve" and not final:
        # Nothing is written unless the next level can be staffed: a half-made decision would
        # leave the post in review with nobody to act.
        nxt = post.levels[step.level + 1]
        exclude = {post.author_id}
        if not post.allow_same_person and not nxt.get("consent"):
            exclude |= await earlier_approvers(w.conn, post) | {actor.id}
        if not await candidates(w.conn, post.unit_id, nxt, exclude):
            raise ReviewError(
                f"找不到可以担任{nxt['name']}的人员，暂不能通过。请联系管理员补充审核人员。"
            )
    author = await load_member(post.author_id, w.conn)
    assert author is not None
    step.status = {
        "approve": StepStatus.APPROVED,
        "return": StepStatus.RETURNED,
        "reject": StepStatus.REJECTED,
    }[decision.kind]
    step.decided_by_id = actor.id
    step.decided_at = w.now
    step.comment = comment
    step.checks = list(post.checks) if decision.kind == "approve" else []
    await step.save(using_db=w.conn)
    if step.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, step.deadline_id, now=w.now, reason="已审核")
    await w.audit(
        f"review.{decision.kind}d" if decision.kind != "return" else "review.returned",
        "post",
        post.id,
        {
            "step": step.id,
            "level": step.level_name,
            "version": post.version,
            "comment": comment,
            "checks": step.checks,
        },
    )
    at = w.when(w.now)
    post.updated_at = w.now
    if decision.kind == "approve" and not final:
        post.level += 1
        await post.save(using_db=w.conn)
        nxt = await open_level(w, post, author, previous=step)
        nxt_approver = await load_member(nxt.approver_id, w.conn)
        status = (
            f"{step.level_name}：{actor.name} 已通过（{at}）；"
            f"已转{nxt.level_name}，待{nxt_approver.name if nxt_approver else ''}审核"
        )
        toast = f"已通过，已转{nxt.level_name}"
        await _tell_author(
            w,
            post,
            author,
            f"《{post.title}》{step.level_name}已由{actor.name}通过，"
            f"已转{nxt_approver.name if nxt_approver else ''}{nxt.level_name}。",
        )
    elif decision.kind == "approve":
        post.status = PostStatus.APPROVED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{actor.name} 已通过（{at}）。全部审核通过，可发布"
        toast = "已通过，稿件可发布"
        await _tell_author_approved(w, post, author)
    elif decision.kind == "return":
        post.status = PostStatus.RETURNED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{actor.name} 退回修改（{at}）：{comment}"
        toast = "已退回修改"
        await _tell_author_returned(w, post, author, actor, step)
    else:
        post.status = PostStatus.REJECTED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{actor.name} 不予发布（{at}）：{comment}"
        toast = "已决定不予发布"
        await _tell_author(
            w,
            post,
            author,
            f"《{post.title}》{step.level_name}不予发布（{actor.name}）。理由：{comment}",
        )
    card = await close_step_card(w, post, step, author, status)
    return toast, card


async def _is_delegate(w: Work, step: ReviewStep, actor: Member) -> bool:
    """An escalation may have let a deputy decide in the approver's place (card allowed ids)."""
    if step.card_id is None:
        return False
    from storage.models.machinery import CardRecord

    record = await CardRecord.filter(id=step.card_id).using_db(w.conn).first()
    return record is not None and actor.id in [int(p) for p in record.allowed_person_ids]


async def close_step_card(
    w: Work, post: Post, step: ReviewStep, author: Member, status: str
) -> Card | None:
    if step.card_id is None:
        return None
    card = (await step_card(w, post, step, author)).model_copy(
        update={
            "subtitle": f"第{step.version}版 · {step.level_name}{step.status.label}",
            "mentions": (),
        }
    )
    card = card.closed(
        status,
        Tone.GREEN
        if step.status == StepStatus.APPROVED
        else Tone.RED
        if step.status == StepStatus.REJECTED
        else Tone.GREY,
    )
    return await w.emit.update_card(step.card_id, card, close=True)


def author_platform(post: Post) -> Platform | None:
    try:
        return Platform(post.author_platform) if post.author_platform else None
    except ValueError:
        return None


async def to_author(w: Work, post: Post, message: Message) -> None:
    """Back to the platform the author submitted on, if it is still enabled."""
    platform = author_platform(post)
    if platform not in w.services.channels:
        platform = None
    await w.emit.to_person(post.author_id, message, platform=platform)


async def _tell_author(w: Work, post: Post, author: Member, text: str) -> None:
    await to_author(w, post, Message(text=text))


async def _tell_author_approved(w: Work, post: Post, author: Member) -> None:
    card = await w.emit.new_card(
        Card(
            title=f"可发布：《{post.title}》",
            tone=Tone.GREEN,
            body=(
                "三级审核已全部通过，可以发布。发布后请点“已发布”并填写发布链接，"
                f"或回复“已发布 {post.id} 链接”。"
            ),
            fields=(
                CardField(label="发布账号", value=await account_names(w.conn, post.account_ids)),
                CardField(label="审核进度", value="\n".join(await history_lines(w, post))),
            ),
            inputs=(FormInput(name="link", label="发布链接", required=True),),
            buttons=(
                Button(
                    label="已发布",
                    action=f"{ACTION}.published",
                    payload={"post": str(post.id)},
                    style=ButtonStyle.PRIMARY,
                    needs=("link",),
                ),
            ),
        ),
        kind="review.approved",
        allowed_person_ids=[author.id],
        subject_type="post",
        subject_id=post.id,
    )
    await to_author(w, post, Message(card=card))


async def _tell_author_returned(
    w: Work, post: Post, author: Member, actor: Member, step: ReviewStep
) -> None:
    card = await w.emit.new_card(
        Card(
            title=f"退回修改：《{post.title}》",
            tone=Tone.ORANGE,
            body=(
                f"{step.level_name}（{actor.name}）退回修改，意见：{step.comment}\n"
                "点“修改后重新送审”提交新版本；新版本从初审重新开始，审核人会看到改动之处。"
            ),
            buttons=(
                Button(
                    label="修改后重新送审",
                    action=f"{ACTION}.revise",
                    payload={"post": str(post.id)},
                    style=ButtonStyle.PRIMARY,
                ),
                Button(label="撤回", action=f"{ACTION}.withdraw", payload={"post": str(post.id)}),
            ),
        ),
        kind="review.returned",
        allowed_person_ids=[author.id],
        subject_type="post",
        subject_id=post.id,
    )
    await to_author(w, post, Message(card=card))
