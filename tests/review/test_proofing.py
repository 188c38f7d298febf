"""纠错 without the chat: every shipped rule against its own examples, the directory's names,
the matcher against a plain search, office rule files, and real official prose left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.review.check import FindingKind, check_title_and_text
from bot.flows.review.proofing import HitKind, Proofreader, rule_set
from bot.flows.review.proofing.matcher import Matcher
from bot.flows.review.proofing.names import (
    Lexicon,
    PersonTitle,
    UnitNames,
    edit_distance,
    places_in,
    split_titles,
)
from bot.flows.review.proofing.rules import Rule, RuleFileError, office_rules, shipped_rules
from bot.org.seed import demo_org_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED: list[Rule] = [rule for _, rules in shipped_rules() for rule in rules]


def demo_lexicon() -> Lexicon:
    """The demo district's directory, as the organisation file writes it."""
    org = yaml.safe_load(demo_org_text())
    return Lexicon(
        units=[
            UnitNames(u["name"], tuple(u.get("aliases", [])), tuple(u.get("former_names", [])))
            for u in org["units"]
        ],
        people=[
            PersonTitle(p["name"], split_titles(p["title"])) for p in org["people"] if "title" in p
        ],
    )


def found(text: str, lexicon: Lexicon | None = None) -> list[tuple[str, str, str]]:
    """(found text, standard form, rule) of every hit."""
    hits = Proofreader(rule_set(), lexicon).check(text)
    return [(text[h.start : h.end], h.standard, h.rule) for h in hits]


# ---- every rule, its own sentences ---------------------------------------------------------------


def test_every_rule_carries_a_sentence_to_flag_and_one_to_keep_and_a_source() -> None:
    assert len(SHIPPED) >= 25
    for rule in SHIPPED:
        assert rule.flag, rule.id
        assert rule.keep, rule.id
        assert rule.source, rule.id


@pytest.mark.parametrize(
    ("rule_id", "sentence"),
    [(rule.id, sentence) for rule in SHIPPED for sentence in rule.flag],
)
def test_rule_flags_its_example(rule_id: str, sentence: str) -> None:
    hits = found(sentence)
    assert rule_id in [rule for _, _, rule in hits], hits
    # The standard form, put in place of what was found, is not flagged again.
    (text, standard, _) = next(h for h in hits if h[2] == rule_id)
    fixed = sentence.replace(text, standard, 1)
    assert rule_id not in [rule for _, _, rule in found(fixed)], fixed


@pytest.mark.parametrize(
    ("rule_id", "sentence"),
    [(rule.id, sentence) for rule in SHIPPED for sentence in rule.keep],
)
def test_rule_keeps_its_example(rule_id: str, sentence: str) -> None:
    assert found(sentence) == [], rule_id


def test_real_regulations_and_the_demo_notice_are_not_flagged_at_all() -> None:
    """20,000 characters of real official prose and a 1,500-character notice in their style:
    no false alarm, with the demo district's directory loaded."""
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "docs/regulations").glob("*.txt"))]
    notice = (ROOT / "bot/data/demo_notice.txt").read_text("utf-8")
    assert len(notice) >= 1500
    lexicon = demo_lexicon()
    for text in [*texts, notice]:
        assert found(text, lexicon) == []
    result = check_title_and_text(
        "关于进一步加强政务新媒体内容审核管理的通知",
        notice,
        repost=False,
        source="",
        sensitive_words=[],
        proofreader=Proofreader(rule_set(), lexicon),
    )
    assert result.findings == ()


# ---- our own names -------------------------------------------------------------------------------


def test_places_are_read_from_unit_names() -> None:
    assert places_in("临江区河西镇人民政府") == [("临江", "区"), ("河西", "镇")]
    assert places_in("中共临江区委网信办") == [("临江", "区")]
    assert places_in("区文旅委宣传科") == []


def test_wrong_administrative_suffix_is_flagged_with_the_directory_form() -> None:
    lexicon = demo_lexicon()
    assert found("临江县桃花节开幕。", lexicon) == [("临江县", "临江区", "place")]
    assert found("河西乡、河西街道的群众。", lexicon) == [
        ("河西乡", "河西镇", "place"),
        ("河西街道", "河西镇", "place"),
    ]
    # Ordinary words that begin like a place are not places.
    assert found("临江市场繁荣，河西乡村振兴，临江区域协调发展。", lexicon) == []


