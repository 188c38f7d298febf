"""送审 with a picture and a file on WeCom: image / file callbacks carry a MediaId, the bot
fetches it with media/get when the form takes it, and the reviewer's 查看全文 brings the
files back as WeCom file messages."""

from __future__ import annotations

import asyncio
import uuid

from tortoise.transactions import in_transaction

from bot.core.services import Services
from storage.models.machinery import SystemState
from storage.models.review import PostVersion
from tests.fakes.wecom_callbacks import file_xml, image_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import REVIEW_WECOM_ORG as ORG
from tests.support.orgs import load_org_text
from tests.support.policy import use_policy
from tests.support.review import TEXT
from tests.support.travel import deliver_all
from tests.support.wecom import CORP_ID, Client, last_card, post_xml, talk, tap

PHOTO = b"\xff\xd8\xff\xe0 peach blossoms"
PLAN = b"%PDF-1.4 activity plan"


async def test_pictures_and_files_go_with_the_post_on_wecom(
    wecom: Services, fake_wecom: FakeWeCom, platform: WeComPlatform, bot_client: Client
) -> None:
    use_policy(wecom, "dongguan")
    await load_org_text(ORG, wecom.clock.now())
    fake, client = fake_wecom, bot_client

    def last_text(userid: str) -> str:
        return str(fake.sent(msgtype="text", touser=userid)[-1]["text"]["content"])

    await talk(wecom, client, platform, "XiaoWang", "送审", "桃花节开幕", TEXT, "无")
    assert "请发送图片或附件，发完回复「好了」" in last_text("XiaoWang")
    photo_id = fake.add_media("现场照片.jpg", PHOTO)
    image = image_xml(CORP_ID, "XiaoWang", uuid.uuid4().hex[:12], media_id=photo_id)
    for _ in range(2):  # WeCom's retry of the same message is recognised: kept once
        await post_xml(client, platform, image)
    await deliver_all(wecom)
    assert "已收到「现场照片.jpg」（共 1 个）" in last_text("XiaoWang")
    plan_id = fake.add_media("活动方案.pdf", PLAN)
    await post_xml(client, platform, file_xml(CORP_ID, "XiaoWang", uuid.uuid4().hex[:12], plan_id))
    await deliver_all(wecom)
    assert "已收到「活动方案.pdf」（共 2 个）" in last_text("XiaoWang")
    assert len(fake.calls_to("media/get")) == 2
    # A MediaId WeCom no longer knows (expired after 3 days): a clear reason, nothing kept.
    gone = image_xml(CORP_ID, "XiaoWang", uuid.uuid4().hex[:12], media_id="expired-media")
    await post_xml(client, platform, gone)
    await deliver_all(wecom)
    assert "文件没能从平台取回，请稍后重新发送" in last_text("XiaoWang")

    await talk(wecom, client, platform, "XiaoWang", "好了", "1", "原创")
    summary = last_card(fake, "XiaoWang")
    assert "现场照片.jpg、活动方案.pdf" in str(summary)
    await tap(client, platform, "XiaoWang", summary, "送审")
    await deliver_all(wecom)
    version = await PostVersion.get(post_id=1)
    assert [f["name"] for f in version.attachments] == ["现场照片.jpg", "活动方案.pdf"]

    card = last_card(fake, "LaoZhou")
    assert "附件（2个）" in str(card)
    await tap(client, platform, "LaoZhou", card, "查看全文")
    await deliver_all(wecom)
    files = fake.sent(msgtype="file", touser="LaoZhou")
    assert len(files) == 2
    uploaded = [fake.media[f["file"]["media_id"]] for f in files]
    assert uploaded == [("现场照片.jpg", PHOTO), ("活动方案.pdf", PLAN)]


async def test_the_download_happens_before_the_transaction_opens(
    wecom: Services, fake_wecom: FakeWeCom, platform: WeComPlatform, bot_client: Client
) -> None:
    """A slow media/get must not hold the database: while WeCom is still sending the bytes,
    another transaction (here the test's own) gets through at once. On SQLite one process runs
    one transaction at a time, so a download inside the handler's transaction would block it."""
    use_policy(wecom, "dongguan")
    await load_org_text(ORG, wecom.clock.now())
    await talk(wecom, bot_client, platform, "XiaoWang", "送审", "桃花节开幕", TEXT, "无")
    gate = fake_wecom.hold_media_downloads()
    photo_id = fake_wecom.add_media("现场照片.jpg", PHOTO)
    image = image_xml(CORP_ID, "XiaoWang", uuid.uuid4().hex[:12], media_id=photo_id)
    await post_xml(bot_client, platform, image)
    await asyncio.wait_for(fake_wecom.media_started.wait(), timeout=10)
    async with asyncio.timeout(3):
        async with in_transaction() as conn:
            await SystemState.create(
                key="probe", value=1, updated_at=wecom.clock.now(), using_db=conn
            )
    gate.set()
    await deliver_all(wecom)
    texts = [m["text"]["content"] for m in fake_wecom.sent(msgtype="text", touser="XiaoWang")]
    assert "已收到「现场照片.jpg」（共 1 个）" in texts[-1]
