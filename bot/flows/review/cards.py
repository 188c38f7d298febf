"""The cards reviewers and authors see, built from plain values (``records`` reads the rows).

Pure: no database, no awaits. Names of people come in as ``names`` (person id → name) and
times as ``when`` (a time as people read it, relative to now).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.core.directory import Member
from bot.flows.review.check import SUGGESTIONS, FindingKind
from bot.flows.review.model import ACTION, level_chain
from storage.models.review import Post, PostStatus, PostVersion, ReviewStep, StepStatus

EXCERPT_CHARS = 160

When = Callable[[datetime | None], str]


# ---- pieces -------------------------------------------------------------------------------------


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "……"


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


def attachment_names(items: Sequence[dict[str, Any]]) -> str:
    return "、".join(str(item.get("name", "")) for item in items)


def finding_lines(findings: Sequence[dict[str, Any]], limit: int = 8) -> list[str]:
    """A version's stored findings, numbered, each with where it is."""
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
        if raw.get("standard"):
            shown = f"：“{raw.get('match', '')}”→“{raw['standard']}”（{raw.get('excerpt', '')}）"
        lines.append(f"{i}. {where}{kind.label}{shown}")
    if len(findings) > limit:
        lines.append(f"……另有{len(findings) - limit}处")
    return lines


def findings_summary(findings: Sequence[dict[str, Any]]) -> str:
    """发现2处问题 / 发现1处问题、3处用字建议 / 有2处用字建议 / 未发现问题."""
    hints = sum(1 for raw in findings if FindingKind(str(raw["kind"])) in SUGGESTIONS)
    problems = len(findings) - hints
    if problems and hints:
        return f"发现{problems}处问题、{hints}处用字建议"
    if problems:
        return f"发现{problems}处问题"
    return f"有{hints}处用字建议" if hints else "未发现问题"


def history_lines(steps: Sequence[ReviewStep], names: Mapping[int, str], when: When) -> list[str]:
    """Decisions on one version: 初审：李科长 通过 10月9日 10:05（意见）, or 待…审核."""
    lines = []
    for row in steps:
        if row.status == StepStatus.PENDING:
            lines.append(f"{row.level_name}：待{names.get(row.approver_id, '')}审核")
            continue
        decider = names.get(int(row.decided_by_id or row.approver_id), "")
        comment = f"（{row.comment}）" if row.comment else ""
        lines.append(
            f"{row.level_name}：{decider} {row.status.label} {when(row.decided_at)}{comment}"
        )
    return lines


# ---- the reviewer's card ------------------------------------------------------------------------


def step_card(
    *,
    post: Post,
    step: ReviewStep,
    version: PostVersion,
    previous: PostVersion | None,
    author: Member,
    approver: Member | None,
    accounts: str,
    history: Sequence[str],
    status: str = "",
) -> Card:
    """One level's card: the post, its check, what changed since the last version, the buttons."""
    level = post.levels[step.level]
    approver_name = approver.name if approver else ""
    fields = [
        CardField(label="送审人", value=f"{author.name}（{author.unit.name}）"),
        CardField(label="发布账号", value=accounts),
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
    check = findings_summary(version.findings)
    if version.findings:
        check += "：\n" + "\n".join(finding_lines(version.findings))
    if version.override_reason:
        check += f"\n送审人说明：{version.override_reason}"
    fields.append(CardField(label="送审前自检", value=check))
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
    fields.append(CardField(label="审核进度", value="\n".join(history)))
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
        subtitle=f"第{version.number}版 · 待{approver_name}审核",
        tone=Tone.ORANGE if version.findings else Tone.BLUE,
        body=excerpt(version.text),
        fields=tuple(fields),
        mentions=(approver.mention(),) if approver else (),
        inputs=(FormInput(name="comment", label=comment_label, kind=InputKind.TEXTAREA),),
        buttons=buttons,
        status=status or f"等待{approver_name}{level['name']}",
    )


def closed_step_card(card: Card, step: ReviewStep, status: str) -> Card:
    """A level's card once the level is decided or withdrawn: its outcome, nobody to @."""
    card = card.model_copy(
        update={
            "subtitle": f"第{step.version}版 · {step.level_name}{step.status.label}",
            "mentions": (),
        }
    )
    tone = (
        Tone.GREEN
        if step.status == StepStatus.APPROVED
        else Tone.RED
        if step.status == StepStatus.REJECTED
        else Tone.GREY
    )
    return card.closed(status, tone)


def delegate_card(post: Post, step: ReviewStep, people: Sequence[Member]) -> Card:
    """转交: whom the approver may hand the level to (the first six)."""
    return Card(
        title=f"转交{step.level_name}：《{post.title}》",
        body="请选择转交给谁（同一角色的其他人员）：",
        buttons=tuple(
            Button(
                label=m.name,
                action=f"{ACTION}.delegate_to",
                payload={"step": str(step.id), "to": str(m.id)},
            )
            for m in people[:6]
        ),
    )


# ---- the author's cards -------------------------------------------------------------------------


