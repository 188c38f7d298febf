"""送审 on every platform: the editor submits, the review group sees the card with the
reviewer @-mentioned, three levels pass it, the editor may publish."""

from __future__ import annotations

from storage.models.review import Post, PostStatus
from tests.support.platforms import PlatformChat, Write
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
    await chat.say("xiaowang", "送审")
    await chat.fill("xiaowang", "送审", SUBMIT_FORM)
    summary = await chat.card("xiaowang", "请核对送审稿件")
    assert "临江文旅（微信）" in summary.text
    await chat.tap("xiaowang", summary, "送审")
    await chat.expect("group:wlw-review", "初审")

    for person, level in (("likz", "初审"), ("zhaofzr", "复审"), ("wangzr", "终审")):
        card = await chat.card(person, level)
        assert "桃花节开幕" in card.text
        # The author may not decide a level.
        await chat.tap("xiaowang", card, "通过", {})
        assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
        await chat.tap(person, card, "通过", {})

    assert (await Post.get(id=1)).status == PostStatus.APPROVED
    await chat.expect("xiaowang", "可发布")
