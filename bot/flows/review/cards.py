"""The cards reviewers and authors see."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

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
from bot.core.directory import Member, load_member
from bot.flows.review.base import ACTION, Work
from bot.flows.review.store import current_version, previous_version
from storage.models.org import Account
from storage.models.review import Post, PostStatus, ReviewStep, StepStatus

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
