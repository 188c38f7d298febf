"""检查指标自评 (台账 检查指标): the bot's data mapped to the national checklist's indicators."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.flows.filing.inspection import (
    ACCURACY,
    AVAILABILITY,
    INTERACTION,
    PRIVACY,
    VETO_SECURITY,
    VETO_SILENCE,
    Figures,
    assess,
    published_findings,
)
from tests.support.chat import ChatHarness
from tests.support.rectification import issue
from tests.support.review import GROUP, review_card, submit

DEMO_POST = (Path(__file__).resolve().parents[2] / "bot/data/demo_post.txt").read_text("utf-8")


def test_two_weeks_without_an_update_is_a_veto_whatever_the_points() -> None:
    assert assess(Figures("临江发布（微信）", 13, 3000)).verdict == "100分"
    silent = assess(Figures("临江发布（微信）", 14, 3000))
    assert silent.vetoed == (VETO_SILENCE,)
    assert silent.verdict == "不合格（单项否决）"
    # Opened and never updated: silent since the opening date; no date known, no verdict on it.
    assert assess(Figures("新号", None, 20)).vetoed == (VETO_SILENCE,)
    assert assess(Figures("新号", None, 3)).vetoed == ()
    assert assess(Figures("新号", None, None)).vetoed == ()


def test_points_name_their_indicator_and_are_capped() -> None:
    result = assess(
        Figures(
            "临江文旅（微信）",
            1,
            3000,
            Counter({INTERACTION: 2, ACCURACY: 30, PRIVACY: 1, AVAILABILITY: 1}),
            serious=1,
        )
    )
    assert result.vetoed == (VETO_SECURITY,)
    assert result.points == (
        (INTERACTION, 2, 10),
        (ACCURACY, 30, 20),
        (PRIVACY, 1, 5),
        (AVAILABILITY, 1, 2),
    )
    assert result.score == 63
    assert result.lines()[2] == "  · 扣分·互动回应（网民留言未回复）：2次，扣10分"


def test_kept_findings_count_by_kind_and_typo_suggestions_do_not() -> None:
    kinds = ["mobile", "id_number", "name", "wording", "sensitive", "typo", "advertising"]
    assert published_findings([{"kind": k} for k in kinds]) == Counter({PRIVACY: 2, ACCURACY: 3})


async def test_a_post_published_with_its_findings_kept_shows_in_the_registry(
    harness: ChatHarness,
) -> None:
    await submit(harness, "xiaowang", title="桃花节辟谣", text=DEMO_POST)
    check = await harness.latest_card("xiaowang", title="送审前自检")
    await harness.tap("xiaowang", check, "仍然送审", form={"reason": "引用原视频"})
    for person in ("likz", "zhaofzr", "wangzr"):
        card = await review_card(harness, person)
        await harness.tap(person, card, "通过", chat=GROUP)
    await harness.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/demo1")
    harness.ignore()  # the review notices are tested in tests/review

    said = await harness.say("laozhou", "台账 检查指标")
    text = said[-1].text
    assert "按《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）自评" in text
    assert "临江文旅（微信）：88分" in text, text
    assert "  · 扣分·发布内容（错别字、表述不规范等错敏问题）：6次，扣12分" in text
    assert "：不合格（单项否决）\n  · 单项否决·内容不更新（监测时间点前2周内无更新）" in text
    assert "本系统看不到、未纳入自评的指标：" in text
    assert "账号安全防护" in text


async def test_rectifications_issued_on_an_account_count_against_their_indicators(
    harness: ChatHarness,
) -> None:
    await issue(harness, category="留言未回复", severity="一般", problem="网民留言7天未回复")
    await issue(harness, category="内容差错", severity="严重", problem="推文把“临江区”写成“临江县”")
    harness.ignore()  # the notices themselves are tested in tests/rectification
    said = await harness.say("laozhou", "台账 检查指标")
    text = said[-1].text
    assert (
        "临江文旅（微信）：不合格（单项否决）\n"
        "  · 单项否决·内容不更新（监测时间点前2周内无更新）\n"
        "  · 单项否决·安全、泄密事故等严重问题（严重表述错误等）\n"
        "  · 扣分·互动回应（网民留言未回复）：1次，扣5分\n"
    ) in text
