"""送审 and the review cards: the form, the check, decisions, 催办, 撤回, 已发布, 审核记录.

The state machine is the ``bot/flows/review`` package; this module turns chat events into its
transitions and its answers into replies and toasts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.cards.model import Button, ButtonStyle, Card, FormInput, InputKind, Tone
from bot.core import forms
from bot.core.context import HandlerContext
from bot.core.directory import Member, load_member, owning_unit
from bot.core.emit import card_from_record
from bot.core.forms import Answers, Choice, FormError, FormSpec, Question, QuestionKind
from bot.core.outgoing import FileRef, Message
from bot.deadlines.registry import StepContext, step_handler
from bot.flows import review as flow
from bot.flows.review import AlreadyDecided, Decision, ReviewError, Work
from bot.handlers.registry import router
from storage.enums import AccountStatus, Role
from storage.models.machinery import StoredFile
from storage.models.org import Account
from storage.models.review import Post, PostStatus, PostVersion, ReviewStep, StepStatus

AUTHOR_ROLES = frozenset({Role.EDITOR, Role.CLERK})
ORIGINAL = "原创"
REPOST = "转载"


def work(ctx: HandlerContext) -> Work:
    async def audit(action: str, subject_type: str, subject_id: str | int, detail: Any) -> None:
        await ctx.audit(action, subject_type, subject_id, detail)

    return Work(services=ctx.services, conn=ctx.conn, emit=ctx.emit, now=ctx.now, audit=audit)


# ---- the form ----------------------------------------------------------------------------------


async def account_choices(ctx: HandlerContext, answers: Answers) -> list[Choice]:
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    rows = (
        await Account.filter(owner_unit_id=unit.id)
        .exclude(status__in=[AccountStatus.CLOSED, AccountStatus.CANCELLED])
        .using_db(ctx.conn)
        .order_by("id")
    )
    # The label is the value too: the summary card shows values, and people read names.
    labels = [f"{a.name}（{a.platform.label}）" for a in rows]
    return [
        Choice(label if labels.count(label) == 1 else f"{label}#{a.id}", label)
        for a, label in zip(rows, labels, strict=True)
    ]


async def account_ids_of(ctx: HandlerContext, value: str) -> list[int]:
    unit = await owning_unit(ctx.actor.unit.id, ctx.conn)
    rows = await Account.filter(owner_unit_id=unit.id).using_db(ctx.conn).order_by("id")
    picked = [v for v in value.split("\n") if v]
    found: list[int] = []
    for account in rows:
        label = f"{account.name}（{account.platform.label}）"
        if label in picked or f"{label}#{account.id}" in picked:
            found.append(account.id)
    return found


async def check_link(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if not re.match(r"^https?://\S+$", text):
        raise FormError("链接格式不正确，请发送以 http:// 或 https:// 开头的完整链接。")
    return text


async def check_text(ctx: HandlerContext, text: str, answers: Answers) -> str:
    if len(text) < 5:
        raise FormError("正文太短了，请粘贴完整的稿件正文。")
    return text


def _needs_consent_question(answers: Answers) -> bool:
    return answers.get("_consent") == "1"


SPEC = forms.register(
    FormSpec(
        name="review.submit",
        label="送审",
        summary_title="请核对送审稿件",
        submit_label="送审",
        on_complete=lambda ctx, answers, extra: on_form_complete(ctx, answers, extra),
        questions=(
            Question("title", "标题", "请输入稿件标题。"),
            Question(
                "text",
                "正文",
                "请粘贴稿件正文（图片、附件在后面一步直接发送）。",
                kind=QuestionKind.LONG_TEXT,
                validate=check_text,
            ),
            Question(
                "link",
                "预览链接",
                "如有预览链接或原文链接，请发来。",
                required=False,
                validate=check_link,
            ),
            Question(
                "attachments",
                "图片和附件",
                "请发送图片或附件，发完回复「好了」，没有请回复「无」。",
                kind=QuestionKind.ATTACHMENTS,
                required=False,
            ),
            Question(
                "accounts",
                "发布账号",
                "请选择发布到哪些账号。",
                kind=QuestionKind.MULTI_CHOICE,
                choices=account_choices,
            ),
            Question(
                "kind",
                "稿件类型",
                "这是原创还是转载？",
                kind=QuestionKind.CHOICE,
                choices=(Choice(ORIGINAL, ORIGINAL), Choice(REPOST, REPOST)),
            ),
            Question(
                "source",
                "转载来源",
                "转载须注明来源：请写明稿源单位或原文出处（如“重庆市人民政府网”）。",
                when=lambda a: a.get("kind") == REPOST,
            ),
            Question(
                "major",
                "重大政策信息",
                "是否属于区级重大公共政策信息？（是：终审后还须报区委、区政府同意）",
                kind=QuestionKind.YES_NO,
                when=_needs_consent_question,
            ),
        ),
    )
)


@router.command("送审", "提交稿件进行三审三校", roles=AUTHOR_ROLES, menu_key="review", order=20)
async def start_submission(ctx: HandlerContext, rest: str) -> None:
    if not await account_choices(ctx, {}):
        await ctx.reply(
            "本单位台账中还没有政务新媒体账号，无法选择发布账号。请先办理“备案”或联系管理员。"
        )
        return
    answers: Answers = {}
    if flow.needs_consent(ctx.services.timekeeping.policy):
        answers["_consent"] = "1"
    prefill = {"title": rest} if rest else {}
    levels = " → ".join(lv.name for lv in ctx.services.timekeeping.policy.review.levels.levels)
    await forms.start(
        ctx,
        SPEC,
        answers=answers,
        prefill=prefill,
        intro=f"好的，开始送审。稿件将依次经过{levels}，全部通过后方可发布（先审后发）。",
    )


async def on_form_complete(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> None:
    """Write the draft (or a new version of a returned post), check it, show the result."""
    w = work(ctx)
    policy = w.policy
    repost = answers.get("kind") == REPOST
    source = answers.get("source", "") if repost else ""
    account_ids = await account_ids_of(ctx, answers.get("accounts", ""))
    major = answers.get("major") == "是"
    result = flow.run_check(ctx.services, answers["title"], answers["text"], repost, source)
    attached = forms.attachments(answers.get("attachments", ""))
    post_id = extra.get("post_id")
    post: Post | None = None
    if post_id is not None:
        post = await flow.lock_post(ctx.conn, int(post_id))
        if post is None or post.author_id != ctx.actor.id:
            await ctx.reply("找不到要修改的稿件，请重新发送“送审”。")
            return
        if post.status not in (PostStatus.DRAFT, PostStatus.RETURNED):
            await ctx.reply(f"这篇稿件{post.status.label}，不能再修改。")
            return
    if post is None:
        post = await Post.create(
            using_db=ctx.conn,
            author_id=ctx.actor.id,
            author_platform=ctx.event.platform.value,
            unit_id=ctx.actor.unit.id,
            title=answers["title"],
            status=PostStatus.DRAFT,
            version=1,
            levels=flow.levels_from_policy(policy, major_policy=major),
            checks=list(policy.review.checks.items),
            policy_id=policy.id,
            account_ids=account_ids,
            repost=repost,
            source=source,
            major_policy=major,
            allow_same_person=flow.options(ctx.services).allow_same_person,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        version = None
    else:
        if post.status == PostStatus.RETURNED:
            post.version += 1
            post.status = PostStatus.DRAFT
            version = None
        else:
            version = await flow.current_version(ctx.conn, post)
        post.title = answers["title"]
        post.account_ids = account_ids
        post.repost = repost
        post.source = source
        post.major_policy = major
        post.levels = flow.levels_from_policy(policy, major_policy=major)
        post.updated_at = ctx.now
        await post.save(using_db=ctx.conn)
    values = {
        "title": answers["title"],
        "text": answers["text"],
        "link": answers.get("link", ""),
        "findings": result.to_json(),
        "override_reason": "",
        "attachments": [f.model_dump(mode="json") for f in attached],
    }
    if version is None:
        version = await PostVersion.create(
            using_db=ctx.conn, post_id=post.id, number=post.version, created_at=ctx.now, **values
        )
    else:
        version.update_from_dict(values)
        await version.save(using_db=ctx.conn)
    await ctx.audit(
        "review.version_saved",
        "post",
        post.id,
        {
            "version": post.version,
            "findings": result.to_json(),
            "title": answers["title"],
            "attachments": [{"file_id": f.file_id, "name": f.name} for f in attached],
        },
    )
    # The kept files now belong to the post (they were the form's while it was being filled).
    await (
        StoredFile.filter(id__in=[f.file_id for f in attached], subject_type__in=("form", "upload"))
        .using_db(ctx.conn)
        .update(subject_type="post", subject_id=str(post.id))
    )
    if not result.clean:
        await ctx.reply(card=await _check_card(ctx, post, result.lines()))
        return
    await _submit(ctx, w, post, lead="送审前自检未发现问题。")


async def _check_card(ctx: HandlerContext, post: Post, lines: list[str]) -> Card:
    payload = {"post": str(post.id)}
    card = Card(
        title=f"送审前自检：《{post.title}》",
        tone=Tone.ORANGE,
        body=f"发现{len(lines)}处需要注意的内容，请修改后重新提交；"
        "确需保留的，点“仍然送审”并说明理由，审核人会看到您的说明。\n" + "\n".join(lines),
        inputs=(
            FormInput(name="reason", label="仍然送审的理由（审核人可见）", kind=InputKind.TEXTAREA),
        ),
        buttons=(
            Button(label="修改", action="review.edit", payload=payload, style=ButtonStyle.PRIMARY),
            Button(label="仍然送审", action="review.override", payload=payload, needs=("reason",)),
            Button(label="放弃", action="review.withdraw", payload=payload),
        ),
    )
    return await ctx.emit.new_card(
        card,
        kind="review.check",
        allowed_person_ids=[ctx.actor.id],
        subject_type="post",
        subject_id=post.id,
    )


async def _submit(ctx: HandlerContext, w: Work, post: Post, *, lead: str) -> bool:
    try:
        step = await flow.submit(w, post, ctx.actor)
    except ReviewError as exc:
        await ctx.reply(f"{lead}但暂时无法送审：{exc}")
        return False
    approver = await load_member(step.approver_id, ctx.conn)
    card = await ctx.emit.new_card(
        await flow.author_card(w, post),
        kind=flow.AUTHOR_CARD_KIND,
        allowed_person_ids=[ctx.actor.id],
        subject_type="post",
        subject_id=post.id,
    )
    name = approver.name if approver else ""
    await ctx.reply(
        f"{lead}已送审（编号 {post.id}），等待{name}{step.level_name}。"
        "审核结果会通知您；可随时“催办”或“撤回”。",
        card=card,
    )
    return True


# ---- card actions ------------------------------------------------------------------------------


@router.action("review")
async def on_review_action(ctx: HandlerContext) -> None:
    event = ctx.card_action
    kind = event.action.split(".", 1)[1]
    payload = event.payload
    w = work(ctx)
    try:
        if kind in ("approve", "return", "reject"):
            toast, card = await flow.decide(
                w,
                ctx.actor,
                int(payload["step"]),
                Decision(kind=kind, comment=event.form.get("comment", "")),  # type: ignore[arg-type]
            )
            ctx.notify_toast(toast, "success")
            if card is not None:
                ctx.updated_card = card
        elif kind == "delegate":
            await _offer_delegates(ctx, w, int(payload["step"]))
        elif kind == "delegate_to":
            step = await flow.hand_over(w, ctx.actor, int(payload["step"]), int(payload["to"]))
            target = await load_member(step.approver_id, ctx.conn)
            ctx.notify_toast(f"已转交给{target.name if target else ''}", "success")
            await ctx.close_tapped(f"已转交给{target.name if target else ''}")
        elif kind == "full":
            await _show_full(ctx, int(payload["step"]))
        elif kind == "urge":
            ctx.notify_toast(await flow.urge(w, ctx.actor, int(payload["post"])), "success")
        elif kind == "withdraw":
            ctx.notify_toast(await flow.withdraw(w, ctx.actor, int(payload["post"])), "success")
            await ctx.close_tapped("已撤回")
        elif kind == "trail":
            await _show_trail(ctx, w, int(payload["post"]))
        elif kind == "edit":
            await _edit(ctx, int(payload["post"]), PostStatus.DRAFT)
        elif kind == "revise":
            await _edit(ctx, int(payload["post"]), PostStatus.RETURNED)
        elif kind == "override":
            await _override(ctx, w, int(payload["post"]), event.form.get("reason", ""))
        elif kind == "published":
            text = await flow.record_published(
                w, ctx.actor, int(payload["post"]), event.form.get("link", "")
            )
            ctx.notify_toast(text, "success")
            await ctx.close_tapped(text)
            await ctx.reply_privately(text)
        else:
            ctx.notify_toast("暂不支持这个操作。", "warning")
    except AlreadyDecided as exc:
        ctx.notify_toast(str(exc), "info")
    except ReviewError as exc:
        ctx.notify_toast(str(exc), "warning")


async def _offer_delegates(ctx: HandlerContext, w: Work, step_id: int) -> None:
    step = await ReviewStep.filter(id=step_id).using_db(ctx.conn).first()
    if step is None or step.status != StepStatus.PENDING:
        raise AlreadyDecided("这一级已经处理过了，无需转交。")
    if step.approver_id != ctx.actor.id:
        raise ReviewError("只有当前审核人可以转交。")
    post = await Post.filter(id=step.post_id).using_db(ctx.conn).get()
    people = await flow.delegates_for(w, post, step)
    if not people:
        raise ReviewError("本单位没有同一角色的其他人员可以转交。")
    card = await ctx.emit.new_card(
        Card(
            title=f"转交{step.level_name}：《{post.title}》",
            body="请选择转交给谁（同一角色的其他人员）：",
            buttons=tuple(
                Button(
                    label=m.name,
                    action="review.delegate_to",
                    payload={"step": str(step.id), "to": str(m.id)},
                )
                for m in people[:6]
            ),
        ),
        kind="review.delegate",
        allowed_person_ids=[ctx.actor.id],
        subject_type="post",
        subject_id=post.id,
    )
    await ctx.reply_privately(card=card)
    ctx.notify_toast("请在对话中选择转交对象", "info")


async def _show_full(ctx: HandlerContext, step_id: int) -> None:
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
    ctx.notify_toast("全文已发到您的对话中", "info")


async def _show_trail(ctx: HandlerContext, w: Work, post_id: int) -> None:
    post = await Post.filter(id=post_id).using_db(ctx.conn).first()
    if post is None:
        raise ReviewError(f"找不到编号为 {post_id} 的稿件。")
    if not await flow.may_see(ctx.conn, ctx.actor, post):
        raise ReviewError("只有送审人、审核人和主管单位可以查看这篇稿件的审核记录。")
    await ctx.reply_privately(card=await flow.trail_card(w, post))
    ctx.notify_toast("审核记录已发到您的对话中", "info")


async def _edit(ctx: HandlerContext, post_id: int, expected: PostStatus) -> None:
    post = await flow.lock_post(ctx.conn, post_id)
    if post is None or post.author_id != ctx.actor.id:
        raise ReviewError("只有送审人可以修改稿件。")
    if post.status != expected:
        raise AlreadyDecided(f"稿件{post.status.label}，不能再修改。")
    if await ctx.conversation(lock=False) is not None:
        raise ReviewError("您还有一件事没办完，请先完成或回复“取消”。")
    version = await flow.current_version(ctx.conn, post)
    chosen = await _labels_of(ctx, post.account_ids)
    choices = await account_choices(ctx, {})
    prefill = {
        "title": version.title,
        "text": version.text,
        "link": version.link,
        "attachments": json.dumps(version.attachments, ensure_ascii=False)
        if version.attachments
        else "",
        "accounts": "\n".join(c.value for c in choices if c.value in chosen),
        "kind": REPOST if post.repost else ORIGINAL,
        "source": post.source,
        "major": "是" if post.major_policy else "否",
    }
    answers: Answers = {}
    if flow.needs_consent(ctx.services.timekeeping.policy):
        answers["_consent"] = "1"
    ctx.notify_toast("请按提示修改", "info")
    if expected == PostStatus.DRAFT:
        await ctx.close_tapped("修改中")
    await forms.start(
        ctx,
        SPEC,
        answers=answers,
        prefill={k: v for k, v in prefill.items() if v or k in ("link", "attachments")},
        extra={"post_id": post.id},
        intro="请逐项修改，不改的项回复“同上”。修改后会重新自检。",
    )


async def _labels_of(ctx: HandlerContext, ids: list[int]) -> set[str]:
    rows = await Account.filter(id__in=ids).using_db(ctx.conn)
    return {f"{a.name}（{a.platform.label}）" for a in rows} | {
        f"{a.name}（{a.platform.label}）#{a.id}" for a in rows
    }


async def _override(ctx: HandlerContext, w: Work, post_id: int, reason: str) -> None:
    post = await flow.lock_post(ctx.conn, post_id)
    if post is None or post.author_id != ctx.actor.id:
        raise ReviewError("只有送审人可以送审。")
    if post.status != PostStatus.DRAFT:
        raise AlreadyDecided(f"稿件{post.status.label}，无需再次送审。")
    reason = reason.strip()
    if len(reason) < 2:
        raise ReviewError("请说明仍然送审的理由，审核人会看到。")
    version = await flow.current_version(ctx.conn, post)
    version.override_reason = reason
    await version.save(using_db=ctx.conn)
    await ctx.audit("review.check_overridden", "post", post.id, {"reason": reason})
    if await _submit(ctx, w, post, lead="已记录您的说明。"):
        ctx.notify_toast("已送审", "success")
        await ctx.close_tapped(f"已仍然送审，理由：{reason}")


# ---- commands ----------------------------------------------------------------------------------


async def _my_post(ctx: HandlerContext, rest: str, statuses: tuple[PostStatus, ...]) -> Post | None:
    """The post numbered in ``rest``, else the author's newest post in one of ``statuses``."""
    number = re.search(r"\d+", rest)
    if number:
        return await Post.filter(id=int(number.group())).using_db(ctx.conn).first()
    return (
        await Post.filter(author_id=ctx.actor.id, status__in=list(statuses))
        .using_db(ctx.conn)
        .order_by("-updated_at", "-id")
        .first()
    )


