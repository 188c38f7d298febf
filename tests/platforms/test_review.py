"""送审 on every platform: the editor submits, the review group sees the card with the
reviewer @-mentioned, three levels pass it, the editor may publish."""

from __future__ import annotations

import pytest

from storage.models.review import AccountUpdate, Post, PostStatus, PostVersion, ReviewStep
from tests.support.platforms import Answer, Files, PlatformChat, Write
from tests.support.review import TEXT

SUBMIT_FORM = [
    Write("title", "桃花节开幕"),
    Write("text", TEXT),
    Write("link", "无", feishu=""),
    Write("attachments", "无", after_card=True),  # files: asked in the chat on Feishu
    Write("accounts", "1"),
    Write("kind", "原创"),
]


async def test_three_levels_to_publishable(chat: PlatformChat) -> None:
    await three_levels_to_publishable(chat)


@pytest.mark.slow
async def test_three_levels_through_serve_and_worker(live_chat: PlatformChat) -> None:
    await three_levels_to_publishable(live_chat)


async def three_levels_to_publishable(chat: PlatformChat) -> None:
    await chat.say("xiaowang", "送审")
    await chat.fill("xiaowang", "送审", SUBMIT_FORM)
    summary = await chat.card("xiaowang", "请核对送审稿件", button="送审")
    assert "临江文旅（微信）" in summary.text
    await chat.tap("xiaowang", summary, "送审")
    await chat.expect("group:wlw-review", "初审")

    for person, level in (("likz", "初审"), ("zhaofzr", "复审"), ("wangzr", "终审")):
        card = await chat.card(person, level, button="通过")
        assert "桃花节开幕" in card.text
        # The author may not decide a level.
        await chat.tap("xiaowang", card, "通过", {})
        assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
        await chat.tap(person, card, "通过", {})
        if level == "初审":
            # The author's 送审进度 card follows between levels where that is free; on WeCom
            # it waits for the end (one update code per sent card, kept for the closing).
            progress = await chat.card("xiaowang", "送审进度")
            waiting = "初审：待李科长审核" if chat.name == "wecom" else "复审：待赵副主任审核"
            assert waiting in progress.text
            assert "催办" in progress.buttons

    assert (await Post.get(id=1)).status == PostStatus.APPROVED
    await chat.expect("xiaowang", "可发布")
    progress = await chat.card("xiaowang", "送审进度")
    assert "终审：王主任 通过" in progress.text
    assert "催办" not in progress.buttons
    # Closed in place: no second copy of the card, no "之前发给您的卡片有更新" message.
    assert "之前发给您的卡片有更新" not in await chat.texts("xiaowang")
    assert len([g for g in await chat.received("xiaowang") if "送审进度" in g.title]) == 1


def resubmit_form(text: str) -> list[Answer]:
    """The returned post's form again, prefilled: only the text changes."""
    return [
        Write("title", "同上", feishu="桃花节开幕"),
        Write("text", text),
        Write("link", "同上", feishu=""),
        Write("attachments", "同上", after_card=True),
        Write("accounts", "同上", feishu="1"),
        Write("kind", "同上", feishu="原创"),
    ]


async def test_returned_with_a_comment_restarts_at_the_first_level(chat: PlatformChat) -> None:
    await chat.say("xiaowang", "送审")
    await chat.fill("xiaowang", "送审", SUBMIT_FORM)
    await chat.tap("xiaowang", await chat.card("xiaowang", "请核对送审稿件", button="送审"), "送审")
    await chat.tap("likz", await chat.card("likz", "初审", button="通过"), "通过", {})

    # 退回修改 needs a comment.
    await chat.decide(
        "zhaofzr",
        await chat.card("zhaofzr", "复审", button="退回修改"),
        "退回修改",
        "comment",
        "活动日期请核实",
    )
    assert (await Post.get(id=1)).status == PostStatus.RETURNED
    returned = await chat.card("xiaowang", "退回修改", button="修改后重新送审")
    assert "活动日期请核实" in returned.text

    # Version 2 starts again at 初审, the change shown.
    await chat.tap("xiaowang", returned, "修改后重新送审")
    await chat.fill("xiaowang", "送审", resubmit_form(TEXT.replace("4月10日", "4月12日")))
    await chat.tap("xiaowang", await chat.card("xiaowang", "请核对送审稿件", button="送审"), "送审")
    first = await chat.card("likz", "初审", button="通过")
    assert "修改内容（第1版→第2版）" in first.text
    assert "4月12日" in first.text
    for person, level in (("likz", "初审"), ("zhaofzr", "复审"), ("wangzr", "终审")):
        await chat.tap(person, await chat.card(person, level, button="通过"), "通过", {})
    post = await Post.get(id=1)
    assert (post.status, post.version) == (PostStatus.APPROVED, 2)
    assert await ReviewStep.filter(post_id=1).count() == 5

    # 已发布 with the link records the account update.
    await chat.say("xiaowang", "已发布 https://mp.weixin.qq.com/s/abc")
    await chat.expect("xiaowang", "已登记发布")
    assert (await Post.get(id=1)).status == PostStatus.PUBLISHED
    assert await AccountUpdate.filter(post_id=1).count() == 1
    chat.ignore("group:wlw-review")  # the group's copies; the first scenario reads them


PHOTO = b"\xff\xd8\xff\xe0 a photo of peach blossoms"
PLAN = b"%PDF-1.4 the activity plan"


async def test_attachments_go_with_the_post_to_the_reviewer(chat: PlatformChat) -> None:
    files = Files("attachments", [("现场照片.jpg", PHOTO), ("活动方案.pdf", PLAN)])
    form = [files if a.key == "attachments" else a for a in SUBMIT_FORM]
    await chat.say("xiaowang", "送审")
    await chat.fill("xiaowang", "送审", form)
    summary = await chat.card("xiaowang", "请核对送审稿件", button="送审")
    assert "现场照片.jpg、活动方案.pdf" in summary.text
    await chat.tap("xiaowang", summary, "送审")
    version = await PostVersion.get(post_id=1)
    assert [f["name"] for f in version.attachments] == ["现场照片.jpg", "活动方案.pdf"]

    card = await chat.card("likz", "初审", button="查看全文")
    assert "附件（2个）" in card.text
    await chat.tap("likz", card, "查看全文", {})
    await chat.expect("likz", "[文件] 现场照片.jpg", "[文件] 活动方案.pdf")
    chat.ignore("group:wlw-review")
