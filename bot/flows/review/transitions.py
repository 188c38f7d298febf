"""Every transition of a post under review, whether a person tapped or a level's deadline fired.

Each takes the unit of work first, locks what it changes, checks the state and refuses with
``ReviewError`` before writing anything (``review.denied`` is the one refusal that is audited),
then writes the state, the audit entry and the outbox rows in the caller's transaction.
"""

from __future__ import annotations

from datetime import timedelta

from bot.cards.model import Card
from bot.core.directory import Member, load_member
from bot.core.emit import card_from_record
from bot.core.outgoing import Message
from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle, present
from bot.flows.review import cards, records
from bot.flows.review.model import (
    APPROVED_CARD,
    AUTHOR_CARD,
    DEADLINE_KIND,
    DEADLINE_RULE,
    DEADLINE_SCHEDULE,
    DECISION_VERBS,
    LINK,
    REASON_NAMES,
    RETURNED_CARD,
    STEP_CARD,
    STEP_HANDLER,
    STEP_STATUS,
    STEP_SUBJECT,
    SUBJECT,
    WITHDRAWABLE,
    AlreadyDecided,
    ReviewError,
    current_version,
    lock_post,
    lock_step,
)
from bot.flows.review.people import (
    candidates,
    delegates_for,
    deliver_card,
    earlier_approvers,
    level_candidates,
    may_decide_instead,
    plan_chain,
    remind,
    to_author,
)
from storage.enums import CardStatus, Decision
from storage.models.machinery import CardRecord
from storage.models.review import AccountUpdate, Post, PostStatus, ReviewStep, StepStatus

# ---- 送审: into review --------------------------------------------------------------------------


async def submit(w: Work, post: Post, author: Member) -> Outcome:
    """A checked draft goes to its first level; a new version after 退回修改 restarts there too.
    The caller holds the post's row (it has just written the draft)."""
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
        SUBJECT,
        post.id,
        {
            "version": post.version,
            "findings": len(version.findings),
            "override_reason": version.override_reason,
            "levels": [lv["name"] for lv in post.levels],
        },
    )
    # The 退回修改 card's moment has passed: its buttons would act on the new version.
    await close_post_cards(
        w, post, (RETURNED_CARD,), f"已修改并重新送审（第{post.version}版，{w.when(w.now)}）"
    )
    step = await _open_level(w, post, author)
    approver = await load_member(step.approver_id, w.conn)
    name = approver.name if approver else ""
    return Outcome(f"已送审（编号 {post.id}），等待{name}{step.level_name}。")


async def _open_level(
    w: Work, post: Post, author: Member, *, previous: ReviewStep | None = None
) -> ReviewStep:
    """Create the pending step of ``post.level``: card, group @-mention, 1:1 card, reminders."""
    level = post.levels[post.level]
    found = await level_candidates(w.conn, post, level)
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
        await records.step_card(w, post, step, author),
        kind=STEP_CARD,
        allowed_person_ids=[approver.id],
        subject_type=SUBJECT,
        subject_id=post.id,
    )
    step.card_id = card.card_id
    step.deadline_id = await _start_level_deadline(w, post, step)
    await step.save(using_db=w.conn)
    lead = f"请{level['name']}《{post.title}》（{author.name}送审，第{post.version}版）"
    if previous is not None:
        decider = await load_member(int(previous.decided_by_id or 0), w.conn)
        who = decider.name if decider else ""
        lead = f"{previous.level_name}已由{who}通过。{lead}"
    await deliver_card(w, post, approver, card, lead)
    await w.audit(
        "review.level_opened",
        SUBJECT,
        post.id,
        {"step": step.id, "level": level["name"], "approver": approver.id, "version": post.version},
    )
    return step


# ---- 通过 / 退回修改 / 不予发布 -----------------------------------------------------------------


