"""Three-level review (三审三校) as a state machine over ``Post`` / ``ReviewStep`` rows.

A post is checked (``review_check``), then routed level by level through the roles of the
author's unit that the active preset names (``policy.review.levels``, snapshotted into the post
at submission). Each level is one ``ReviewStep`` with a card in the unit's review group that
@-mentions the approver; a decision locks the step row, checks its state and writes the next
step, the audit entry and the outbox rows in the same transaction. 先审后发: a post is 可发布
only after its last level.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.backends.base.client import BaseDBAsyncClient

from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Tone,
)
from bot.core.emit import Emitter, chat_reachable
from bot.core.outgoing import Message
from bot.deadlines import engine
from bot.directory import Member, load_member, nearest_with_role, unit_chat
from bot.flows.review_check import CheckInput, CheckResult, check_post
from bot.policy.model import Policy
from bot.services import Services
from bot.timekeeping.explain import format_time
from bot.timekeeping.runtime import timekeeping
from storage.enums import ChatPurpose, Platform, Role
from storage.models.org import Account
from storage.models.review import Post, PostStatus, PostVersion, ReviewStep, StepStatus

STEP_HANDLER = "review"
ACTION = "review"

AuditFn = Callable[[str, str, str | int, dict[str, Any]], Awaitable[None]]


# ---- deployment options ------------------------------------------------------------------------


class ReviewOptions(BaseSettings):
    """What a deployment may change about review (``DUTYBOT_REVIEW_*``); see docs/decisions."""

    model_config = SettingsConfigDict(env_prefix="DUTYBOT_REVIEW_", extra="ignore")

    # Small units with too few leaders may let one person approve two levels of one post.
    allow_same_person: bool = False
    # The author may 催办 once per this many minutes.
    urge_interval_minutes: int = 60
    # Who hears when a level stays pending past review.escalate: another holder of the same
    # role ("deputy", who may then decide in the approver's place), or the next level's holder.
    escalate_to: Literal["deputy", "next_level"] = "deputy"
    sensitive_words: list[str] = []
    # One word a line; read at every check so an edit needs no restart.
    sensitive_words_file: Path | None = None

    def words(self) -> list[str]:
        found = list(self.sensitive_words)
        if self.sensitive_words_file is not None and self.sensitive_words_file.exists():
            text = self.sensitive_words_file.read_text(encoding="utf-8")
            found += [w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")]
        return found


OPTIONS_KEY = "review_options"


def options(services: Services) -> ReviewOptions:
    found = services.extras.get(OPTIONS_KEY)
    if isinstance(found, ReviewOptions):
        return found
    built = ReviewOptions()
    services.extras[OPTIONS_KEY] = built
    return built


# ---- a unit of work ----------------------------------------------------------------------------


@dataclass
class Work:
    """What every transition needs: the transaction, the emitter, the time, how to audit."""

    services: Services
    conn: BaseDBAsyncClient
    emit: Emitter
    now: datetime
    audit: AuditFn

    @property
    def policy(self) -> Policy:
        return timekeeping(self.services).policy

    def when(self, at: datetime | None) -> str:
        return format_time(at, self.services.tz, reference=self.now) if at else ""


class ReviewError(Exception):
    """A transition that cannot happen; the message (Chinese) says why and what to do."""


# ---- levels and approvers ----------------------------------------------------------------------


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


# ---- submission --------------------------------------------------------------------------------


def run_check(services: Services, title: str, text: str, repost: bool, source: str) -> CheckResult:
    """The title and the text checked apart, so places read 标题第3字 / 正文第2行第5字."""
    words = options(services).words()
    in_title = check_post(CheckInput(text=title), sensitive_words=words)
    in_text = check_post(CheckInput(text=text, repost=repost, source=source), sensitive_words=words)
    return CheckResult(
        findings=tuple(replace(f, part="标题") for f in in_title.findings)
        + tuple(replace(f, part="正文") if f.start >= 0 else f for f in in_text.findings)
    )


async def current_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion:
    return await PostVersion.filter(post_id=post.id, number=post.version).using_db(conn).get()


async def previous_version(conn: BaseDBAsyncClient, post: Post) -> PostVersion | None:
    if post.version <= 1:
        return None
    return await PostVersion.filter(post_id=post.id, number=post.version - 1).using_db(conn).first()


async def lock_post(conn: BaseDBAsyncClient, post_id: int) -> Post | None:
    return await Post.filter(id=post_id).using_db(conn).select_for_update().first()


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
    deadline = await engine.start(
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


# ---- cards -------------------------------------------------------------------------------------

EXCERPT_CHARS = 160


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "……"


async def account_names(conn: BaseDBAsyncClient, ids: Sequence[int]) -> str:
    rows = await Account.filter(id__in=list(ids)).using_db(conn).order_by("id")
    return "、".join(f"{a.name}（{a.platform.label}）" for a in rows) or "未选择"


def split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[。！？!?；;])|\n", text)
    return [p.strip() for p in parts if p and p.strip()]


def diff_lines(old: str, new: str, limit: int = 10) -> list[str]:
    """What changed between two versions, sentence by sentence: － removed, ＋ added."""
    out: list[str] = []
    for line in difflib.ndiff(split_sentences(old), split_sentences(new)):
        if line.startswith("- "):
            out.append(f"－ {line[2:]}")
        elif line.startswith("+ "):
            out.append(f"＋ {line[2:]}")
    if len(out) > limit:
        out = [*out[:limit], f"……共{len(out)}处变化，请点“查看全文”核对"]
    return out


async def history_lines(w: Work, post: Post) -> list[str]:
    """Decisions on the current version: 初审 李科长 通过 10月9日 10:05（意见）."""
    rows = (
        await ReviewStep.filter(post_id=post.id, version=post.version)
        .using_db(w.conn)
        .order_by("id")
    )
    lines = []
    for row in rows:
        if row.status == StepStatus.PENDING:
            approver = await load_member(row.approver_id, w.conn)
            lines.append(f"{row.level_name}：待{approver.name if approver else ''}审核")
            continue
        decider = await load_member(int(row.decided_by_id or row.approver_id), w.conn)
        comment = f"（{row.comment}）" if row.comment else ""
        lines.append(
            f"{row.level_name}：{decider.name if decider else ''} {row.status.label} "
            f"{w.when(row.decided_at)}{comment}"
        )
    return lines


async def step_card(
    w: Work, post: Post, step: ReviewStep, author: Member, *, status: str = ""
) -> Card:
    version = await current_version(w.conn, post)
    level = post.levels[step.level]
    approver = await load_member(step.approver_id, w.conn)
    fields = [
        CardField(label="送审人", value=f"{author.name}（{author.unit.name}）"),
        CardField(label="发布账号", value=await account_names(w.conn, post.account_ids)),
        CardField(
            label="类型",
            value=f"转载（来源：{post.source or '未注明'}）" if post.repost else "原创",
        ),
    ]
    if post.major_policy:
        fields.append(CardField(label="重大政策信息", value="是，须报区委、区政府同意"))
    if version.link:
        fields.append(CardField(label="链接", value=version.link))
    if version.attachments:
        fields.append(
            CardField(
                label=f"附件（{len(version.attachments)}个）",
                value=attachment_names(version.attachments) + "（点“查看全文”获取）",
            )
        )
    check = "未发现问题" if not version.findings else f"发现{len(version.findings)}处问题"
    if version.findings:
        check += "：\n" + "\n".join(finding_lines(version.findings))
    if version.override_reason:
        check += f"\n送审人说明：{version.override_reason}"
    fields.append(CardField(label="送审前自检", value=check))
    previous = await previous_version(w.conn, post)
    if previous is not None:
        changes = diff_lines(previous.text, version.text)
        if previous.title != version.title:
            changes.insert(0, f"标题：{previous.title} → {version.title}")
        fields.append(
            CardField(
                label=f"修改内容（第{previous.number}版→第{version.number}版）",
                value="\n".join(changes) or "正文未改动",
            )
        )
    duty = level.get("duty") or ""
    checks = "、".join(f"{c}关" for c in post.checks)
    fields.append(
        CardField(
            label="本级把关",
            value=f"{duty}；确认{checks}" if duty and not level.get("consent") else duty or checks,
        )
    )
    fields.append(CardField(label="审核进度", value="\n".join(await history_lines(w, post))))
    payload = {"step": str(step.id)}
    consent = bool(level.get("consent"))
    buttons = (
        Button(
            label="已获同意" if consent else "通过",
            action=f"{ACTION}.approve",
            payload=payload,
            style=ButtonStyle.PRIMARY,
            needs=("comment",) if consent else (),
        ),
        Button(label="退回修改", action=f"{ACTION}.return", payload=payload, needs=("comment",)),
        Button(
            label="不予发布",
            action=f"{ACTION}.reject",
            payload=payload,
            style=ButtonStyle.DANGER,
            needs=("comment",),
        ),
        Button(label="转交", action=f"{ACTION}.delegate", payload=payload),
        Button(label="查看全文", action=f"{ACTION}.full", payload=payload),
    )
    comment_label = (
        "同意文件或批示（文号、日期）" if consent else "审核意见（退回、不予发布时必填）"
    )
    return Card(
        title=f"{level['name']}：《{version.title}》",
        subtitle=f"第{version.number}版 · 待{approver.name if approver else ''}审核",
        tone=Tone.ORANGE if version.findings else Tone.BLUE,
        body=excerpt(version.text),
        fields=tuple(fields),
        mentions=(approver.mention(),) if approver else (),
        inputs=(FormInput(name="comment", label=comment_label, kind=InputKind.TEXTAREA),),
        buttons=buttons,
        status=status or f"等待{approver.name if approver else ''}{level['name']}",
    )


def attachment_names(items: Sequence[dict[str, Any]]) -> str:
    return "、".join(str(item.get("name", "")) for item in items)


def finding_lines(findings: Sequence[dict[str, Any]], limit: int = 8) -> list[str]:
    from bot.flows.review_check import FindingKind

    lines = []
    for i, raw in enumerate(findings[:limit], start=1):
        kind = FindingKind(str(raw["kind"]))
        part = str(raw.get("part", ""))
        if int(raw["start"]) < 0:
            where = ""
        elif part == "标题":
            where = f"标题第{raw['column']}字 "
        else:
            where = f"{part}第{raw['line']}行第{raw['column']}字 "
        shown = f"：“{raw['excerpt']}”" if raw.get("excerpt") else ""
        lines.append(f"{i}. {where}{kind.label}{shown}")
    if len(findings) > limit:
        lines.append(f"……另有{len(findings) - limit}处")
    return lines


async def author_card(w: Work, post: Post, status: str = "") -> Card:
    """The author's own view: where the post stands, with 催办 / 撤回 / 审核记录."""
    version = await current_version(w.conn, post)
    payload = {"post": str(post.id)}
    buttons: list[Button] = []
    if post.status == PostStatus.IN_REVIEW:
        buttons += [
            Button(label="催办", action=f"{ACTION}.urge", payload=payload),
            Button(label="撤回", action=f"{ACTION}.withdraw", payload=payload),
        ]
    buttons.append(Button(label="审核记录", action=f"{ACTION}.trail", payload=payload))
    return Card(
        title=f"送审进度：《{version.title}》",
        subtitle=f"编号 {post.id} · 第{post.version}版 · {post.status.label}",
        tone=Tone.GREEN if post.status == PostStatus.APPROVED else Tone.BLUE,
        fields=(
            CardField(label="审核流程", value=" → ".join(lv["name"] for lv in post.levels)),
            CardField(label="审核进度", value="\n".join(await history_lines(w, post)) or "—"),
        ),
        buttons=tuple(buttons),
        status=status or post.status.label,
    )


