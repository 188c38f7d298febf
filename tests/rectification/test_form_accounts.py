"""The 整改 form names accounts as every flow does (``Account.label``): short buttons, the unit
in the stored answer, and the unit on the buttons only when two accounts share a label."""

from __future__ import annotations

from storage.enums import MediaPlatform
from storage.models.org import Account, Unit
from storage.models.rectification import Rectification
from tests.support.chat import ChatHarness, card_of
from tests.support.rectification import JW_UNIT, WLW_UNIT


async def test_accounts_are_offered_by_their_label(kunming: ChatHarness) -> None:
    kunming.ignore(*WLW_UNIT)  # the notice's copies; this test is about the form
    h = kunming
    question = card_of(await h.say("zhangzr", "整改"), "整改通知")
    labels = [b.label for b in question.buttons]
    assert "临江文旅（微信）" in labels
    assert "临江发布（微博）" in labels
    tapped = await h.tap("zhangzr", question, "临江文旅（微信）")
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "内容差错")
    await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "一般")
    await h.say("zhangzr", "推文标题把“临江”写成“林江”")
    await h.say("zhangzr", "无")  # no evidence
    summary = card_of(await h.say("zhangzr", "无"), "整改通知")  # no screenshots
    # The summary shows the stored answer, which names the owner unit too.
    assert "临江文旅（微信） · 临江区文化和旅游发展委员会" in summary.to_text()
    issued = await h.tap("zhangzr", summary, "下发")
    assert any("已下发" in m.text for m in issued.replies)
    rect = await Rectification.get()
    assert rect.account_label == "临江文旅（微信）"


async def test_two_accounts_with_one_label_keep_their_unit(kunming: ChatHarness) -> None:
    kunming.ignore(*JW_UNIT)  # the notice's copies; the test reads the stored unit
    h = kunming
    education = await Unit.get(key="ljq-jw")
    await Account.create(
        key="ljq-jw-wenlv", name="临江文旅", platform=MediaPlatform.WECHAT, owner_unit=education
    )
    said = await h.say("zhangzr", "整改")
    listed = "\n".join(m.to_text() for m in said)
    assert f"临江文旅（微信） · {education.name}" in listed
    assert "临江文旅（微信） · 临江区文化和旅游发展委员会" in listed
    # Eight accounts and 不涉及具体账号 are more than the console's buttons: a numbered list.
    lines = [line for line in listed.splitlines() if f"临江文旅（微信） · {education.name}" in line]
    number = lines[0].split(".", 1)[0].strip()
    await h.say("zhangzr", number)
    await h.say("zhangzr", "内容差错")
    await h.say("zhangzr", "一般")
    await h.say("zhangzr", "推文标题把“临江”写成“林江”")
    await h.say("zhangzr", "无")  # no evidence
    summary = card_of(await h.say("zhangzr", "无"), "整改通知")  # no screenshots
    issued = await h.tap("zhangzr", summary, "下发")
    assert any("已下发" in m.text for m in issued.replies)
    rect = await Rectification.get()
    assert rect.owner_unit_id == education.id
