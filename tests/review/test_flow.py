"""三审三校 on the console: the whole path people take, and every rule tried from the wrong side."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.services import Services
from storage.models.machinery import AuditEntry
from storage.models.org import Account
from storage.models.review import AccountUpdate, Post, PostStatus, ReviewStep, StepStatus
from tests.support.chat import ChatHarness
from tests.support.policy import use_policy
from tests.support.review import GROUP, review_card, submit

TEXT = "第十届临江桃花节今天开幕，活动持续到4月10日。\n欢迎广大市民前来游玩。"


async def test_three_levels_end_to_end(harness: ChatHarness) -> None:
    tapped = await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    assert tapped.toast == "已提交"
    said = "\n".join(r.to_text() for r in tapped.replies)
    assert "送审前自检未发现问题" in said
    assert "等待李科长初审" in said

    # 初审: the card is in the bureau's review group, with 李科长 @-mentioned.
    group = await harness.messages("likz", GROUP)
    assert group[-1].mentions == ["李科长"]
    assert "请初审《桃花节开幕》" in group[-1].text
    card = await review_card(harness, "likz")
    assert card.title == "初审：《桃花节开幕》"
    assert "政治关、法律关、政策关、保密关、文字关" in card.to_text()
    result = await harness.tap("likz", card, "通过", chat=GROUP)
    assert result.toast == "已通过，已转复审"
    assert result.card is not None
    assert "李科长 已通过（10月9日 10:00）" in result.card.status
    assert not result.card.buttons
    # The author's 送审进度 card follows between levels, still with 催办/撤回.
    progress = await harness.latest_card("xiaowang", title="送审进度")
    shown = {f.label: f.value for f in progress.fields}["审核进度"]
    assert shown == "初审：李科长 通过 10月9日 10:00\n复审：待赵副主任审核"
    assert [b.label for b in progress.buttons] == ["催办", "撤回", "审核记录"]

    # 复审: 分管领导 赵副主任 is @-mentioned next.
    group = await harness.messages("zhaofzr", GROUP)
    assert group[-1].mentions == ["赵副主任"]
    assert "初审已由李科长通过" in group[-1].text
    card = await review_card(harness, "zhaofzr")
    assert "初审：李科长 通过 10月9日 10:00" in card.to_text()
    harness.clock.advance(timedelta(minutes=20))
    result = await harness.tap("zhaofzr", card, "通过", chat=GROUP)
    assert result.toast == "已通过，已转终审"

    # 终审 by 主要领导 王主任; then the post is 可发布.
    card = await review_card(harness, "wangzr")
    assert card.title == "终审：《桃花节开幕》"
    result = await harness.tap("wangzr", card, "通过", chat=GROUP)
    assert result.toast == "已通过，稿件可发布"
    post = await Post.get(id=1)
    assert post.status == PostStatus.APPROVED
    approved = await harness.latest_card("xiaowang", title="可发布")
    assert "终审：王主任 通过" in approved.to_text()
    # The author's 送审进度 card followed the review to its end: no 催办/撤回 left.
    progress = await harness.latest_card("xiaowang", title="送审进度")
    assert progress.buttons == ()
    assert progress.status == "终审：王主任 已通过（10月9日 10:20）。全部审核通过，可发布"
    assert "终审：王主任 通过" in progress.to_text()

    # 已发布 with the link records an account update.
    replies = await harness.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/abc")
    assert "已登记发布《桃花节开幕》：临江文旅（微信），链接 https://mp.weixin.qq.com/s/abc" in (
        replies[-1].text
    )
    account = await Account.get(key="ljq-wlw-wechat")
    update = await AccountUpdate.get(account_id=account.id)
    assert update.link == "https://mp.weixin.qq.com/s/abc"
    assert update.post_id == post.id
    # Typed, not tapped: the 可发布 card still closes, showing the link.
    approved = await harness.latest_card("xiaowang", title="可发布")
    assert approved.buttons == ()
    assert approved.status == "已登记发布（10月9日 10:20）：https://mp.weixin.qq.com/s/abc"

    # 审核记录: versions, checks, decisions with who, when, the 关 they vouched for.
    trail = (await harness.say("xiaowang", "审核记录"))[-1].to_text()
    assert "第1版" in trail
    assert "自检：未发现问题" in trail
    assert "初审：李科长 通过 10月9日 10:00，把关：政治关、法律关、政策关、保密关、文字关" in trail
    assert "复审：赵副主任 通过 10月9日 10:20" in trail
    assert "https://mp.weixin.qq.com/s/abc" in trail
    actions = await AuditEntry.filter(subject_type="post").values_list("action", flat=True)
    assert actions.count("review.approved") == 3
    assert "review.submitted" in actions
    assert "review.published" in actions


async def test_check_finds_mobile_and_clerk_fixes_it(harness: ChatHarness) -> None:
    text = "游客张女士说，有问题可以打她电话13812345678。\n欢迎大家来玩。"
    tapped = await submit(harness, "xiaowang", title="桃花节游客说", text=text)
    check = next(r.card for r in tapped.replies if r.card is not None)
    assert check.title == "送审前自检：《桃花节游客说》"
    assert "正文第1行第17字 手机号" in check.body
    assert "138****5678" in check.body
    # Nothing reached the reviewers.
    assert await ReviewStep.all().count() == 0

    edit = await harness.tap("xiaowang", check, "修改")
    assert "不改的项回复“同上”" in "\n".join(r.to_text() for r in edit.replies)
    for answer in (
        "同上",
        "游客张女士说，桃花开得正好。\n欢迎大家来玩。",
        "同上",
        "同上",
        "同上",
        "同上",
    ):
        await harness.say("xiaowang", answer)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    done = await harness.tap("xiaowang", summary, "送审")
    assert "送审前自检未发现问题" in done.replies[0].text
    post = await Post.get(id=1)
    assert (post.status, post.version) == (PostStatus.IN_REVIEW, 1)
    card = await review_card(harness, "likz")
    assert "13812345678" not in card.to_text()


async def test_submit_anyway_reason_is_shown_to_reviewers(harness: ChatHarness) -> None:
    text = "区文旅委咨询电话：023-49888888，欢迎来电咨询桃花节事宜。"
    tapped = await submit(harness, "xiaowang", title="咨询电话", text=text)
    check = next(r.card for r in tapped.replies if r.card is not None)
    empty = await harness.tap("xiaowang", check, "仍然送审", form={"reason": " "})
    # The console card carries the input; an empty reason is asked for again.
    assert await ReviewStep.all().count() == 0
    assert empty.toast == "请在对话中填写仍然送审的理由（审核人可见）"
    done = await harness.tap(
        "xiaowang", check, "仍然送审", form={"reason": "这是单位公开的咨询电话"}
    )
    assert done.toast == "已送审"
    card = await review_card(harness, "likz")
    assert "送审人说明：这是单位公开的咨询电话" in card.to_text()
    assert "座机号码" in card.to_text()


async def test_only_the_current_approver_decides(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    card = await review_card(harness, "likz")
    # Each refusal says why and who decides instead.
    assert (await harness.tap("xiaowang", card, "通过", chat=GROUP)).toast == (
        "送审人不能审核自己的稿件。"
    )
    for intruder in ("zhaofzr", "wangzr", "laozhou"):
        result = await harness.tap(intruder, card, "通过", chat=GROUP)
        assert result.toast == "当前由李科长初审，您的操作未生效。"
    step = await ReviewStep.get(id=1)
    assert step.status == StepStatus.PENDING
    assert await AuditEntry.filter(action="card.denied").count() == 4
    # The next level's approver cannot jump ahead either.
    assert await ReviewStep.all().count() == 1


async def test_author_is_never_an_approver(harness: ChatHarness, services: Services) -> None:
    # 老周 is an editor: under dongguan 初审 is done by 编辑人员 — but never by the author.
    use_policy(services, "dongguan")
    await submit(harness, "laozhou", title="桃花节开幕", text=TEXT)
    step = await ReviewStep.get(id=1)
    assert step.level_name == "初审"
    assert step.approver_id != (await Post.get(id=1)).author_id
    card = await review_card(harness, "xiaowang")
    assert card.mentions[0].name == "小王"
    denied = await harness.tap("laozhou", card, "通过", chat=GROUP)
    assert denied.toast == "送审人不能审核自己的稿件。"


async def test_one_person_may_not_approve_two_levels(harness: ChatHarness) -> None:
    # 河西镇: 杨副镇长 is both 科室负责人 and 分管领导, and nobody else holds either role.
    tapped = await submit(harness, "xiaoyang", title="河西镇通知", text=TEXT)
    said = "\n".join(r.to_text() for r in tapped.replies)
    assert "暂时无法送审" in said
    assert "复审" in said
    assert "同一人不得审核同一稿件的两个层级" in said
    assert await ReviewStep.all().count() == 0
    assert (await Post.get(id=1)).status == PostStatus.DRAFT


async def test_small_unit_may_allow_one_person_two_levels(
    harness: ChatHarness, services: Services
) -> None:
    use_policy(services, "default", allow_same_person=True)
    await submit(harness, "xiaoyang", title="河西镇通知", text=TEXT)
    group = "group:ljq-hxz-review"
    card = await review_card(harness, "yangfzz", group)
    assert (await harness.tap("yangfzz", card, "通过", chat=group)).toast == "已通过，已转复审"
    card = await review_card(harness, "yangfzz", group)
    assert card.title.startswith("复审")
    assert (await harness.tap("yangfzz", card, "通过", chat=group)).toast == "已通过，已转终审"
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("liuzz", "审核卡片在群")


async def test_returned_post_restarts_at_level_one_with_the_change_shown(
    harness: ChatHarness,
) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.tap("likz", await review_card(harness, "likz"), "通过", chat=GROUP)
    card = await review_card(harness, "zhaofzr")
    # 退回修改 needs a comment: without one nothing is decided and it is asked for.
    asked = await harness.tap("zhaofzr", card, "退回修改", chat=GROUP, form={"comment": ""})
    assert asked.toast == "请在对话中填写审核意见（退回、不予发布时必填）"
    await harness.expect("zhaofzr", "您点了「退回修改」，请回复审核意见")
    assert (await ReviewStep.get(id=2)).status == StepStatus.PENDING
    await harness.say("zhaofzr", "取消", chat=GROUP)
    result = await harness.tap(
        "zhaofzr", card, "退回修改", chat=GROUP, form={"comment": "活动结束日期请核实"}
    )
    assert result.toast == "已退回修改"
    returned = await harness.latest_card("xiaowang", title="退回修改")
    assert "活动结束日期请核实" in returned.body
    await harness.tap("xiaowang", returned, "修改后重新送审")
    new_text = "第十届临江桃花节今天开幕，活动持续到4月12日。\n欢迎广大市民前来游玩。"
    for answer in ("同上", new_text, "同上", "同上", "同上", "同上"):
        await harness.say("xiaowang", answer)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    await harness.tap("xiaowang", summary, "送审")
    post = await Post.get(id=1)
    assert (post.version, post.level, post.status) == (2, 0, PostStatus.IN_REVIEW)
    # The 退回修改 card's buttons would now act on version 2: it is closed.
    returned = await harness.latest_card("xiaowang", title="退回修改")
    assert returned.buttons == ()
    assert returned.status == "已修改并重新送审（第2版，10月9日 10:00）"
    card = await review_card(harness, "likz")
    assert card.title == "初审：《桃花节开幕》"
    text = card.to_text()
    assert "修改内容（第1版→第2版）" in text
    assert "－ 第十届临江桃花节今天开幕，活动持续到4月10日。" in text
    assert "＋ 第十届临江桃花节今天开幕，活动持续到4月12日。" in text
    # 李科长 approves the new version: approving version 1 does not count for version 2.
    assert (await harness.tap("likz", card, "通过", chat=GROUP)).toast == "已通过，已转复审"
    trail = (await harness.say("xiaowang", "审核记录 1"))[-1].to_text()
    assert "复审：赵副主任 退回修改" in trail
    assert "意见：活动结束日期请核实" in trail
    assert "第2版" in trail


async def test_publishable_only_after_the_final_level(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.tap("likz", await review_card(harness, "likz"), "通过", chat=GROUP)
    await harness.tap("zhaofzr", await review_card(harness, "zhaofzr"), "通过", chat=GROUP)
    replies = await harness.say("xiaowang", "已发布 1 https://mp.weixin.qq.com/s/early")
    assert "未通过全部审核，不能发布（先审后发）" in replies[-1].text
    assert await AccountUpdate.all().count() == 0
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("wangzr", "审核卡片在群")


async def test_reject_needs_a_reason_and_ends_the_review(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    card = await review_card(harness, "likz")
    result = await harness.tap(
        "likz", card, "不予发布", chat=GROUP, form={"comment": "与本单位职能无关"}
    )
    assert result.toast == "已决定不予发布"
    assert (await Post.get(id=1)).status == PostStatus.REJECTED
    # The verb is a past participle (rows written before say "review.rejectd").
    assert await AuditEntry.filter(action="review.rejected").count() == 1
    dm = await harness.messages("xiaowang")
    assert any("不予发布（李科长）。理由：与本单位职能无关" in m.text for m in dm)


async def test_withdraw_before_final_but_not_after(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    card = await review_card(harness, "likz")
    replies = await harness.say("xiaowang", "撤回")
    assert replies[-1].text == "《桃花节开幕》已撤回。"
    # The reviewer is told 1:1, and a late tap says why it did nothing.
    await harness.expect("likz", "小王已撤回《桃花节开幕》，无需再审核。")
    late = await harness.tap("likz", card, "通过", chat=GROUP)
    assert late.toast == "此事项已处理：送审人小王已撤回（10月9日 10:00），无需审核"
    assert (await ReviewStep.get(id=1)).status == StepStatus.CANCELLED

    await submit(harness, "xiaowang", title="第二篇", text=TEXT)
    for person in ("likz", "zhaofzr", "wangzr"):
        await harness.tap(person, await review_card(harness, person), "通过", chat=GROUP)
    replies = await harness.say("xiaowang", "撤回 2")
    assert "审核已结束，不能撤回" in replies[-1].text
    assert (await Post.get(id=2)).status == PostStatus.APPROVED


async def test_two_taps_at_once_record_one_decision(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    card = await review_card(harness, "likz")
    results = await asyncio.gather(
        harness.tap("likz", card, "通过", chat=GROUP),
        harness.tap("likz", card, "通过", chat=GROUP),
        harness.tap("likz", card, "退回修改", chat=GROUP, form={"comment": "再看看"}),
    )
    toasts = [r.toast for r in results]
    assert sum(t in ("已通过，已转复审", "已退回修改") for t in toasts) == 1, toasts
    decided = await ReviewStep.filter(level=0).exclude(status=StepStatus.PENDING).count()
    assert decided == 1
    assert await AuditEntry.filter(action__in=["review.approved", "review.returned"]).count() == 1
    # The same tap delivered twice (a platform retry) is acknowledged and ignored.
    await submit(harness, "xiaowang", title="第二篇", text=TEXT)
    card = await review_card(harness, "likz")
    first = await harness.tap("likz", card, "通过", chat=GROUP, client_id="tap-once")
    again = await harness.tap("likz", card, "通过", chat=GROUP, client_id="tap-once")
    assert first.toast == "已通过，已转复审"
    assert again.duplicate
    assert await ReviewStep.filter(post_id=2).count() == 2
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("zhaofzr", "审核卡片在群")


async def test_hand_over_to_a_deputy_of_the_same_role(harness: ChatHarness) -> None:
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    await harness.tap("likz", await review_card(harness, "likz"), "通过", chat=GROUP)
    card = await review_card(harness, "zhaofzr")
    offered = await harness.tap("zhaofzr", card, "转交", chat=GROUP)
    assert offered.toast == "请在对话中选择转交对象"
    choose = await harness.latest_card("zhaofzr", title="转交复审")
    assert [b.label for b in choose.buttons] == ["钱副主任"]
    done = await harness.tap("zhaofzr", choose, "钱副主任")
    assert done.toast == "已转交给钱副主任"
    card = await review_card(harness, "qianfzr")
    assert card.mentions[0].name == "钱副主任"
    # 赵副主任 handed it over: his tap no longer counts.
    assert (
        await harness.tap("zhaofzr", card, "通过", chat=GROUP)
    ).toast == "当前由钱副主任复审，您的操作未生效。"
    assert (await ReviewStep.get(id=2)).status == StepStatus.PENDING
    assert (await harness.tap("qianfzr", card, "通过", chat=GROUP)).toast == "已通过，已转终审"
    trail = (await harness.say("xiaowang", "审核记录"))[-1].to_text()
    assert "复审：钱副主任（由赵副主任转交） 通过" in trail
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("wangzr", "审核卡片在群")


async def test_full_text_on_request(harness: ChatHarness) -> None:
    long_text = "桃花节。" * 80
    await submit(harness, "xiaowang", title="长稿", text=long_text)
    card = await review_card(harness, "likz")
    assert card.body.endswith("……")
    result = await harness.tap("likz", card, "查看全文", chat=GROUP)
    assert result.toast == "全文已发到您的对话中"
    dm = await harness.messages("likz")
    assert long_text in dm[-1].text
    assert (await ReviewStep.get(id=1)).status == StepStatus.PENDING


async def test_dongguan_chain_on_the_console(harness: ChatHarness, services: Services) -> None:
    # dongguan 三（一）: 编辑人员初审 → 业务科室负责人复审 → 主要领导或指定分管领导终审.
    use_policy(services, "dongguan")
    await submit(harness, "xiaowang", title="桃花节开幕", text=TEXT)
    expected = [("laozhou", "初审"), ("likz", "复审"), ("wangzr", "终审")]
    for person, level in expected:
        card = await review_card(harness, person)
        assert card.title == f"{level}：《桃花节开幕》"
        assert card.mentions[0].name in ("老周", "李科长", "王主任")
        await harness.tap(person, card, "通过", chat=GROUP)
    post = await Post.get(id=1)
    assert (post.status, post.policy_id) == (PostStatus.APPROVED, "dongguan")
    # dongguan's 终审 vouches for what its article says, not yongchuan's five 关.
    trail = (await harness.say("xiaowang", "审核记录"))[-1].to_text()
    assert "终审：王主任 通过" in trail


async def test_beibei_major_policy_needs_consent_after_final(
    harness: ChatHarness, services: Services
) -> None:
    use_policy(services, "beibei")
    tapped = await submit(harness, "xiaowang", title="重大政策解读", text=TEXT, major="是")
    assert tapped.toast == "已提交"
    post = await Post.get(id=1)
    assert [lv["name"] for lv in post.levels] == ["初审", "复审", "终审", "重大政策报批"]
    assert "舆情" in post.checks
    for person in ("likz", "zhaofzr", "wangzr"):
        await harness.tap(person, await review_card(harness, person), "通过", chat=GROUP)
    # 终审 passed, but the post is not publishable until the consent is recorded.
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    card = await review_card(harness, "wangzr")
    assert card.title == "重大政策报批：《重大政策解读》"
    assert "区委、区政府同意" in card.to_text()
    refused = await harness.tap("wangzr", card, "已获同意", chat=GROUP, form={"comment": ""})
    assert refused.toast == "请在对话中填写同意文件或批示（文号、日期）"
    await harness.expect("wangzr", "您点了「已获同意」，请回复同意文件或批示")
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    await harness.say("wangzr", "取消", chat=GROUP)
    done = await harness.tap(
        "wangzr", card, "已获同意", chat=GROUP, form={"comment": "区委办函〔2026〕12号"}
    )
    assert done.toast == "已通过，稿件可发布"
    assert (await Post.get(id=1)).status == PostStatus.APPROVED


async def test_beibei_ordinary_post_has_three_levels(
    harness: ChatHarness, services: Services
) -> None:
    harness.ignore(GROUP)  # the test walks the chain by the database
    use_policy(services, "beibei")
    await submit(harness, "xiaowang", title="日常动态", text=TEXT, major="否")
    post = await Post.get(id=1)
    assert [lv["name"] for lv in post.levels] == ["初审", "复审", "终审"]
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("likz", "审核卡片在群")
