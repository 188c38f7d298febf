"""送审: from the command to the form, the form's submit (a draft or a new version, checked),
the check card with 修改 / 仍然送审 / 放弃, and on into review (``transitions.submit``)."""

from __future__ import annotations

from typing import Any

from bot.core import forms as chat_forms
from bot.core.context import HandlerContext
from bot.core.forms import Answers
from bot.core.work import Outcome
from bot.flows.review import cards, reading, records, transitions
from bot.flows.review import forms as review_forms
from bot.flows.review.check import CheckResult, check_title_and_text
from bot.flows.review.model import (
    AUTHOR_CARD,
    CHECK_CARD,
    SUBJECT,
    AlreadyDecided,
    Draft,
    ReviewError,
    current_version,
    lock_post,
)
from bot.flows.review.people import levels_from_policy
from storage.models.machinery import StoredFile
from storage.models.review import Post, PostStatus, PostVersion

# The 送审 form; submitting it runs ``submit_form``.
SPEC = chat_forms.register(
    review_forms.submit_spec(lambda ctx, answers, extra: submit_form(ctx, answers, extra))
)


async def start_submission(ctx: HandlerContext, rest: str) -> None:
    """送审 [标题]: the form, once the unit has an account to publish on."""
    if not await review_forms.account_choices(ctx, {}):
        await ctx.reply(
            "本单位台账中还没有政务新媒体账号，无法选择发布账号。请先办理“备案”或联系管理员。"
        )
        return
    levels = " → ".join(lv.name for lv in ctx.policy.review.levels.levels)
    await chat_forms.start(
        ctx,
        SPEC,
        answers=review_forms.settled(ctx.policy),
        prefill={"title": rest} if rest else {},
        intro=f"好的，开始送审。稿件将依次经过{levels}，全部通过后方可发布（先审后发）。",
    )


async def edit(ctx: HandlerContext, post_id: int, expected: PostStatus) -> Outcome:
    """修改 (a draft the check stopped) or 修改后重新送审 (a returned post): the form again,
    pre-filled with the current version."""
    post = await lock_post(ctx.conn, post_id)
    if post is None or post.author_id != ctx.actor.id:
        raise ReviewError("只有送审人可以修改稿件。")
    if post.status != expected:
        raise AlreadyDecided(f"稿件{post.status.label}，不能再修改。")
    if await ctx.conversation(lock=False) is not None:
        raise ReviewError("您还有一件事没办完，请先完成或回复“取消”。")
    version = await current_version(ctx.conn, post)
    prefill = await review_forms.prefill_of(ctx, post, version)
    if expected == PostStatus.DRAFT:
        await ctx.close_tapped("修改中")
    await chat_forms.start(
        ctx,
        SPEC,
        answers=review_forms.settled(ctx.policy),
        prefill=prefill,
        extra={"post_id": post.id},
        intro="请逐项修改，不改的项回复“同上”。修改后会重新自检。",
    )
    return Outcome("请按提示修改", "info")