@router.command("撤回", "撤回已送审、尚未终审的稿件", roles=AUTHOR_ROLES, order=21)
async def withdraw_command(ctx: HandlerContext, rest: str) -> None:
    post = await _my_post(ctx, rest, (PostStatus.IN_REVIEW, PostStatus.RETURNED, PostStatus.DRAFT))
    if post is None:
        await ctx.reply("您没有可以撤回的稿件。")
        return
    try:
        await ctx.reply(f"《{post.title}》{await flow.withdraw(work(ctx), ctx.actor, post.id)}。")
    except ReviewError as exc:
        await ctx.reply(str(exc))


@router.command("催办", "提醒审核人尽快审核您的稿件", roles=AUTHOR_ROLES, order=22)
async def urge_command(ctx: HandlerContext, rest: str) -> None:
    post = await _my_post(ctx, rest, (PostStatus.IN_REVIEW,))
    if post is None:
        await ctx.reply("您没有正在审核中的稿件。")
        return
    try:
        await ctx.reply(f"《{post.title}》{await flow.urge(work(ctx), ctx.actor, post.id)}。")
    except ReviewError as exc:
        await ctx.reply(str(exc))


@router.command("已发布", "审核通过的稿件发布后回报链接", roles=AUTHOR_ROLES, order=23)
async def published_command(ctx: HandlerContext, rest: str) -> None:
    link_match = re.search(r"https?://\S+", rest)
    if link_match is None:
        await ctx.reply("请连同发布链接一起发送，如：已发布 https://mp.weixin.qq.com/s/xxxx")
        return
    link = link_match.group()
    number_text = rest.replace(link, "")
    if re.search(r"\d+", number_text):
        post = await _my_post(ctx, number_text, ())
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
            return
        post = approved[0] if approved else None
    if post is None:
        await ctx.reply("没有找到审核通过、待发布的稿件。稿件须经全部审核通过后才能发布。")
        return
    try:
        await ctx.reply(await flow.record_published(work(ctx), ctx.actor, post.id, link))
    except ReviewError as exc:
        await ctx.reply(str(exc))


