"""The policy preset: every number and role chain of one jurisdiction, each with its article.

A preset is data. Leaves are ``Item``s (or deadline rules), each carrying a ``Citation``;
``entries()`` flattens a policy into rows for ``dutybot policy show`` and ``diff``, and the
same dotted paths address single values in ``DUTYBOT_POLICY_OVERRIDES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from bot.timekeeping.calendar import WorkingHours
from bot.timekeeping.rules import Citation, DeadlineRule, RuleBase, interval_text
from bot.timekeeping.schedule import StepSpec
from storage.enums import Role

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Item(BaseModel):
    """A leaf value people read: what it is, and where it comes from."""

    model_config = _FROZEN

    label: str
    citation: Citation

    def value_text(self) -> str:
        raise NotImplementedError


class Number(Item):
    value: NonNegativeInt
    unit: str = ""

    def value_text(self) -> str:
        return f"{self.value}{self.unit}"


class Text(Item):
    value: str

    def value_text(self) -> str:
        return self.value


class Texts(Item):
    items: tuple[str, ...]

    def value_text(self) -> str:
        return "、".join(self.items) if self.items else "无"


class HoursItem(Item):
    """Working hours as blocks of "HH:MM" pairs."""

    blocks: tuple[tuple[str, str], ...]

    @field_validator("blocks")
    @classmethod
    def _valid(cls, blocks: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        try:
            WorkingHours.parse(blocks)
        except ValueError as exc:
            raise ValueError(f"工作时间不正确：{exc}") from None
        return blocks

    def hours(self) -> WorkingHours:
        return WorkingHours.parse(self.blocks)

    def value_text(self) -> str:
        hours = self.hours()
        return f"{hours.label()}（每日{hours.per_day.total_seconds() / 3600:g}小时）"


ReportCadence = Literal["weekly", "monthly", "quarterly", "yearly"]

CADENCE_LABELS: dict[str, str] = {
    "weekly": "周报",
    "monthly": "月报",
    "quarterly": "季报",
    "yearly": "年报",
}


class Cadences(Item):
    """Which periodic reports the bot posts into the supervision group on its own."""

    items: tuple[ReportCadence, ...]

    def value_text(self) -> str:
        if not self.items:
            return "不自动推送（可用 dutybot report 生成）"
        return "、".join(CADENCE_LABELS[item] for item in self.items)


class ReviewLevel(BaseModel):
    model_config = _FROZEN

    name: str  # 初审 / 复审 / 终审
    roles: tuple[Role, ...] = Field(min_length=1)  # any of them may act at this level
    duty: str = ""  # 初审初校 …


class ReviewLevels(Item):
    levels: tuple[ReviewLevel, ...] = Field(min_length=1)

    def value_text(self) -> str:
        return " → ".join(
            f"{lv.name}（{'或'.join(r.label for r in lv.roles)}）" for lv in self.levels
        )


class Penalty(Item):
    condition: str
    threshold: NonNegativeInt | None = None
    action: str

    def value_text(self) -> str:
        count = f"（{self.threshold}次及以上）" if self.threshold else ""
        return f"{self.condition}{count} → {self.action}"


class EscalationStep(BaseModel):
    model_config = _FROZEN

    after: str  # a deadline rule id, or "due" for the deadline's own due time
    notify: tuple[Role, ...] = Field(min_length=1)


class EscalationChain(Item):
    steps: tuple[EscalationStep, ...] = Field(min_length=1)

    def value_text(self) -> str:
        return self.describe({})

    def describe(self, rules: Mapping[str, RuleBase]) -> str:
        """ "超过告警确认时限（5分钟）通知值班长 → …", naming the rules when known."""
        parts = []
        for step in self.steps:
            if step.after == "due":
                when = "到期后"
            elif step.after in rules:
                rule = rules[step.after]
                when = f"超过{rule.label}（{rule.length_text()}）"
            else:
                when = f"超过 {step.after} 后"
            parts.append(f"{when}通知{'、'.join(r.label for r in step.notify)}")
        return " → ".join(parts)


class Schedule(Item):
    steps: tuple[StepSpec, ...] = Field(min_length=1)

    def value_text(self) -> str:
        parts = []
        for step in self.steps:
            label = step.label or step.name
            if step.fraction is not None:
                parts.append(f"{label}（{step.fraction:.0%}）")
            elif step.rule is not None:
                parts.append(f"{label}（{step.rule.length_text()}后）")
            else:
                parts.append(label)
            if step.every_minutes:
                parts[-1] += f"，此后每{interval_text(step.every_minutes)}一次"
        return "、".join(parts)


class Document(BaseModel):
    model_config = _FROZEN

    title: str
    number: str = ""
    issuer: str = ""
    issued: str = ""
    seed: str = ""


class ReviewSection(BaseModel):
    model_config = _FROZEN

    levels: ReviewLevels
    checks: Texts
    separate_reviewer: Text
    extra_approval: Text


class FilingSection(BaseModel):
    model_config = _FROZEN

    approval: Texts
    attachments: Texts
    recipients: Texts
    form: Text
    types: Texts


class LifecycleSection(BaseModel):
    model_config = _FROZEN

    temporary_offline_per_year: Number
    temporary_offline_approval: Text
    emergency_shutdown: Text
    exit_supervision: Text
    closure: Text


class AccountsSection(BaseModel):
    model_config = _FROZEN

    one_per_platform: Text
    forbidden_subjects: Texts
    naming: Text


class ActivitySection(BaseModel):
    model_config = _FROZEN

    min_posts_per_week: Number
    silence_consequence: Text
    # How many days before a silence breach the owner unit is warned (duty activity monitor).
    warn_days_before: Number


class DutySection(BaseModel):
    model_config = _FROZEN

    mode: Text
    checklist: Texts
    report_to: Texts


class ContentSection(BaseModel):
    model_config = _FROZEN

    forbidden: Texts
    reposts: Text


class Policy(BaseModel):
    """One jurisdiction's rules, with the defaults filled in where its document is silent."""

    model_config = _FROZEN

    id: str
    jurisdiction: str  # 重庆市永川区
    document: Document
    working_hours: HoursItem
    deadlines: dict[str, DeadlineRule]
    schedules: dict[str, Schedule]
    escalations: dict[str, EscalationChain]
    review: ReviewSection
    filing: FilingSection
    lifecycle: LifecycleSection
    accounts: AccountsSection
    activity: ActivitySection
    duty: DutySection
    content: ContentSection
    penalties: dict[str, Penalty]
    reporting: Text
    report_cadences: Cadences
    personnel: Texts
    platforms: Texts

    def hours(self) -> WorkingHours:
        return self.working_hours.hours()

    def rule(self, rule_id: str) -> DeadlineRule:
        """The deadline rule ``rule_id``; a Chinese ``UnknownRuleError`` names the valid ones."""
        try:
            return self.deadlines[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id, self) from None

    def schedule(self, name: str) -> tuple[StepSpec, ...]:
        """The reminder steps configured for a kind of deadline ("rectification", …)."""
        return self.schedules[name].steps