async def submit_form(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    """Write the draft (or a new version of a returned post), check it, show the result."""
    draft = await review_forms.draft_of(ctx, answers)
    attached, unreadable = await reading.attachment_texts(ctx.conn, draft.attachments)
    result = check_title_and_text(
        draft.title,
        draft.text,
        repost=draft.repost,
        source=draft.source,
        sensitive_words=ctx.services.review.words(),
        proofreader=await reading.proofreader(ctx.conn, ctx.services.review),
        attachments=attached,
    )
    post_id = extra.get("post_id")
    post: Post | None
    if post_id is None:
        post = await _new_post(ctx, draft)
        version = None
    else:
        post = await lock_post(ctx.conn, int(post_id))
        if post is None or post.author_id != ctx.actor.id:
            await ctx.reply("找不到要修改的稿件，请重新发送“送审”。")
            return
        if post.status not in (PostStatus.DRAFT, PostStatus.RETURNED):
            await ctx.reply(f"这篇稿件{post.status.label}，不能再修改。")
            return
        version = await _revise_post(ctx, post, draft)
    await _save_version(ctx, post, version, draft, result)
    if unreadable:
        await ctx.reply(
            f"附件{'、'.join(unreadable)}无法读取文字，未做自检，请自行核对（图片不做自检）。"
        )
    if not result.clean:
        card = await ctx.emit.new_card(
            cards.check_card(post, result.lines()),
            kind=CHECK_CARD,
            allowed_person_ids=[ctx.actor.id],
            subject_type=SUBJECT,
            subject_id=post.id,
        )
        await ctx.reply(card=card)
        return
    if result.suggestions:
        await ctx.reply(
            f"送审前自检有{len(result.suggestions)}处用字建议（不影响送审，审核人也会看到），"
            "可在退回修改时一并改正：\n" + "\n".join(result.lines())
        )
    lead = "送审前自检只有用字建议。" if result.suggestions else "送审前自检未发现问题。"
    await _send_to_review(ctx, post, lead=lead)


async def _new_post(ctx: HandlerContext, draft: Draft) -> Post:
    """A new post, its review chain snapshotted from the preset now."""
    policy = ctx.policy
    return await Post.create(
        using_db=ctx.conn,
        author_id=ctx.actor.id,
        author_platform=ctx.event.platform.value,
        unit_id=ctx.actor.unit.id,
        title=draft.title,
        status=PostStatus.DRAFT,
        version=1,
        levels=levels_from_policy(policy, major_policy=draft.major_policy),
        checks=list(policy.review.checks.items),
        policy_id=policy.id,
        account_ids=draft.account_ids,
        repost=draft.repost,
        source=draft.source,
        major_policy=draft.major_policy,
        allow_same_person=ctx.services.review.allow_same_person,
        created_at=ctx.now,
        updated_at=ctx.now,
    )


async def _revise_post(ctx: HandlerContext, post: Post, draft: Draft) -> PostVersion | None:
    """The post takes the edited answers. A returned post gets a new version (``None``: not
    written yet); an edited draft rewrites its current version (returned)."""
    version: PostVersion | None
    if post.status == PostStatus.RETURNED:
        post.version += 1
        post.status = PostStatus.DRAFT
        version = None
    else:
        version = await current_version(ctx.conn, post)
    post.title = draft.title
    post.account_ids = draft.account_ids
    post.repost = draft.repost
    post.source = draft.source
    post.major_policy = draft.major_policy
    post.levels = levels_from_policy(ctx.policy, major_policy=draft.major_policy)
    post.updated_at = ctx.now
    await post.save(using_db=ctx.conn)
    return version


async def _save_version(
    ctx: HandlerContext,
    post: Post,
    version: PostVersion | None,
    draft: Draft,
    result: CheckResult,
) -> None:
    """Write the version (``None``: a new one) with its check; the sent files become the post's."""
    values = {
        "title": draft.title,
        "text": draft.text,
        "link": draft.link,
        "findings": result.to_json(),
        "override_reason": "",
        "attachments": [f.model_dump(mode="json") for f in draft.attachments],
    }
    if version is None:
        await PostVersion.create(
            using_db=ctx.conn, post_id=post.id, number=post.version, created_at=ctx.now, **values
        )
    else:
        version.update_from_dict(values)
        await version.save(using_db=ctx.conn)
    await ctx.audit(
        "review.version_saved",
        SUBJECT,
        post.id,
        {
            "version": post.version,
            "findings": result.to_json(),
            "title": draft.title,
            "attachments": [{"file_id": f.file_id, "name": f.name} for f in draft.attachments],
        },
    )
    # The kept files now belong to the post (they were the form's while it was being filled).
    await (
        StoredFile.filter(
            id__in=[f.file_id for f in draft.attachments], subject_type__in=("form", "upload")
        )
        .using_db(ctx.conn)
        .update(subject_type=SUBJECT, subject_id=str(post.id))
    )


async def submit_anyway(ctx: HandlerContext, post_id: int, reason: str) -> Outcome:
    """仍然送审: the author keeps what the check found, with a reason every reviewer sees."""
    post = await lock_post(ctx.conn, post_id)
    if post is None or post.author_id != ctx.actor.id:
        raise ReviewError("只有送审人可以送审。")
    if post.status != PostStatus.DRAFT:
        raise AlreadyDecided(f"稿件{post.status.label}，无需再次送审。")
    reason = reason.strip()
    if len(reason) < 2:
        raise ReviewError("请说明仍然送审的理由，审核人会看到。")
    version = await current_version(ctx.conn, post)
    version.override_reason = reason
    await version.save(using_db=ctx.conn)
    await ctx.audit("review.check_overridden", SUBJECT, post.id, {"reason": reason})
    if not await _send_to_review(ctx, post, lead="已记录您的说明。"):
        return Outcome()
    await ctx.close_tapped(f"已仍然送审，理由：{reason}")
    return Outcome("已送审")


async def _send_to_review(ctx: HandlerContext, post: Post, *, lead: str) -> bool:
    """Into review, and the author's progress card; a chain that cannot be staffed is told in
    the reply and the post stays a draft."""
    try:
        outcome = await transitions.submit(ctx, post, ctx.actor)
    except ReviewError as exc:
        await ctx.reply(f"{lead}但暂时无法送审：{exc}")
        return False
    card = await ctx.emit.new_card(
        await records.author_card(ctx, post),
        kind=AUTHOR_CARD,
        allowed_person_ids=[ctx.actor.id],
        subject_type=SUBJECT,
        subject_id=post.id,
    )
    await ctx.reply(f"{lead}{outcome.toast}审核结果会通知您；可随时“催办”或“撤回”。", card=card)
    return True