def check_card(post: Post, lines: Sequence[str]) -> Card:
    """送审前自检 found something: fix it, or submit anyway with a reason reviewers will read."""
    payload = {"post": str(post.id)}
    return Card(
        title=f"送审前自检：《{post.title}》",
        tone=Tone.ORANGE,
        body=f"发现{len(lines)}处需要注意的内容，请修改后重新提交；"
        "确需保留的，点“仍然送审”并说明理由，审核人会看到您的说明。\n" + "\n".join(lines),
        inputs=(
            FormInput(name="reason", label="仍然送审的理由（审核人可见）", kind=InputKind.TEXTAREA),
        ),
        buttons=(
            Button(
                label="修改", action=f"{ACTION}.edit", payload=payload, style=ButtonStyle.PRIMARY
            ),
            Button(
                label="仍然送审",
                action=f"{ACTION}.override",
                payload=payload,
                needs=("reason",),
            ),
            Button(label="放弃", action=f"{ACTION}.withdraw", payload=payload),
        ),
    )


def author_card(post: Post, title: str, history: Sequence[str], status: str = "") -> Card:
    """The author's own view: where the post stands, with 催办 / 撤回 / 审核记录."""
    payload = {"post": str(post.id)}
    buttons: list[Button] = []
    if post.status == PostStatus.IN_REVIEW:
        buttons += [
            Button(label="催办", action=f"{ACTION}.urge", payload=payload),
            Button(label="撤回", action=f"{ACTION}.withdraw", payload=payload),
        ]
    buttons.append(Button(label="审核记录", action=f"{ACTION}.trail", payload=payload))
    return Card(
        title=f"送审进度：《{title}》",
        subtitle=f"编号 {post.id} · 第{post.version}版 · {post.status.label}",
        tone=Tone.GREEN if post.status == PostStatus.APPROVED else Tone.BLUE,
        fields=(
            CardField(label="审核流程", value=level_chain(post)),
            CardField(label="审核进度", value="\n".join(history) or "—"),
        ),
        buttons=tuple(buttons),
        status=status or post.status.label,
    )


def approved_card(post: Post, accounts: str, history: Sequence[str]) -> Card:
    """可发布: every level passed; the author reports the published link."""
    return Card(
        title=f"可发布：《{post.title}》",
        tone=Tone.GREEN,
        body=(
            "三级审核已全部通过，可以发布。发布后请点“已发布”并填写发布链接，"
            f"或回复“已发布 {post.id} 链接”。"
        ),
        fields=(
            CardField(label="发布账号", value=accounts),
            CardField(label="审核进度", value="\n".join(history)),
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
    )


def returned_card(post: Post, step: ReviewStep, decider: str) -> Card:
    """退回修改: the reviewer's comment, and the way to a new version."""
    return Card(
        title=f"退回修改：《{post.title}》",
        tone=Tone.ORANGE,
        body=(
            f"{step.level_name}（{decider}）退回修改，意见：{step.comment}\n"
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
    )


# ---- 审核记录 -----------------------------------------------------------------------------------


def trail_card(
    post: Post,
    versions: Sequence[PostVersion],
    steps: Sequence[ReviewStep],
    names: Mapping[int, str],
    when: When,
) -> Card:
    """审核记录: every version, its check, every decision (who, when, comment, which 关)."""
    fields: list[CardField] = [
        CardField(label="送审人", value=names.get(post.author_id, "")),
        CardField(label="状态", value=post.status.label),
        CardField(label="审核流程", value=level_chain(post)),
    ]
    for version in versions:
        lines = [f"{when(version.created_at)} 标题《{version.title}》"]
        lines.append(
            f"自检：{findings_summary(version.findings)}"
            + ("\n" + "\n".join(finding_lines(version.findings)) if version.findings else "")
        )
        if version.override_reason:
            lines.append(f"仍然送审的说明：{version.override_reason}")
        if version.attachments:
            lines.append(f"附件：{attachment_names(version.attachments)}")
        for step in (s for s in steps if s.version == version.number):
            name = names.get(int(step.decided_by_id or step.approver_id), "")
            if step.status == StepStatus.PENDING:
                lines.append(f"{step.level_name}：待{name}审核")
                continue
            checks = f"，把关：{'、'.join(c + '关' for c in step.checks)}" if step.checks else ""
            comment = f"，意见：{step.comment}" if step.comment else ""
            handed = ""
            if step.delegated_from_id:
                handed = f"（由{names.get(step.delegated_from_id, '')}转交）"
            lines.append(
                f"{step.level_name}：{name}{handed} {step.status.label} "
                f"{when(step.decided_at)}{checks}{comment}"
            )
        fields.append(CardField(label=f"第{version.number}版", value="\n".join(lines)))
    if post.published_link:
        fields.append(
            CardField(label="发布", value=f"{when(post.published_at)} {post.published_link}")
        )
    return Card(
        title=f"审核记录：《{post.title}》",
        subtitle=f"编号 {post.id}",
        tone=Tone.GREY,
        fields=tuple(fields),
    )
