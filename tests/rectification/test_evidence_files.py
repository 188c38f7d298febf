"""The 整改 form's evidence takes screenshots and files, as 送审 does: sent in the chat at the
截图 step, delivered with the notice to the unit's people, and kept in 整改记录."""

from __future__ import annotations

from storage.models.machinery import StoredFile
from storage.models.rectification import Rectification
from tests.support.chat import ChatHarness, button_starting, card_of

SHOT = b"\x89PNG a screenshot of the wrong title"


async def test_a_screenshot_goes_with_the_notice(kunming: ChatHarness) -> None:
    h = kunming
    h.ignore("group:ljq-wlw-duty", "likz", "laozhou")  # the other copies; xiaowang is read
    question = card_of(await h.say("zhangzr", "整改"), "整改通知")
    tapped = await h.tap("zhangzr", question, button_starting(question, "临江文旅（微信）"))
    tapped = await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "内容差错")
    await h.tap("zhangzr", card_of(tapped.replies, "整改通知"), "严重")
    await h.say("zhangzr", "推文标题把“临江”写成“林江”")
    asked = await h.say("zhangzr", "见截图")
    assert "有截图或文件请直接发送" in asked[-1].text
    got = await h.send_file("zhangzr", "标题截图.png", SHOT)
    assert "已收到「标题截图.png」（共 1 个）" in got[-1].text
    summary = card_of(await h.say("zhangzr", "好了"), "整改通知")
    assert "标题截图.png" in summary.to_text()
    await h.tap("zhangzr", summary, "下发")

    rect = await Rectification.get()
    notice = [m for m in await h.new_messages("xiaowang") if m.files or m.card]
    assert [f["name"] for m in notice for f in m.files] == ["标题截图.png"]
    link = next(f["url"] for m in notice for f in m.files)
    resp = await h.client.get(link)
    assert resp.status == 200
    assert await resp.read() == SHOT
    # The file now belongs to the notice.
    stored = await StoredFile.filter(subject_type="rectification").all()
    assert [(s.subject_id, s.name) for s in stored] == [(str(rect.id), "标题截图.png")]
    timeline = "\n".join(m.text for m in await h.say("zhangzr", "整改记录 ZG2026-0001"))
    assert "附截图 标题截图.png" in timeline
