"""三审三校 on WeCom (dongguan preset: 编辑人员 → 业务科室负责人 → 主要领导).

Signed, encrypted callbacks into the bot's /wecom/callback; the WeCom API is the fake on
loopback. The group gets a robot post with the @-mention, the approver the card 1:1; a return
comment is asked for in the chat, since template cards carry no text inputs.
"""

from __future__ import annotations

from typing import Any

from bot.core.services import Services
from storage.models.machinery import AuditEntry
from storage.models.review import AccountUpdate, Post, PostStatus, ReviewStep
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import REVIEW_WECOM_ORG as ORG
from tests.support.orgs import ROBOT_KEY, load_org_text
from tests.support.policy import use_policy
from tests.support.review import TEXT
from tests.support.travel import deliver_all
from tests.support.wecom import Client, last_card, say, talk, tap


def card_text(card: dict[str, Any]) -> str:
    return str(card)


async def test_three_levels_on_wecom_with_return_in_the_chat(
    wecom: Services, fake_wecom: FakeWeCom, platform: WeComPlatform, bot_client: Client
) -> None:
    use_policy(wecom, "dongguan")
    await load_org_text(ORG, wecom.clock.now())
    fake, client = fake_wecom, bot_client

    await talk(
        wecom, client, platform, "XiaoWang", "送审", "桃花节开幕", TEXT, "无", "无", "1", "原创"
    )
    summary = last_card(fake, "XiaoWang")
    assert summary["main_title"]["title"] == "请核对送审稿件"
    await tap(client, platform, "XiaoWang", summary, "送审")
    await deliver_all(wecom)

    # 初审 by another 编辑 (never the author): robot @ in the group, the card 1:1.
    post = fake.robot_posts(ROBOT_KEY)[-1]
    assert "LaoZhou" in str(post)
    assert "初审" in str(post)
    card = last_card(fake, "LaoZhou")
    assert card["main_title"]["title"] == "初审：《桃花节开幕》"
    assert [b["text"] for b in card["button_list"]] == [
        "通过",
        "退回修改",
        "不予发布",
        "转交",
        "查看全文",
    ]
    # 小王 cannot tap through someone else's card.
    await tap(client, platform, "XiaoWang", card, "通过")
    await deliver_all(wecom)
    assert await AuditEntry.filter(action="card.denied").count() == 1
    await tap(client, platform, "LaoZhou", card, "通过")
    await deliver_all(wecom)
    updated = fake.cards[("LaoZhou", card["task_id"])]
    assert "老周 已通过" in card_text(updated)

    # 复审 by 业务科室负责人 李科长: 退回修改, the comment asked for in the chat.
    assert "LiKZ" in str(fake.robot_posts(ROBOT_KEY)[-1])
    card = last_card(fake, "LiKZ")
    await tap(client, platform, "LiKZ", card, "退回修改")
    await deliver_all(wecom)
    prompt = fake.sent(touser="LiKZ")[-1]
    assert "请回复审核意见" in str(prompt)
    assert (await ReviewStep.get(id=2)).decided_at is None
    await talk(wecom, client, platform, "LiKZ", "活动日期请核实")
    assert (await Post.get(id=1)).status == PostStatus.RETURNED

    returned = last_card(fake, "XiaoWang", "退回修改")
    assert "活动日期请核实" in card_text(returned)
    await tap(client, platform, "XiaoWang", returned, "修改后重新送审")
    await deliver_all(wecom)
    await talk(
        wecom,
        client,
        platform,
        "XiaoWang",
        "同上",
        TEXT.replace("4月10日", "4月12日"),
        "同上",
        "同上",
        "同上",
        "同上",
    )
    await tap(client, platform, "XiaoWang", last_card(fake, "XiaoWang"), "送审")
    await deliver_all(wecom)

    # Version 2 restarts at 初审, the change shown.
    card = last_card(fake, "LaoZhou")
    assert "修改内容（第1版→第2版）" in card_text(card)
    assert "4月12日" in card_text(card)
    for userid in ("LaoZhou", "LiKZ", "WangZR"):
        await tap(client, platform, userid, last_card(fake, userid), "通过")
        await deliver_all(wecom)
    post_row = await Post.get(id=1)
    assert (post_row.status, post_row.version, post_row.policy_id) == (
        PostStatus.APPROVED,
        2,
        "dongguan",
    )
    await talk(wecom, client, platform, "XiaoWang", "已发布 https://mp.weixin.qq.com/s/wecom")
    assert await AccountUpdate.filter(post_id=1).count() == 1
    done = fake.sent(touser="XiaoWang")[-1]
    assert "已登记发布" in str(done)


async def test_yongchuan_chain_on_wecom(
    wecom: Services, fake_wecom: FakeWeCom, platform: WeComPlatform, bot_client: Client
) -> None:
    # yongchuan 第十四条: 科室负责人 → 分管领导 → 主要领导 (a different chain from dongguan's).
    use_policy(wecom, "yongchuan")
    await load_org_text(ORG, wecom.clock.now())
    fake, client = fake_wecom, bot_client
    for text in ("送审", "桃花节开幕", TEXT, "无", "无", "1", "原创"):
        await say(client, platform, "XiaoWang", text)
        await deliver_all(wecom)
    await tap(client, platform, "XiaoWang", last_card(fake, "XiaoWang"), "送审")
    await deliver_all(wecom)
    for userid, level in (("LiKZ", "初审"), ("ZhaoFZR", "复审"), ("WangZR", "终审")):
        assert userid in str(fake.robot_posts(ROBOT_KEY)[-1])
        card = last_card(fake, userid)
        assert card["main_title"]["title"] == f"{level}：《桃花节开幕》"
        await tap(client, platform, userid, card, "通过")
        await deliver_all(wecom)
    assert fake.sent(msgtype="template_card", touser="LaoZhou") == []
    assert (await Post.get(id=1)).status == PostStatus.APPROVED
    assert "可发布" in str(last_card(fake, "XiaoWang", "可发布"))