async def decide(w: Work, by: Member, step_id: int, decision: Decision, comment: str) -> Outcome:
    """Record one decision on a level; the toast says what happened, the card closes."""
    step = await lock_step(w.conn, step_id)
    if step is None:
        raise ReviewError("找不到这一级审核，请查看最新卡片。")
    post = await lock_post(w.conn, step.post_id)
    assert post is not None
    if step.status != StepStatus.PENDING or post.status != PostStatus.IN_REVIEW:
        raise AlreadyDecided(f"这一级已经处理过了（{step.status.label}）。")
    if by.id == post.author_id:
        await w.audit("review.denied", SUBJECT, post.id, {"step": step.id, "why": "author"})
        raise ReviewError("送审人不能审核自己的稿件。")
    if by.id != step.approver_id and not await may_decide_instead(w.conn, step, by.id):
        await w.audit("review.denied", SUBJECT, post.id, {"step": step.id, "why": "not_approver"})
        raise ReviewError("这一级不由您审核，您的操作未生效。")
    level = post.levels[step.level]
    if (
        not post.allow_same_person
        and not level.get("consent")
        and by.id in await earlier_approvers(w.conn, post)
    ):
        await w.audit("review.denied", SUBJECT, post.id, {"step": step.id, "why": "two_levels"})
        raise ReviewError("您已审核过这篇稿件的上一级，同一人不能审核两个层级。")
    comment = comment.strip()
    if decision.needs_reason and not comment:
        raise ReviewError(f"请填写{REASON_NAMES[decision]}后再提交。")
    if decision is Decision.APPROVE and level.get("consent") and not comment:
        raise ReviewError("请填写区委、区政府同意的文件或批示（文号、日期）。")
    final = step.level == len(post.levels) - 1
    if decision is Decision.APPROVE and not final:
        # Nothing is written unless the next level can be staffed: a half-made decision would
        # leave the post in review with nobody to act.
        nxt = post.levels[step.level + 1]
        if not await level_candidates(w.conn, post, nxt, {by.id}):
            raise ReviewError(
                f"找不到可以担任{nxt['name']}的人员，暂不能通过。请联系管理员补充审核人员。"
            )
    author = await load_member(post.author_id, w.conn)
    assert author is not None
    step.status = STEP_STATUS[decision]
    step.decided_by_id = by.id
    step.decided_at = w.now
    step.comment = comment
    step.checks = list(post.checks) if decision is Decision.APPROVE else []
    await step.save(using_db=w.conn)
    await _complete_level_deadline(w, step)
    await w.audit(
        DECISION_VERBS[decision],
        SUBJECT,
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
    if decision is Decision.APPROVE and not final:
        post.level += 1
        await post.save(using_db=w.conn)
        nxt_step = await _open_level(w, post, author, previous=step)
        nxt_approver = await load_member(nxt_step.approver_id, w.conn)
        nxt_name = nxt_approver.name if nxt_approver else ""
        status = (
            f"{step.level_name}：{by.name} 已通过（{at}）；"
            f"已转{nxt_step.level_name}，待{nxt_name}审核"
        )
        toast = f"已通过，已转{nxt_step.level_name}"
        await follow_author_cards(w, post)
        await to_author(
            w,
            post,
            Message(
                text=f"《{post.title}》{step.level_name}已由{by.name}通过，"
                f"已转{nxt_name}{nxt_step.level_name}。"
            ),
        )
    elif decision is Decision.APPROVE:
        post.status = PostStatus.APPROVED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{by.name} 已通过（{at}）。全部审核通过，可发布"
        toast = "已通过，稿件可发布"
        await _tell_author_approved(w, post, author)
    elif decision is Decision.RETURN:
        post.status = PostStatus.RETURNED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{by.name} 退回修改（{at}）：{comment}"
        toast = "已退回修改"
        await _tell_author_returned(w, post, author, by, step)
    else:
        post.status = PostStatus.REJECTED
        await post.save(using_db=w.conn)
        status = f"{step.level_name}：{by.name} 不予发布（{at}）：{comment}"
        toast = "已决定不予发布"
        await to_author(
            w,
            post,
            Message(
                text=f"《{post.title}》{step.level_name}不予发布（{by.name}）。理由：{comment}"
            ),
        )
    if post.status != PostStatus.IN_REVIEW:
        # Review is over: the author's 送审进度 card shows every level's decision and ends on
        # the outcome, without 催办/撤回 (between levels it follows only where that is free:
        # see AUTHOR_CARD).
        await close_post_cards(w, post, (AUTHOR_CARD,), status, await records.author_card(w, post))
    card = await _close_step_card(w, post, step, author, status)
    return Outcome(toast, card=card)


async def close_post_cards(
    w: Work, post: Post, kinds: tuple[str, ...], status: str, fresh: Card | None = None
) -> None:
    """Close the post's still-open cards of ``kinds`` (the author's), showing ``status`` (on
    ``fresh``, the card re-rendered, when given): a card whose moment has passed shows what
    happened and no buttons."""
    ids = (
        await CardRecord.filter(
            subject_type=SUBJECT, subject_id=str(post.id), kind__in=kinds, status=CardStatus.OPEN
        )
        .using_db(w.conn)
        .values_list("id", flat=True)
    )
    for card_id in ids:
        if fresh is None:
            await w.emit.close_card(str(card_id), status)
        else:
            await w.emit.update_card(str(card_id), fresh.closed(status), close=True)


async def follow_author_cards(w: Work, post: Post) -> None:
    """The author's 送审进度 card follows the review between levels (初审 passed, 复审 waiting
    for whom); where that would cost a message (WeCom), it catches up when it closes."""
    ids = (
        await CardRecord.filter(
            subject_type=SUBJECT,
            subject_id=str(post.id),
            kind=AUTHOR_CARD,
            status=CardStatus.OPEN,
        )
        .using_db(w.conn)
        .values_list("id", flat=True)
    )
    if not ids:
        return
    fresh = await records.author_card(w, post)
    for card_id in ids:
        await w.emit.update_card(str(card_id), fresh, courtesy=True)


async def _close_step_card(
    w: Work, post: Post, step: ReviewStep, author: Member, status: str
) -> Card | None:
    """Re-render the level's card with its outcome (the history now shows it) and close it."""
    if step.card_id is None:
        return None
    card = cards.closed_step_card(await records.step_card(w, post, step, author), step, status)
    return await w.emit.update_card(step.card_id, card, close=True)


async def _tell_author_approved(w: Work, post: Post, author: Member) -> None:
    card = await w.emit.new_card(
        cards.approved_card(
            post,
            await records.account_names(w.conn, post.account_ids),
            await records.history(w, post),
        ),
        kind=APPROVED_CARD,
        allowed_person_ids=[author.id],
        subject_type=SUBJECT,
        subject_id=post.id,
    )
    await to_author(w, post, Message(card=card))


async def _tell_author_returned(
    w: Work, post: Post, author: Member, by: Member, step: ReviewStep
) -> None:
    card = await w.emit.new_card(
        cards.returned_card(post, step, by.name),
        kind=RETURNED_CARD,
        allowed_person_ids=[author.id],
        subject_type=SUBJECT,
        subject_id=post.id,
    )
    await to_author(w, post, Message(card=card))


# ---- 转交, 撤回, 催办 ---------------------------------------------------------------------------


async def hand_over(w: Work, by: Member, step_id: int, to_id: int) -> Outcome:
    """转交: the approver hands the level to another holder of its roles."""
    step = await lock_step(w.conn, step_id)
    if step is None or step.status != StepStatus.PENDING:
        raise AlreadyDecided("这一级已经处理过了，无需转交。")
    post = await lock_post(w.conn, step.post_id)
    assert post is not None
    if by.id != step.approver_id:
        raise ReviewError("只有当前审核人可以转交。")
    allowed = {m.id for m in await delegates_for(w.conn, post, step)}
    if to_id not in allowed:
        raise ReviewError("只能转交给同一角色的其他人员。")
    target = await load_member(to_id, w.conn)
    author = await load_member(post.author_id, w.conn)
    assert target is not None
    assert author is not None
    step.delegated_from_id = by.id
    step.approver_id = to_id
    await step.save(using_db=w.conn)
    await w.audit(
        "review.handed_over",
        SUBJECT,
        post.id,
        {"step": step.id, "from": by.id, "to": to_id, "level": step.level_name},
    )
    if step.card_id is not None:
        card = await records.step_card(w, post, step, author)
        card = await w.emit.update_card(step.card_id, card, allowed_person_ids=[to_id])
        lead = f"{by.name}将《{post.title}》的{step.level_name}转交给您"
        await deliver_card(w, post, target, card, lead)
    await _restart_level_deadline(w, step)
    await follow_author_cards(w, post)
    return Outcome(f"已转交给{target.name}")


async def withdraw(w: Work, by: Member, post_id: int) -> Outcome:
    """撤回 (or 放弃 on the check card): the author takes the post back before review ends."""
    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if by.id != post.author_id:
        raise ReviewError("只有送审人可以撤回。")
    if post.status == PostStatus.WITHDRAWN:
        raise AlreadyDecided("这篇稿件已经撤回了。")
    if post.status not in WITHDRAWABLE:
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
        await _cancel_level_deadline(w, step)
        await _close_step_card(
            w, post, step, author, f"送审人{by.name}已撤回（{w.when(w.now)}），无需审核"
        )
        approver = await load_member(step.approver_id, w.conn)
        if approver is not None:
            await w.emit.to_person(
                approver.id, Message(text=f"{by.name}已撤回《{post.title}》，无需再审核。")
            )
    await close_post_cards(
        w, post, (AUTHOR_CARD, RETURNED_CARD), f"送审人已撤回（{w.when(w.now)}）"
    )
    await w.audit("review.withdrawn", SUBJECT, post.id, {"version": post.version})
    return Outcome("已撤回")


async def urge(w: Work, by: Member, post_id: int) -> Outcome:
    """催办: the author reminds the pending level's approver (at most once an interval)."""
    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if by.id != post.author_id:
        raise ReviewError("只有送审人可以催办。")
    if post.status != PostStatus.IN_REVIEW:
        raise ReviewError(f"稿件{post.status.label}，无需催办。")
    interval = timedelta(minutes=w.services.review.urge_interval_minutes)
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
    text = f"{by.name}催办：《{post.title}》正等待您{step.level_name}，请尽快审核。"
    await remind(w, post, approver, text)
    await w.audit("review.urged", SUBJECT, post.id, {"step": step.id, "approver": approver.id})
    return Outcome(f"已催办{approver.name}")


# ---- 已发布 -------------------------------------------------------------------------------------


async def publish(w: Work, by: Member, post_id: int, link: str) -> Outcome:
    """已发布: an approved post was published; one account update per target account."""
    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if by.id != post.author_id:
        raise ReviewError("只有送审人可以回报发布情况。")
    link = link.strip()
    if not LINK.match(link):
        raise ReviewError("发布链接格式不正确，请填写以 http:// 或 https:// 开头的完整链接。")
    if post.status == PostStatus.PUBLISHED:
        raise AlreadyDecided("这篇稿件已经登记发布了。")
    if post.status != PostStatus.APPROVED:
        raise ReviewError(f"稿件{post.status.label}，未通过全部审核，不能发布（先审后发）。")
    post.status = PostStatus.PUBLISHED
    post.published_link = link
    post.published_at = w.now
    post.updated_at = w.now
    await post.save(using_db=w.conn)
    for account_id in post.account_ids:
        await AccountUpdate.create(
            using_db=w.conn,
            account_id=int(account_id),
            post_id=post.id,
            link=link,
            published_at=w.now,
            reported_by_id=by.id,
            created_at=w.now,
        )
    await close_post_cards(w, post, (APPROVED_CARD,), f"已登记发布（{w.when(w.now)}）：{link}")
    await w.audit(
        "review.published", SUBJECT, post.id, {"link": link, "accounts": list(post.account_ids)}
    )
    # Title and link repeated: with several approved posts the author sees which one was
    # registered, and with which link, without opening the record.
    accounts = await records.account_names(w.conn, post.account_ids)
    return Outcome(f"已登记发布《{post.title}》：{accounts}，链接 {link}")


# ---- when a level's deadline fires --------------------------------------------------------------


async def remind_approver(w: Work, step_id: int) -> Outcome:
    """The level has waited past ``review.remind``: the approver is reminded."""
    pending = await _pending_level(w, step_id)
    if pending is None:
        return Outcome()
    post, step, approver = pending
    await remind(
        w,
        post,
        approver,
        f"提醒：《{post.title}》等待您{step.level_name}已超过规定时间，请尽快审核。",
    )
    await w.audit(
        "review.reminded", SUBJECT, post.id, {"deadline": step.deadline_id, "step": step.id}
    )
    return Outcome()


async def escalate(w: Work, step_id: int) -> Outcome:
    """The level is overdue (``review.escalate``): per ``DUTYBOT_REVIEW_ESCALATE_TO`` a deputy
    may now decide in the approver's place, else the next level's approver is asked to 督促,
    else the approver is told again; the author hears who was notified."""
    pending = await _pending_level(w, step_id)
    if pending is None:
        return Outcome()
    post, step, approver = pending
    notified = await _escalation_targets(w, post, step, approver)
    names = "、".join(m.name for m in notified) or "无人可通知"
    deadline = await lifecycle.get(w.conn, step.deadline_id) if step.deadline_id else None
    waited = present.due_line(deadline, w.tz) if deadline is not None else ""
    await to_author(
        w,
        post,
        Message(text=f"《{post.title}》{step.level_name}仍未处理（{waited}），已通知{names}。"),
    )
    await w.audit(
        "review.escalated",
        SUBJECT,
        post.id,
        {"deadline": step.deadline_id, "step": step.id, "notified": [m.id for m in notified]},
    )
    return Outcome()


async def _pending_level(w: Work, step_id: int) -> tuple[Post, ReviewStep, Member] | None:
    """The level a deadline step is about, if it still waits for its approver."""
    step = await lock_step(w.conn, step_id)
    if step is None or step.status != StepStatus.PENDING:
        raise AlreadyDecided("这一级已经处理过了。")
    post = await Post.filter(id=step.post_id).using_db(w.conn).get()
    approver = await load_member(step.approver_id, w.conn)
    author = await load_member(post.author_id, w.conn)
    if approver is None or author is None:
        return None
    return post, step, approver


async def _escalation_targets(
    w: Work, post: Post, step: ReviewStep, approver: Member
) -> list[Member]:
    """Tell whoever the deployment escalates to; returns who was notified."""
    text_level = step.level_name
    if w.services.review.escalate_to == "deputy":
        deputies = await delegates_for(w.conn, post, step)
        if deputies:
            deputy = deputies[0]
            if step.card_id is not None:
                record = await CardRecord.filter(id=step.card_id).using_db(w.conn).get()
                allowed = sorted({*[int(p) for p in record.allowed_person_ids], deputy.id})
                card = await w.emit.update_card(
                    step.card_id, card_from_record(record), allowed_person_ids=allowed
                )
                await deliver_card(
                    w,
                    post,
                    deputy,
                    card,
                    f"《{post.title}》{text_level}超时未处理（{approver.name}），请您代为审核",
                )
            return [deputy]
    if step.level + 1 < len(post.levels):
        nxt = post.levels[step.level + 1]
        people = await candidates(w.conn, post.unit_id, nxt, {post.author_id})
        for person in people[:1]:
            await remind(
                w,
                post,
                person,
                f"《{post.title}》{text_level}超时未处理（{approver.name}），请督促。",
            )
        return people[:1]
    await remind(w, post, approver, f"《{post.title}》{text_level}已超时，请立即审核。")
    return [approver]


# ---- a level's deadline: started when it opens, closed when it is decided ------------------


async def _start_level_deadline(w: Work, post: Post, step: ReviewStep) -> int:
    """Start the countdown of a level that has just opened; returns the deadline's id."""
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind=DEADLINE_KIND,
        subject_type=STEP_SUBJECT,
        subject_id=step.id,
        handler=STEP_HANDLER,
        now=w.now,
        rule=DEADLINE_RULE,
        schedule=w.policy.schedule(DEADLINE_SCHEDULE),
        data={"step": step.id, "post": post.id},
    )
    return int(deadline.id)


async def _complete_level_deadline(w: Work, step: ReviewStep) -> None:
    """The level is decided: its reminders stop."""
    if step.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, step.deadline_id, now=w.now, reason="已审核")


async def _cancel_level_deadline(w: Work, step: ReviewStep) -> None:
    """The post was withdrawn while the level waited."""
    if step.deadline_id is not None:
        await lifecycle.cancel(w.services, w.conn, step.deadline_id, now=w.now, reason="撤回")


async def _restart_level_deadline(w: Work, step: ReviewStep) -> None:
    """The level was handed over: the new approver gets the whole time again."""
    if step.deadline_id is not None:
        await lifecycle.reschedule(w.services, w.conn, step.deadline_id, now=w.now, start_at=w.now)