@router.command("审核记录", "查看稿件的版本、自检和各级审核意见", order=24)
async def trail_command(ctx: HandlerContext, rest: str) -> None:
    post = await _my_post(ctx, rest, tuple(PostStatus))
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
    if not await flow.may_see(ctx.conn, ctx.actor, post):
        await ctx.reply("只有送审人、审核人和主管单位可以查看这篇稿件的审核记录。")
        return
    await ctx.reply(card=await flow.trail_card(work(ctx), post))


REVIEWER_ROLES = frozenset({Role.EDITOR, Role.SECTION_CHIEF, Role.DEPUTY_LEADER, Role.PRINCIPAL})


@router.command("待审核", "查看等待您审核的稿件", roles=REVIEWER_ROLES, order=25)
async def pending_command(ctx: HandlerContext, rest: str) -> None:
    """Re-sends the open card of every level waiting for this person (a lost message is no
    reason for a post to wait)."""
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
        from storage.models.machinery import CardRecord

        record = await CardRecord.filter(id=step.card_id).using_db(ctx.conn).first()
        if record is not None:
            await ctx.reply(card=card_from_record(record))


# ---- reminders and escalation (deadline engine) ------------------------------------------------


@step_handler(flow.STEP_HANDLER)
async def on_review_deadline(sctx: StepContext) -> None:
    async def audit(action: str, subject_type: str, subject_id: str | int, detail: Any) -> None:
        await sctx.audit_step(action, detail, subject_type=subject_type, subject_id=subject_id)

    w = Work(services=sctx.services, conn=sctx.conn, emit=sctx.emit, now=sctx.now, audit=audit)
    step = (
        await ReviewStep.filter(id=int(sctx.data["step"]))
        .using_db(sctx.conn)
        .select_for_update()
        .first()
    )
    if step is None or step.status != StepStatus.PENDING:
        return
    post = await Post.filter(id=step.post_id).using_db(sctx.conn).get()
    approver = await load_member(step.approver_id, sctx.conn)
    author = await load_member(post.author_id, sctx.conn)
    if approver is None or author is None:
        return
    waited = sctx.text().due_line
    if sctx.name == "remind":
        await flow.remind(
            w,
            post,
            approver,
            f"提醒：《{post.title}》等待您{step.level_name}已超过规定时间，请尽快审核。",
        )
        await audit("review.reminded", "post", post.id, {"step": step.id})
        return
    # Escalation: a deputy may now decide in the approver's place, or the next level hears.
    notified = await _escalate(w, post, step, approver)
    names = "、".join(m.name for m in notified) or "无人可通知"
    await flow.to_author(
        w,
        post,
        Message(text=f"《{post.title}》{step.level_name}仍未处理（{waited}），已通知{names}。"),
    )
    await audit(
        "review.escalated", "post", post.id, {"step": step.id, "notified": [m.id for m in notified]}
    )