class UnknownRuleError(KeyError):
    def __init__(self, rule_id: str, policy: Policy) -> None:
        self.rule_id = rule_id
        self.message = (
            f"政策预设 {policy.id} 中没有期限规则“{rule_id}”。"
            f"可用的规则：{'、'.join(sorted(policy.deadlines))}"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# ---- flattening for show / diff / overrides ---------------------------------------------

SECTION_LABELS: dict[str, str] = {
    "working_hours": "工作时间",
    "deadlines": "期限规则",
    "schedules": "提醒安排",
    "escalations": "升级通知",
    "review": "三审三校",
    "filing": "备案",
    "lifecycle": "开设、下线与关停",
    "accounts": "账号开设",
    "activity": "更新频率",
    "duty": "读网值班",
    "content": "内容发布",
    "penalties": "通报与约谈",
    "reporting": "检查与报告",
    "report_cadences": "定期报表",
    "personnel": "人员离岗",
    "platforms": "平台",
}


@dataclass(frozen=True)
class Entry:
    """One row of ``dutybot policy show``: a leaf value with its path and source."""

    path: str  # "deadlines.rectification.serious", the key for overrides
    section: str
    label: str
    value: str
    citation: Citation

    @property
    def source(self) -> str:
        return self.citation.source_text()


def leaf_value_text(leaf: Item | RuleBase) -> str:
    return leaf.phrase() if isinstance(leaf, RuleBase) else leaf.value_text()


def entries(policy: Policy) -> list[Entry]:
    """Every leaf of the policy, in a stable reading order."""
    rows: list[Entry] = []
    for section in SECTION_LABELS:
        value = getattr(policy, section)
        _walk(value, section, SECTION_LABELS[section], rows)
    rules: dict[str, RuleBase] = dict(policy.deadlines)
    for index, row in enumerate(rows):
        if row.path.startswith("escalations."):
            chain = policy.escalations[row.path.removeprefix("escalations.")]
            rows[index] = Entry(
                row.path, row.section, row.label, chain.describe(rules), row.citation
            )
    return rows


def _walk(value: Any, path: str, section: str, rows: list[Entry]) -> None:
    if isinstance(value, Item | RuleBase):
        rows.append(Entry(path, section, value.label, leaf_value_text(value), value.citation))
    elif isinstance(value, dict):
        for key in value:
            _walk(value[key], f"{path}.{key}", section, rows)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _walk(getattr(value, name), f"{path}.{name}", section, rows)
