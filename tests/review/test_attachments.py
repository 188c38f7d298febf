"""Images and attachments with 送审, on the console: sent in the chat during the form's
attachments step, shown to reviewers (card + 查看全文 with download links), kept in the trail."""

from __future__ import annotations

from aiohttp import FormData

from bot.core.outgoing import FileRef
from storage.models.machinery import AuditEntry, StoredFile
from storage.models.review import Post, PostStatus, PostVersion
from tests.support.chat import ChatHarness
from tests.support.review import GROUP, review_card

TEXT = "第十届临江桃花节今天开幕，欢迎广大市民前来游玩。"
PHOTO = b"\xff\xd8\xff\xe0 a photo of peach blossoms"
PLAN = b"%PDF-1.4 the activity plan"


async def start_until_attachments(harness: ChatHarness) -> None:
    for answer in ("送审", "桃花节开幕", TEXT):
        await harness.say("xiaowang", answer)
    asked = await harness.say("xiaowang", "无")  # no link
    assert "请发送图片或附件，发完回复「好了」，没有请回复「无」" in asked[-1].text


async def finish_form(harness: ChatHarness) -> None:
    for answer in ("1", "原创"):
        await harness.say("xiaowang", answer)


async def test_attachments_reach_the_reviewer_and_the_trail(harness: ChatHarness) -> None:
    await start_until_attachments(harness)
    got = await harness.send_file("xiaowang", "现场照片.jpg", PHOTO)
    assert "已收到「现场照片.jpg」（共 1 个）" in got[-1].text
    got = await harness.send_file("xiaowang", "活动方案.pdf", PLAN)
    assert "已收到「活动方案.pdf」（共 2 个）" in got[-1].text
    asked = await harness.say("xiaowang", "好了")
    assert "请选择发布到哪些账号" in asked[-1].text
    await finish_form(harness)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    assert "图片和附件：现场照片.jpg、活动方案.pdf" in summary.to_text()
    assert (await harness.tap("xiaowang", summary, "送审")).toast == "已提交"

    version = await PostVersion.get(post_id=1, number=1)
    names = [FileRef.model_validate(f).name for f in version.attachments]
    assert names == ["现场照片.jpg", "活动方案.pdf"]
    # The kept files now belong to the post.
    rows = await StoredFile.filter(id__in=[f["file_id"] for f in version.attachments])
    assert {(r.subject_type, r.subject_id) for r in rows} == {("post", "1")}

    card = await review_card(harness, "likz")
    assert "附件（2个）：现场照片.jpg、活动方案.pdf（点“查看全文”获取）" in card.to_text()
    shown = await harness.tap("likz", card, "查看全文", chat=GROUP)
    assert shown.toast == "全文已发到您的对话中"
    full = (await harness.messages("likz"))[-1]
    assert TEXT in full.text
    assert "附件（2个）见下" in full.text
    assert [f["name"] for f in full.files] == ["现场照片.jpg", "活动方案.pdf"]
    # The console offers them as download links that give back exactly what was sent.
    for link, body in zip((f["url"] for f in full.files), (PHOTO, PLAN), strict=True):
        resp = await harness.client.get(link)
        assert resp.status == 200
        assert await resp.read() == body

    trail = (await harness.say("xiaowang", "审核记录"))[-1].to_text()
    assert "附件：现场照片.jpg、活动方案.pdf" in trail
    saved = await AuditEntry.filter(action="review.version_saved").get()
    assert [a["name"] for a in saved.detail["attachments"]] == ["现场照片.jpg", "活动方案.pdf"]
    received = await AuditEntry.filter(action="form.file_received").count()
    assert received == 2


async def test_wrong_answers_at_the_attachments_step_get_a_reason(harness: ChatHarness) -> None:
    harness.ignore(GROUP)  # the review card; this test is about the form
    await start_until_attachments(harness)
    said = await harness.say("xiaowang", "好了")
    assert "还没有收到图片或附件" in said[-1].text
    said = await harness.say("xiaowang", "https://mp.weixin.qq.com/s/abc")
    assert "这一步请直接在对话中发送图片或附件" in said[-1].text
    await harness.send_file("xiaowang", "错发的.png", b"\x89PNG wrong one")
    said = await harness.say("xiaowang", "无")
    assert "已收到 1 个附件。要附上它们请回复“好了”，不要请回复“清空”" in said[-1].text
    said = await harness.say("xiaowang", "清空")
    assert "已清空收到的附件" in said[-1].text
    said = await harness.say("xiaowang", "无")
    assert "请选择发布到哪些账号" in said[-1].text
    await finish_form(harness)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    assert "图片和附件：无" in summary.to_text()
    await harness.tap("xiaowang", summary, "送审")
    assert (await PostVersion.get(post_id=1)).attachments == []
    # The reviewer's 1:1 chat says where the card waits (the group).
    await harness.expect("likz", "审核卡片在群")


