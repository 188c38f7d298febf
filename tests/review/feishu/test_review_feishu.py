"""三审三校 on Feishu (yongchuan preset): form card, group cards with <at>, taps answered inline.

Driven through the bot's real /feishu/events endpoint with signed callbacks; only the Feishu
API is faked (tests/fakes/feishu_server.py).
"""

from __future__ import annotations

from bot.core.services import Services
from storage.models.review import Post, PostStatus, ReviewStep
from tests.fakes.feishu_server import FakeFeishu
from tests.support.feishu import group_cards, say_as_xiaowang, submit_on_feishu
from tests.support.orgs import REVIEW_FEISHU_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.policy import use_policy
from tests.support.review import TEXT
from tests.support.travel import deliver_all


async def test_three_levels_on_feishu_with_return_and_resubmit(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    use_policy(feishu, "yongchuan")
    await load_org_text(ORG, feishu.clock.now())
    fake, url = fake_feishu, events_url
    await submit_on_feishu(feishu, fake, url, TEXT)

    # The card is posted in the review group with <at> 李科长; no 1:1 copy on Feishu.
    [first] = group_cards(fake)
    card = fake.messages[first]
    assert "初审：《桃花节开幕》" in card.text
    assert "ou_likz" in card.content
    assert fake.sent("interactive", "ou_likz") == []

    # 小王 (the author) taps 通过: refused with a toast.
    denied = await fake.tap(url, first, "通过", operator_open_id="ou_xiaowang", form={})
    assert denied["toast"]["content"] == "这张卡片需要由指定的人处理，您的操作未生效。"

    answer = await fake.tap(url, first, "通过", operator_open_id="ou_likz", form={})
    assert answer["toast"]["content"] == "已通过，已转复审"
    assert "李科长 已通过" in fake.messages[first].text
    await deliver_all(feishu)

    # 复审: 赵副主任 returns it with a comment, in the card's form.
    second = group_cards(fake)[-1]
    assert "ou_zhaofzr" in fake.messages[second].content
    answer = await fake.tap(
        url, second, "退回修改", operator_open_id="ou_zhaofzr", form={"comment": "日期请核实"}
    )
    assert answer["toast"]["content"] == "已退回修改"
    await deliver_all(feishu)
    returned = fake.sent("interactive", "ou_xiaowang")[-1]
    assert "日期请核实" in returned.text

    # 小王 revises: a new version, back to 初审, the change shown to 李科长.
    await fake.tap(url, returned.message_id, "修改后重新送审", operator_open_id="ou_xiaowang")
    await deliver_all(feishu)
    form_card = fake.sent("interactive", "ou_xiaowang")[-1]
    new_text = TEXT.replace("4月10日", "4月12日")
    form = {"title": "桃花节开幕", "text": new_text, "link": "", "accounts": "1", "kind": "原创"}
    await fake.tap(url, form_card.message_id, "下一步", operator_open_id="ou_xiaowang", form=form)
    await deliver_all(feishu)
    await say_as_xiaowang(feishu, fake, url, "同上")  # the attachments: still none
    summary = fake.sent("interactive", "ou_xiaowang")[-1]
    await fake.tap(url, summary.message_id, "送审", operator_open_id="ou_xiaowang")
    await deliver_all(feishu)
    third = group_cards(fake)[-1]
    assert "初审：《桃花节开幕》" in fake.messages[third].text
    assert "修改内容（第1版→第2版）" in fake.messages[third].text
    assert "＋ 第十届临江桃花节今天开幕，活动持续到4月12日。" in fake.messages[third].text

    for message_id, person, toast in (
        (third, "ou_likz", "已通过，已转复审"),
        (None, "ou_zhaofzr", "已通过，已转终审"),
        (None, "ou_wangzr", "已通过，稿件可发布"),
    ):
        target = message_id or group_cards(fake)[-1]
        answer = await fake.tap(url, target, "通过", operator_open_id=person, form={})
        assert answer["toast"]["content"] == toast
        await deliver_all(feishu)
    post = await Post.get(id=1)
    assert (post.status, post.version) == (PostStatus.APPROVED, 2)
    assert await ReviewStep.filter(post_id=1).count() == 5
    approved = fake.sent("interactive", "ou_xiaowang")[-1]
    assert "可发布" in approved.text
    answer = await fake.tap(
        url,
        approved.message_id,
        "已发布",
        operator_open_id="ou_xiaowang",
        form={"link": "https://mp.weixin.qq.com/s/feishu"},
    )
    assert answer["toast"]["content"].startswith("已登记发布")
    assert (await Post.get(id=1)).status == PostStatus.PUBLISHED


async def test_dongguan_chain_on_feishu(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    # dongguan 三（一）: 编辑人员 → 业务科室负责人 → 主要领导或指定分管领导.
    use_policy(feishu, "dongguan")
    await load_org_text(ORG, feishu.clock.now())
    fake, url = fake_feishu, events_url
    await submit_on_feishu(feishu, fake, url, TEXT)
    for person, level, toast in (
        ("ou_laozhou", "初审", "已通过，已转复审"),
        ("ou_likz", "复审", "已通过，已转终审"),
        ("ou_wangzr", "终审", "已通过，稿件可发布"),
    ):
        message_id = group_cards(fake)[-1]
        assert f"{level}：《桃花节开幕》" in fake.messages[message_id].text
        assert person in fake.messages[message_id].content
        answer = await fake.tap(url, message_id, "通过", operator_open_id=person, form={})
        assert answer["toast"]["content"] == toast
        await deliver_all(feishu)
    post = await Post.get(id=1)
    assert (post.status, post.policy_id) == (PostStatus.APPROVED, "dongguan")