# ---- decisions ---------------------------------------------------------------------------------


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
        await engine.complete(w.services, w.conn, step.deadline_id, now=w.now, reason="已审核")
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


class AlreadyDecided(ReviewError):
    """A duplicate or late tap: nothing to record, the card shows what happened."""


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


# The author's card is not re-rendered on progress: on WeCom an update without the tap's
# ResponseCode is a new message, and the author already gets one message per decision.
AUTHOR_CARD_KIND = "review.author"


# ---- hand-over, withdrawal, urging -------------------------------------------------------------


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
        await engine.reschedule(w.services, w.conn, step.deadline_id, now=w.now, start_at=w.now)
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
            await engine.cancel(w.services, w.conn, step.deadline_id, now=w.now, reason="撤回")
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


# ---- publication -------------------------------------------------------------------------------


async def record_published(w: Work, actor: Member, post_id: int, link: str) -> str:
    from storage.models.review import AccountUpdate

    post = await lock_post(w.conn, post_id)
    if post is None:
        raise ReviewError("找不到这篇稿件。")
    if actor.id != post.author_id:
        raise ReviewError("只有送审人可以回报发布情况。")
    link = link.strip()
    if not re.match(r"^https?://\S+$", link):
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
            reported_by_id=actor.id,
            created_at=w.now,
        )
    await w.audit(
        "review.published", "post", post.id, {"link": link, "accounts": list(post.account_ids)}
    )
    return f"已登记发布：{await account_names(w.conn, post.account_ids)}"