async def test_a_file_where_none_is_asked_for_gets_a_hint(harness: ChatHarness) -> None:
    # Outside any conversation: a polite hint, nothing kept for anyone.
    said = await harness.send_file("xiaowang", "随手拍.jpg", PHOTO)
    assert "现在没有需要文件的事项，所以没有保存" in said[-1].text
    # In the middle of the form, at a text question: the question stands.
    await harness.say("xiaowang", "送审")
    said = await harness.send_file("xiaowang", "随手拍.jpg", PHOTO)
    assert "这一步不需要文件，请按上面的提示回复文字" in said[-1].text
    said = await harness.say("xiaowang", "桃花节开幕")
    assert "请粘贴稿件正文" in said[-1].text


async def test_a_revised_version_keeps_or_replaces_the_attachments(harness: ChatHarness) -> None:
    await start_until_attachments(harness)
    await harness.send_file("xiaowang", "现场照片.jpg", PHOTO)
    await harness.say("xiaowang", "好了")
    await finish_form(harness)
    await harness.tap(
        "xiaowang", await harness.latest_card("xiaowang", title="请核对送审稿件"), "送审"
    )
    card = await review_card(harness, "likz")
    await harness.tap("likz", card, "退回修改", chat=GROUP, form={"comment": "请换一张照片"})
    returned = await harness.latest_card("xiaowang", title="退回修改")
    await harness.tap("xiaowang", returned, "修改后重新送审")
    for answer in ("同上", "同上", "同上"):  # title, text, link
        await harness.say("xiaowang", answer)
    said = await harness.send_file("xiaowang", "新照片.jpg", b"\xff\xd8 a better photo")
    assert "（共 1 个）" in said[-1].text  # the old one is not counted again
    await harness.say("xiaowang", "好了")
    for answer in ("同上", "同上"):
        await harness.say("xiaowang", answer)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    assert "图片和附件：新照片.jpg" in summary.to_text()
    await harness.tap("xiaowang", summary, "送审")
    post = await Post.get(id=1)
    assert (post.version, post.status) == (2, PostStatus.IN_REVIEW)
    first, second = await PostVersion.filter(post_id=1).order_by("number")
    assert [f["name"] for f in first.attachments] == ["现场照片.jpg"]
    assert [f["name"] for f in second.attachments] == ["新照片.jpg"]
    trail = (await harness.say("xiaowang", "审核记录"))[-1].to_text()
    assert "附件：现场照片.jpg" in trail
    assert "附件：新照片.jpg" in trail


async def test_same_as_before_keeps_the_attachments(harness: ChatHarness) -> None:
    await start_until_attachments(harness)
    await harness.send_file("xiaowang", "现场照片.jpg", PHOTO)
    await harness.say("xiaowang", "好了")
    await finish_form(harness)
    await harness.tap(
        "xiaowang", await harness.latest_card("xiaowang", title="请核对送审稿件"), "送审"
    )
    card = await review_card(harness, "likz")
    await harness.tap("likz", card, "退回修改", chat=GROUP, form={"comment": "标题再短些"})
    returned = await harness.latest_card("xiaowang", title="退回修改")
    asked = await harness.tap("xiaowang", returned, "修改后重新送审")
    assert asked.ok
    await harness.say("xiaowang", "桃花节开幕了")
    said = await harness.say("xiaowang", "同上")  # text
    said = await harness.say("xiaowang", "同上")  # link
    assert "当前登记为：现场照片.jpg" in said[-1].text
    for answer in ("同上", "同上", "同上"):  # attachments, accounts, kind
        await harness.say("xiaowang", answer)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    assert "图片和附件：现场照片.jpg" in summary.to_text()
    await harness.tap("xiaowang", summary, "送审")
    second = await PostVersion.get(post_id=1, number=2)
    assert [f["name"] for f in second.attachments] == ["现场照片.jpg"]


async def test_console_upload_refuses_what_it_cannot_take(harness: ChatHarness) -> None:
    def form(**fields: str | bytes) -> FormData:
        body = FormData(default_to_multipart=True)
        for name, value in fields.items():
            if isinstance(value, bytes):
                body.add_field(name, value, filename="照片.jpg")
            else:
                body.add_field(name, value)
        return body

    client = harness.client
    resp = await client.post("/console/api/files", json={"as": "xiaowang"})
    assert resp.status == 400
    assert "multipart/form-data" in (await resp.json())["error"]
    resp = await client.post(
        "/console/api/files", data=form(**{"as": "xiaowang", "chat": "dm:xiaowang"})
    )
    assert (resp.status, (await resp.json())["error"]) == (400, "没有收到文件，或文件是空的")
    # Someone else's 1:1 chat.
    resp = await client.post(
        "/console/api/files", data=form(**{"as": "xiaowang", "chat": "dm:likz", "file": PHOTO})
    )
    assert (resp.status, (await resp.json())["error"]) == (403, "您不在这个会话中")
    assert await StoredFile.all().count() == 0
    # The same upload sent twice (a retry with the same client_id) is one message to the bot.
    for _ in range(2):
        resp = await client.post(
            "/console/api/files",
            data=form(
                **{"as": "xiaowang", "chat": "dm:xiaowang", "client_id": "c-1", "file": PHOTO}
            ),
        )
        assert resp.status == 200
    await harness.drain()
    hints = [m for m in await harness.messages("xiaowang") if "没有需要文件的事项" in m.text]
    assert len(hints) == 1
