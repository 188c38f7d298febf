"""Edges people hit: restarts mid-form, bad links, several posts to publish, who may read the
trail, sensitive words from the deployment, and the update data for frequency thresholds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core.services import Services
from bot.flows.review.records import last_update, updates_since
from bot.handlers import load_all
from storage.models.org import Account
from storage.models.review import AccountUpdate, Post, PostStatus
from tests.support.chat import ChatHarness
from tests.support.policy import use_policy
from tests.support.review import GROUP, review_card, submit

TEXT = "第十届临江桃花节今天开幕，欢迎广大市民前来游玩。"


async def approve_all(harness: ChatHarness) -> None:
    for person in ("likz", "zhaofzr", "wangzr"):
        await harness.tap(person, await review_card(harness, person), "通过", chat=GROUP)


async def test_a_restart_in_the_middle_of_the_form_loses_nothing(
    harness: ChatHarness, services: Services
) -> None:
    harness.ignore(GROUP)  # the review card; this test is about the form
    for answer in ("送审", "桃花节开幕", TEXT, "无"):
        await harness.say("xiaowang", answer)
    await harness.send_file("xiaowang", "现场.jpg", b"\xff\xd8photo")
    # The process restarts: a new app over the same database and Redis.
    app = create_app(services, load_all(), console=True)
    async with TestClient(TestServer(app)) as client:
        again = ChatHarness(client, services)
        replies = await again.say("xiaowang", "好了")
        assert "请选择发布到哪些账号" in replies[-1].text
        for answer in ("1", "原创"):
            await again.say("xiaowang", answer)
        summary = await again.latest_card("xiaowang", title="请核对送审稿件")
        assert "正文：" + TEXT in summary.to_text()
        assert "图片和附件：现场.jpg" in summary.to_text()
        assert (await again.tap("xiaowang", summary, "送审")).toast == "已提交"
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("likz", "审核卡片在群")


async def test_bad_answers_get_a_reason_and_lose_nothing(harness: ChatHarness) -> None:
    for answer in ("送审", "桃花节开幕", TEXT):
        await harness.say("xiaowang", answer)
    replies = await harness.say("xiaowang", "www.example.com")
    assert "链接格式不正确" in replies[-1].text
    replies = await harness.say("xiaowang", "9")
    assert "链接格式不正确" in replies[-1].text  # still on the same question
    replies = await harness.say("xiaowang", "无")
    replies = await harness.say("xiaowang", "无")  # no attachments
    replies = await harness.say("xiaowang", "9")
    assert "“9”不是发布账号的选项" in replies[-1].text


async def test_published_needs_a_link_and_picks_among_several(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="第一篇", text=TEXT)
    await approve_all(harness)
    await submit(harness, "xiaowang", title="第二篇", text=TEXT, accounts="1、3")
    await approve_all(harness)
    replies = await harness.say("xiaowang", "已发布")
    assert "请连同发布链接一起发送" in replies[-1].text
    replies = await harness.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/x")
    assert "您有2篇可发布的稿件" in replies[-1].text
    assert await AccountUpdate.all().count() == 0
    replies = await harness.say("xiaowang", "已发布 2 https://weibo.com/ljwl/2")
    assert replies[-1].text == (
        "已登记发布《第二篇》：临江文旅（微信）、临江文旅（微博），链接 https://weibo.com/ljwl/2"
    )
    assert await AccountUpdate.filter(post_id=2).count() == 2
    again = await harness.say("xiaowang", "已发布 2 https://weibo.com/ljwl/2")
    assert again[-1].text == "这篇稿件已经登记发布了。"
    card = await harness.latest_card("xiaowang", title="可发布：《第一篇》")
    bad = await harness.tap("xiaowang", card, "已发布", form={"link": "mp.weixin"})
    assert bad.toast == "发布链接格式不正确，请填写以 http:// 或 https:// 开头的完整链接。"
    ok = await harness.tap(
        "xiaowang", card, "已发布", form={"link": "https://mp.weixin.qq.com/s/1"}
    )
    assert ok.toast == "已登记发布《第一篇》：临江文旅（微信），链接 https://mp.weixin.qq.com/s/1"


async def test_update_data_for_frequency_thresholds(
    harness: ChatHarness, services: Services
) -> None:
    account = await Account.get(key="ljq-wlw-wechat")
    assert await last_update(account.id) is None
    await submit(harness, "xiaowang", title="第一篇", text=TEXT)
    await approve_all(harness)
    await harness.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/1")
    published_at = await last_update(account.id)
    assert published_at == harness.clock.now()
    week_ago = harness.clock.now() - timedelta(days=7)
    assert await updates_since(account.id, week_ago) == 1
    assert await updates_since(account.id, harness.clock.now() + timedelta(seconds=1)) == 0


async def test_trail_only_for_author_reviewers_and_supervisors(harness: ChatHarness) -> None:
    harness.ignore(GROUP)  # the review card; this test is about 审核记录
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    outsider = await harness.say("xiaoxu", "审核记录 1")
    assert outsider[-1].text == "只有送审人、审核人和主管单位可以查看这篇稿件的审核记录。"
    supervisor = await harness.say("zhangzr", "审核记录 1")
    assert supervisor[-1].card is not None
    assert supervisor[-1].card.title == "审核记录：《桃花节开幕》"
    reviewer = await harness.say("likz", "审核记录")
    assert reviewer[-1].card is not None
    assert reviewer[-1].card.title == "审核记录：《桃花节开幕》"


async def test_sensitive_words_from_the_deployment(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("# 本单位敏感词\n某某事件\n", encoding="utf-8")
    use_policy(services, "default", sensitive_words_file=words)
    tapped = await submit(harness, "xiaowang", title="关于某某事件的说明", text=TEXT)
    check = next(r.card for r in tapped.replies if r.card is not None)
    assert "标题第3字 敏感词" in check.body


async def test_approval_waits_when_the_next_level_has_nobody(harness: ChatHarness) -> None:
    from storage.models.org import Person
    from storage.models.review import ReviewStep, StepStatus

    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    # Both 分管领导 leave after submission.
    await Person.filter(key__in=["zhaofzr", "qianfzr"]).update(active=False)
    card = await review_card(harness, "likz")
    result = await harness.tap("likz", card, "通过", chat=GROUP)
    assert result.toast == "找不到可以担任复审的人员，暂不能通过。请联系管理员补充审核人员。"
    step = await ReviewStep.get(id=1)
    assert step.status == StepStatus.PENDING
    assert (await Post.get(id=1)).level == 0
    # Once someone is there again, the same card works.
    await Person.filter(key="qianfzr").update(active=True)
    again = await harness.tap("likz", card, "通过", chat=GROUP)
    assert again.toast == "已通过，已转复审"
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("qianfzr", "审核卡片在群")


async def test_pending_list_resends_the_cards_that_wait(harness: ChatHarness) -> None:
    nothing = await harness.say("likz", "待审核")
    assert nothing[-1].text == "目前没有等待您审核的稿件。"
    await submit(harness, "xiaowang", title="第一篇", text=TEXT)
    await submit(harness, "xiaowang", title="第二篇", text=TEXT)
    replies = await harness.say("likz", "待审核")
    assert replies[0].text == "有2篇稿件等待您审核："
    cards = [r.card for r in replies if r.card is not None]
    assert [c.title for c in cards] == ["初审：《第一篇》", "初审：《第二篇》"]
    # The re-sent card is the same card: a tap on it decides, and it closes everywhere.
    result = await harness.tap("likz", cards[1], "通过")
    assert result.toast == "已通过，已转复审"
    group_card = [
        m.card
        for m in await harness.messages("likz", GROUP)
        if m.card is not None and m.card.card_id == cards[1].card_id
    ]
    assert group_card[0].buttons == ()
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("zhaofzr", "审核卡片在群")
