"""Policy presets: every number and role chain of docs/regulations/, with its article;
inheritance from default; a deployment's overrides and their errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.policy.loader import PRESET_IDS, PolicyError, load_policy
from bot.policy.model import Entry, Item, Policy, UnknownRuleError, entries
from bot.timekeeping.rules import (
    ByWorkingHoursRule,
    CalendarDaysRule,
    CalendarMonthsRule,
    EndOfWorkingDayRule,
    RuleBase,
)
from storage.enums import Role

SEEDS = Path(__file__).resolve().parents[2] / "docs" / "regulations"
SEED_OF = {p: f"{p}.txt" for p in ("yongchuan", "dongguan", "kunming", "jiaxian", "beibei")}


def leaf(policy: Policy, path: str) -> Any:
    """The item or rule at a dotted path (keys may contain dots, as in entries())."""
    rows = {e.path: e for e in entries(policy)}
    assert path in rows, f"{path} not in {policy.id}"
    section, _, rest = path.partition(".")
    node: Any = getattr(policy, section)
    while rest:
        if isinstance(node, dict):
            key = next(k for k in sorted(node, key=len, reverse=True) if rest.startswith(k))
            node, rest = node[key], rest[len(key) + 1 :]
        else:
            name, _, rest = rest.partition(".")
            node = getattr(node, name)
    return node


def test_every_preset_loads_with_the_same_rules_as_default() -> None:
    default_rules = set(load_policy("default").deadlines)
    for preset in PRESET_IDS:
        policy = load_policy(preset)
        assert policy.id == preset
        assert set(policy.deadlines) == default_rules
        assert set(policy.schedules) == set(load_policy("default").schedules)


# (preset, path, check, article): one row per number or chain in rules.md.
def wd(n: int) -> Any:
    return lambda r: isinstance(r, EndOfWorkingDayRule) and r.days == n


def days(n: int, at_least: bool = False) -> Any:
    return lambda r: (
        isinstance(r, CalendarDaysRule)
        and r.days == n
        and r.bound == ("at_least" if at_least else "within")
    )


def months(n: int) -> Any:
    return lambda r: isinstance(r, CalendarMonthsRule) and r.months == n


def number(n: int) -> Any:
    return lambda item: item.value == n


def chain(*roles: tuple[Role, ...]) -> Any:
    return lambda item: tuple(level.roles for level in item.levels) == roles


def listing(*words: str) -> Any:
    return lambda item: all(w in item.value_text() for w in words)


STATED = [
    ("yongchuan", "deadlines.filing.open", wd(5), "第十二条"),
    ("yongchuan", "deadlines.filing.change", wd(5), "第十二条"),
    ("yongchuan", "deadlines.filing.close", wd(5), "第十二条"),
    ("yongchuan", "deadlines.filing.cancel", wd(5), "第十二条"),
    ("yongchuan", "filing.recipients", listing("区政府办公室", "区网信办"), "第十二条"),
    ("yongchuan", "deadlines.change.complete", months(1), "第十一条"),
    (
        "yongchuan",
        "deadlines.notice.change",
        lambda r: isinstance(r, EndOfWorkingDayRule) and r.days == 15 and r.bound == "at_least",
        "第十一条",
    ),
    (
        "yongchuan",
        "review.levels",
        chain((Role.SECTION_CHIEF,), (Role.DEPUTY_LEADER,), (Role.PRINCIPAL,)),
        "第十四条",
    ),
    ("yongchuan", "review.checks", listing("政治", "法律", "政策", "保密", "文字"), "第十四条"),
    ("yongchuan", "activity.min_posts_per_week", number(1), "第十八条"),
    ("yongchuan", "deadlines.update.max_silence", days(7), "第十八条"),
    ("yongchuan", "duty.checklist", listing("页面", "栏目", "审核和保密", "互动功能"), "第二十条"),
    ("yongchuan", "content.forbidden", listing("身份证号", "手机号", "详细住址"), "第十七条"),
    ("yongchuan", "personnel", listing("工作移交", "保密承诺", "口令更换"), "第二十二条"),
    ("yongchuan", "penalties.unfiled_change", listing("谈话", "通报"), "第二十八条（二）"),
    ("dongguan", "deadlines.filing.open", days(3), "二（一）"),
    ("dongguan", "deadlines.filing.change", days(3), "二（一）"),
    ("dongguan", "deadlines.filing.close", days(3), "二（一）"),
    ("dongguan", "deadlines.filing.cancel", days(3), "二（一）"),
    ("dongguan", "deadlines.filing.cancel_application", wd(3), "二（三）"),
    ("dongguan", "deadlines.update.max_silence", days(14), "二（四）"),
    (
        "dongguan",
        "review.levels",
        chain((Role.EDITOR,), (Role.SECTION_CHIEF,), (Role.PRINCIPAL, Role.DEPUTY_LEADER)),
        "三（一）",
    ),
    ("dongguan", "review.checks", listing("政治", "法律", "社会效应"), "三（一）"),
    ("dongguan", "penalties.circulars_per_year", lambda p: p.threshold == 2, "四（三）"),
    ("dongguan", "accounts.forbidden_subjects", listing("内设机构"), "二（一）"),
    (
        "kunming",
        "deadlines.rectification.ordinary",
        lambda r: (
            isinstance(r, ByWorkingHoursRule) and (r.inside_minutes, r.outside_minutes) == (60, 240)
        ),
        "第十五条",
    ),
    (
        "kunming",
        "deadlines.rectification.serious",
        lambda r: (
            isinstance(r, ByWorkingHoursRule) and (r.inside_minutes, r.outside_minutes) == (30, 120)
        ),
        "第十五条",
    ),
    (
        "kunming",
        "working_hours",
        lambda h: h.hours().per_day.total_seconds() == 8 * 3600,
        "第十五条",
    ),
    ("kunming", "filing.approval", listing("动态登记"), "第九条"),
    ("kunming", "penalties.no_improvement", listing("下季度", "通报"), "第十九条"),
    ("kunming", "duty.mode", listing("24小时"), "第十四条"),
    ("jiaxian", "deadlines.filing.change", wd(2), "第八条（五）"),
    ("jiaxian", "deadlines.notice.open", days(30, at_least=True), "第七条（五）"),
    ("jiaxian", "deadlines.notice.close", days(30, at_least=True), "第八条（四）"),
    ("jiaxian", "deadlines.golive.after_approval", months(6), "第七条（五）"),
    ("jiaxian", "deadlines.suspend.max_duration", days(30), "第八条（一）"),
    ("jiaxian", "lifecycle.temporary_offline_per_year", number(1), "第八条（一）"),
    ("jiaxian", "lifecycle.emergency_shutdown", listing("不计入"), "第八条（二）"),
    ("jiaxian", "activity.min_posts_per_week", number(2), "第十条（二）"),
    ("jiaxian", "deadlines.update.max_silence", days(14), "第十条（二）"),
    ("jiaxian", "deadlines.message.reply", wd(5), "第十条（四）"),
    ("jiaxian", "review.separate_reviewer", listing("分设"), "第十条（一）"),
    (
        "jiaxian",
        "duty.checklist",
        listing("整体运行", "链接可用", "栏目更新", "内容质量"),
        "第十条（三）",
    ),
    (
        "jiaxian",
        "filing.approval",
        listing("县政务信息化服务中心", "省政府办公厅"),
        "第七条（二）（三）",
    ),
    ("jiaxian", "penalties.bottom_three", lambda p: p.threshold == 2, "第十七条"),
    ("jiaxian", "reporting", listing("日监测读网", "月检查通报", "季公开", "年度考核"), "第十五条"),
    ("beibei", "deadlines.error_report.forward", wd(1), "第五章"),
    ("beibei", "deadlines.error_report.reply", wd(2), "第五章"),
    ("beibei", "review.checks", listing("政治", "法律", "政策", "保密", "文字", "舆情"), "第五章"),
    ("beibei", "review.extra_approval", listing("区委、区政府"), "第五章"),
    ("beibei", "deadlines.notice.close", days(30, at_least=True), "第三章"),
    ("beibei", "deadlines.suspend.max_duration", days(30), "第三章"),
    ("beibei", "lifecycle.temporary_offline_per_year", number(1), "第三章"),
    ("beibei", "duty.report_to", listing("区政府办公室", "区委网信办"), "第六章"),
    ("beibei", "reporting", listing("季度"), "第八章"),
]


@pytest.mark.parametrize(("preset", "path", "check", "article"), STATED)
def test_stated_values_and_their_articles(preset: str, path: str, check: Any, article: str) -> None:
    policy = load_policy(preset)
    item = leaf(policy, path)
    assert check(item), f"{preset} {path}: {item}"
    assert item.citation.article == article
    assert item.citation.document == policy.document.title
    assert not item.citation.silent
    assert not item.citation.default


def test_cited_articles_exist_in_the_regulation_texts() -> None:
    for preset, seed in SEED_OF.items():
        text = SEEDS.joinpath(seed).read_text(encoding="utf-8").replace(" ", "")
        for row in entries(load_policy(preset)):
            cite = row.citation
            if cite.silent or cite.default:
                continue
            for token in re.findall(r"第[一二三四五六七八九十]+[条章]", cite.article):
                assert token in text, f"{preset} {row.path}: {token} not in {seed}"


def test_silent_values_come_from_default_and_are_marked() -> None:
    kunming = load_policy("kunming")
    filing = kunming.rule("filing.open")
    assert filing.citation.silent == kunming.document.title
    assert filing.citation.default  # default's own value, following yongchuan 第十二条
    assert filing.citation.document == "永川区政务新媒体管理办法（试行）"
    # default itself is never "silent".
    assert not any(e.citation.silent for e in entries(load_policy("default")))
    # A preset's own values are not marked.
    assert not kunming.rule("rectification.serious").citation.silent


def test_entries_are_complete_and_unique() -> None:
    for preset in PRESET_IDS:
        rows = entries(load_policy(preset))
        assert len({r.path for r in rows}) == len(rows)
        for row in rows:
            assert all((row.label, row.value, row.source)), row


def test_rule_lookup_error_lists_the_rules() -> None:
    with pytest.raises(UnknownRuleError) as raised:
        load_policy("kunming").rule("rectification.urgent")
    assert "rectification.serious" in str(raised.value)
    assert "没有期限规则“rectification.urgent”" in str(raised.value)


# ---- overrides -----------------------------------------------------------------------------------


def rows(policy: Policy) -> dict[str, Entry]:
    return {e.path: e for e in entries(policy)}


def test_dotted_override_changes_one_value_and_marks_it() -> None:
    policy = load_policy("kunming", {"deadlines.rectification.serious.inside_minutes": 20})
    rule = policy.rule("rectification.serious")
    assert isinstance(rule, ByWorkingHoursRule)
    assert (rule.inside_minutes, rule.outside_minutes) == (20, 120)
    assert rule.citation.overridden
    assert rows(policy)["deadlines.rectification.serious"].source.startswith("本单位设置")
    assert not policy.rule("rectification.ordinary").citation.overridden


def test_nested_override_and_a_different_kind_of_rule() -> None:
    policy = load_policy(
        "yongchuan",
        {"deadlines": {"filing.open": {"kind": "calendar_days", "days": 3}}},
    )
    rule = policy.rule("filing.open")
    assert isinstance(rule, CalendarDaysRule)
    assert rule.days == 3
    assert rule.what == "报区政府办公室和区网信办备案"  # kept from the preset
    assert rule.citation.overridden


def test_override_of_an_item_and_working_hours() -> None:
    policy = load_policy(
        "default",
        {
            "activity.min_posts_per_week.value": 3,
            "working_hours.blocks": [["09:00", "12:00"], ["14:00", "17:30"]],
        },
    )
    assert policy.activity.min_posts_per_week.value == 3
    assert policy.activity.min_posts_per_week.citation.overridden
    assert policy.hours().label() == "09:00–12:00、14:00–17:30"


def test_an_override_may_add_a_rule() -> None:
    policy = load_policy(
        "default",
        {
            "deadlines.duty.patrol_report": {
                "kind": "duration",
                "label": "巡查报告时限",
                "when": "巡查结束后",
                "what": "提交巡查记录",
                "minutes": 60,
            }
        },
    )
    rule = policy.rule("duty.patrol_report")
    assert rule.citation.overridden
    assert rule.citation.basis() == "依据本单位设置"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"review.reminder_hours": 2}, "“review.reminder_hours”不是可调整的规则项"),
        ({"deadlines.rectification.serious.inside_minutes": "abc"}, "inside_minutes 应为整数"),
        ({"deadlines.rectification.serious.inside_minutes": 0}, "inside_minutes 数值太小"),
        ({"deadlines.filing.open.kind": "fortnights"}, "kind 只能是"),
        ({"deadlines.filing.open.citation.article": "第一条"}, "出处不能修改"),
        ({"working_hours.blocks": [["18:00", "08:30"]]}, "工作时间不正确"),
        ({"review.levels.levels": []}, "不能为空"),
        ({"review.levels.levels": [{"name": "初审", "roles": ["boss"]}]}, "不是已知的角色"),
        ({"deadlines.duty.new": {"kind": "duration", "minutes": 5}}, "缺少这一项"),
    ],
)
def test_bad_overrides_are_clear_chinese_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy("kunming", overrides)
    assert message in str(raised.value)


def test_unknown_preset() -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy("chongqing")
    assert "未知的政策预设“chongqing”" in str(raised.value)
    assert "yongchuan" in str(raised.value)
    assert "DUTYBOT_POLICY" in str(raised.value)


def test_presets_are_not_changed_by_overrides_of_another_load() -> None:
    load_policy("kunming", {"deadlines.rectification.serious.inside_minutes": 10})
    rule = load_policy("kunming").rule("rectification.serious")
    assert isinstance(rule, ByWorkingHoursRule)
    assert rule.inside_minutes == 30


def test_every_leaf_is_an_item_or_a_rule() -> None:
    policy = load_policy("beibei")
    for row in entries(policy):
        assert isinstance(leaf(policy, row.path), Item | RuleBase), row.path
