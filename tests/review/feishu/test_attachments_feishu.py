"""送审 with a picture and a file on Feishu: the form card cannot take files, so the bot asks
for them in the chat after 下一步; image / file messages are fetched with the message-resource
API, and the reviewer's 查看全文 sends them back as file messages."""

from __future__ import annotations

from bot.core.services import Services
from storage.models.review import PostVersion
from tests.fakes.feishu_server import FakeFeishu
from tests.support.feishu import group_cards, submit_on_feishu
from tests.support.orgs import REVIEW_FEISHU_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.policy import use_policy
from tests.support.review import TEXT
from tests.support.travel import deliver_all

PHOTO = b"\xff\xd8\xff\xe0 peach blossoms"
PLAN = b"%PDF-1.4 activity plan"


async def test_pictures_and_files_go_with_the_post_on_feishu(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    use_policy(feishu, "yongchuan")
    await load_org_text(ORG, feishu.clock.now())
    fake, url = fake_feishu, events_url
    files = (("image", "", PHOTO), ("file", "活动方案.pdf", PLAN))
    await submit_on_feishu(feishu, fake, url, TEXT, files=files)
    resources = [c for c in fake.calls if "/resources/" in c.path and c.status == 200]
    assert [c.query["type"] for c in resources] == ["image", "file"]

    version = await PostVersion.get(post_id=1)
    names = [f["name"] for f in version.attachments]
    # Feishu gives an image no name: it is named by when it arrived.
    assert names[0].startswith("图片")
    assert names[0].endswith(".jpg")
    assert names[1] == "活动方案.pdf"

    [first] = group_cards(fake)
    assert "附件（2个）" in fake.messages[first].text
    answer = await fake.tap(url, first, "查看全文", operator_open_id="ou_likz", form={})
    assert answer["toast"]["content"] == "全文已发到您的对话中"
    await deliver_all(feishu)
    sent = fake.sent("file", "ou_likz")
    assert len(sent) == 2
    uploaded = [fake.uploads[m.text.removeprefix("[文件] ")] for m in sent]
    assert [(name, data) for name, _, data in uploaded] == [(names[0], PHOTO), (names[1], PLAN)]


async def test_a_file_at_a_question_that_wants_text_is_not_taken(
    feishu: Services, fake_feishu: FakeFeishu, events_url: str
) -> None:
    await load_org_text(ORG, feishu.clock.now())
    fake, url = fake_feishu, events_url
    event = fake.file_message_event(
        sender_open_id="ou_xiaowang", kind="file", name="随手.pdf", data=PLAN
    )
    assert (await fake.post_to_bot(url, event))[0] == 200
    await deliver_all(feishu)
    assert "现在没有需要文件的事项" in fake.sent("text", "ou_xiaowang")[-1].text
    assert not [c for c in fake.calls if "/resources/" in c.path]
