"""The 报告 form and the one-line 报告: severity, what happened, an optional link or screenshot.

``报告 舆情 网传某镇政府公众号发布不实信息 https://…`` raises the alert at once; a bare ``报告``
asks question by question (one card on Feishu).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.context import HandlerContext
from bot.core.forms import Answers, Choice, FormError, Question, QuestionKind
from storage.models.duty_alerts import ALERT_SEVERITY_LABELS, AlertSeverity

FORM_NAME = "duty.report"
FORM_LABEL = "告警报告"
SEVERITY_CHOICES = tuple(Choice(label, label) for label in ALERT_SEVERITY_LABELS.values())
_LINK = re.compile(r"https?://\S+")
MIN_DESCRIPTION = 4


def severity_of(text: str) -> AlertSeverity | None:
    for severity, label in ALERT_SEVERITY_LABELS.items():
        if text.strip() in (label, severity.value):
            return severity
    return None


@dataclass(frozen=True)
class Report:
    severity: AlertSeverity
    description: str
    link: str


def parse_report(rest: str) -> Report | None:
    """``舆情 描述 [链接]`` → a report; None when the severity or description is missing
    (then the form asks)."""
    head, _, tail = rest.strip().partition(" ")
    severity = severity_of(head)
    if severity is None:
        return None
    links = _LINK.findall(tail)
    description = _LINK.sub("", tail).strip()
    if len(description) < MIN_DESCRIPTION:
        return None
    return Report(severity, description, links[0] if links else "")


def title_of(description: str) -> str:
    """The card's title: the description's first sentence, shortened."""
    first = re.split(r"[。！？\n]", description.strip(), maxsplit=1)[0]
    return first[:40] + ("…" if len(first) > 40 else "")


async def _check_description(ctx: HandlerContext, value: str, answers: Answers) -> str:
    if len(value.strip()) < MIN_DESCRIPTION:
        raise FormError("情况说明太短，请写明哪个账号、出了什么问题。")
    return value.strip()


async def _check_link(ctx: HandlerContext, value: str, answers: Answers) -> str:
    value = value.strip()
    if value and not _LINK.fullmatch(value):
        raise FormError("链接应以 http:// 或 https:// 开头；没有请回复“无”。")
    return value


QUESTIONS = (
    Question(
        "severity",
        "级别",
        "请选择告警级别（一般 / 严重 / 舆情；舆情会立即报告主管单位）",
        kind=QuestionKind.CHOICE,
        choices=SEVERITY_CHOICES,
    ),
    Question(
        "description",
        "情况",
        "请描述发现的情况（哪个账号、什么问题）",
        kind=QuestionKind.LONG_TEXT,
        validate=_check_description,
    ),
    Question(
        "link", "链接", "有相关链接请发送，没有请回复“无”", required=False, validate=_check_link
    ),
    Question(
        "screenshot",
        "截图",
        "有截图请发送图片，发完回复「好了」，没有请回复「无」",
        kind=QuestionKind.ATTACHMENTS,
        required=False,
    ),
)