def test_former_names_and_near_misses_of_unit_names_point_to_the_current_name() -> None:
    lexicon = demo_lexicon()
    full = "临江区文化和旅游发展委员会"
    assert found("临江区文化委员会举办讲座。", lexicon) == [
        ("临江区文化委员会", full, "former_name")
    ]
    assert found("临江区文化旅游发展委员会举办讲座。", lexicon) == [
        ("临江区文化旅游发展委员会", full, "unit_name")
    ]
    assert found("临江区教育委会发布通知。", lexicon) == []  # no tail: not a unit name
    assert found("临江区教肓委员会发布通知。", lexicon) == [
        ("临江区教肓委员会", "临江区教育委员会", "unit_name")
    ]
    # The full names, the aliases and other bodies' correct names are left alone.
    text = f"{full}、区文旅委、临江区文旅委、临江区教育委员会和临江区人民政府联合举办。"
    assert found(text, lexicon) == []


def test_a_title_before_the_wrong_person_is_flagged() -> None:
    lexicon = demo_lexicon()
    assert found("宣传科科长小王介绍了活动安排。", lexicon) == [
        ("宣传科科长小王", "宣传科科员小王", "person_title")
    ]
    assert found("宣传科科员小王、宣传科科长李科长介绍了活动安排。", lexicon) == []


def test_a_unit_renamed_in_the_directory_is_caught_by_its_old_name_only() -> None:
    lexicon = Lexicon(units=[UnitNames("临江区市场监督管理局", (), ("临江区工商行政管理局",))])
    assert found("临江区工商行政管理局提醒消费者。", lexicon) == [
        ("临江区工商行政管理局", "临江区市场监督管理局", "former_name")
    ]
    assert found("临江区市场监督管理局提醒消费者。", lexicon) == []


def test_edit_distance() -> None:
    assert edit_distance("临江区文化旅游发展委员会", "临江区文化和旅游发展委员会") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3


# ---- the matcher ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="临江区县ab", min_size=1, max_size=4), max_size=12),
    text=st.text(alphabet="临江区县abc", max_size=40),
)
def test_matcher_finds_exactly_what_a_plain_search_finds(words: list[str], text: str) -> None:
    expected = {
        (i, i + len(w), w) for w in set(words) for i in range(len(text)) if text.startswith(w, i)
    }
    got = set(Matcher((w, w) for w in set(words)).find(text))
    assert got == expected


# ---- the office's own rules ----------------------------------------------------------------------

OFFICE = """
version: "临江-2026.2"
rules:
  - id: ljq-peach-festival
    kind: wording
    find: [临江桃花会]
    standard: 临江桃花节
    source: 区文旅委《关于统一节庆活动名称的通知》
    examples:
      flag: [欢迎参加临江桃花会。]
      keep: [欢迎参加临江桃花节。]
"""


def test_an_office_file_adds_rules_and_an_edit_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "wording.yaml"
    path.write_text(OFFICE, "utf-8")
    rules = rule_set(path)
    assert "临江-2026.2" in rules.versions
    hits = rules.check("欢迎参加临江桃花会，其它活动另行通知。")
    assert [(h.rule, h.kind) for h in hits] == [
        ("ljq-peach-festival", HitKind.WORDING),
        ("qita", HitKind.TYPO),
    ]
    path.write_text(OFFICE.replace("临江桃花会", "桃花大会"), "utf-8")
    import os

    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))
    assert [h.rule for h in rule_set(path).check("欢迎参加桃花大会。")] == ["ljq-peach-festival"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("source: 区文旅委《关于统一节庆活动名称的通知》", ""), "source：请写明规范表述的出处"),
        (("kind: wording", "kind: style"), "kind：只能是 wording 或 typo"),
        (("id: ljq-peach-festival", "id: qita"), "与内置规则编号重复"),
        (("find: [临江桃花会]", "find: []"), "find：至少写一个要查找的词"),
        (("rules:", "rule:"), "文件须包含 version 和 rules 列表"),
    ],
)
def test_a_broken_office_file_is_named_and_the_shipped_rules_still_check(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "wording.yaml"
    path.write_text(OFFICE.replace(*change), "utf-8")
    with pytest.raises(RuleFileError, match=message):
        office_rules(path)
    assert [h.rule for h in rule_set(path).check("其它事项另行通知。")] == ["qita"]


def test_typos_are_suggestions_and_do_not_stop_a_post() -> None:
    result = check_title_and_text(
        "通知",
        "其它事项另行通知。",
        repost=False,
        source="",
        sensitive_words=[],
        proofreader=Proofreader(rule_set()),
    )
    assert [f.kind for f in result.findings] == [FindingKind.TYPO]
    assert result.clean
    assert result.findings[0].describe().startswith("正文第1行第1字 用字建议：“其它”应为“其他”")