async def _escalate(w: Work, post: Post, step: ReviewStep, approver: Member) -> list[Member]:
    """Per ``DUTYBOT_REVIEW_ESCALATE_TO``: a deputy who may decide, else the next level's
    approver (told to 督促), else the approver again; returns who was notified."""
    mode = flow.options(w.services).escalate_to
    text_level = step.level_name
    if mode == "deputy":
        deputies = await flow.delegates_for(w, post, step)
        if deputies:
            deputy = deputies[0]
            if step.card_id is not None:
                from storage.models.machinery import CardRecord

                record = await CardRecord.filter(id=step.card_id).using_db(w.conn).get()
                allowed = sorted({*[int(p) for p in record.allowed_person_ids], deputy.id})
                card = await w.emit.update_card(
                    step.card_id, card_from_record(record), allowed_person_ids=allowed
                )
                await flow.deliver_card(
                    w,
                    post,
                    deputy,
                    card,
                    f"《{post.title}》{text_level}超时未处理（{approver.name}），请您代为审核",
                )
            return [deputy]
    if step.level + 1 < len(post.levels):
        nxt = post.levels[step.level + 1]
        people = await flow.candidates(w.conn, post.unit_id, nxt, {post.author_id})
        for person in people[:1]:
            await flow.remind(
                w,
                post,
                person,
                f"《{post.title}》{text_level}超时未处理（{approver.name}），请督促。",
            )
        return people[:1]
    await flow.remind(w, post, approver, f"《{post.title}》{text_level}已超时，请立即审核。")
    return [approver]