async def updates_since(account_id: int, since: datetime) -> int:
    """How many updates an account had since ``since`` (for ≥ N a week, 14 days of silence)."""
    from storage.models.review import AccountUpdate

    return await AccountUpdate.filter(account_id=account_id, published_at__gte=since).count()


async def last_update(account_id: int) -> datetime | None:
    from storage.models.review import AccountUpdate

    row = await AccountUpdate.filter(account_id=account_id).order_by("-published_at").first()
    return row.published_at if row else None


# ---- the trail ---------------------------------------------------------------------------------


async def trail_card(w: Work, post: Post) -> Card:
    """审核记录: every version, its check, every decision (who, when, comment, which 关)."""
    versions = await PostVersion.filter(post_id=post.id).using_db(w.conn).order_by("number")
    steps = await ReviewStep.filter(post_id=post.id).using_db(w.conn).order_by("id")
    author = await load_member(post.author_id, w.conn)
    fields: list[CardField] = [
        CardField(label="送审人", value=author.name if author else ""),
        CardField(label="状态", value=post.status.label),
        CardField(label="审核流程", value=" → ".join(lv["name"] for lv in post.levels)),
    ]
    for version in versions:
        lines = [f"{w.when(version.created_at)} 标题《{version.title}》"]
        lines.append(
            "自检：未发现问题"
            if not version.findings
            else f"自检：发现{len(version.findings)}处问题\n"
            + "\n".join(finding_lines(version.findings))
        )
        if version.override_reason:
            lines.append(f"仍然送审的说明：{version.override_reason}")
        if version.attachments:
            lines.append(f"附件：{attachment_names(version.attachments)}")
        for step in (s for s in steps if s.version == version.number):
            who = await load_member(int(step.decided_by_id or step.approver_id), w.conn)
            name = who.name if who else ""
            if step.status == StepStatus.PENDING:
                lines.append(f"{step.level_name}：待{name}审核")
                continue
            checks = f"，把关：{'、'.join(c + '关' for c in step.checks)}" if step.checks else ""
            comment = f"，意见：{step.comment}" if step.comment else ""
            handed = ""
            if step.delegated_from_id:
                original = await load_member(step.delegated_from_id, w.conn)
                handed = f"（由{original.name if original else ''}转交）"
            lines.append(
                f"{step.level_name}：{name}{handed} {step.status.label} "
                f"{w.when(step.decided_at)}{checks}{comment}"
            )
        fields.append(CardField(label=f"第{version.number}版", value="\n".join(lines)))
    if post.published_link:
        fields.append(
            CardField(label="发布", value=f"{w.when(post.published_at)} {post.published_link}")
        )
    return Card(
        title=f"审核记录：《{post.title}》",
        subtitle=f"编号 {post.id}",
        tone=Tone.GREY,
        fields=tuple(fields),
    )


async def may_see(conn: BaseDBAsyncClient, member: Member, post: Post) -> bool:
    if member.id == post.author_id or member.has(Role.SUPERVISOR_STAFF, Role.ADMIN):
        return True
    reviewers = (
        await ReviewStep.filter(post_id=post.id)
        .using_db(conn)
        .values_list("approver_id", "delegated_from_id")
    )
    return any(member.id in pair for pair in reviewers)
