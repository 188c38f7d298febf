"""纠错 in the 送审 path, as the editor and the reviewer see it on the demo district: the
demo post (临江县, a misordered leader title, a congress name with 第, 截止, a title on the wrong
person) is flagged at each place with the standard form; a clean notice goes straight to
review; typo suggestions never stop a post; .docx/.txt attachments are checked like the body."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document

from bot.core.services import Services
from storage.models.review import Post, PostStatus, PostVersion, ReviewStep
from tests.support.chat import ChatHarness
from tests.support.policy import use_policy
from tests.support.review import review_card, submit

ROOT = Path(__file__).resolve().parents[2]
DEMO_POST = (ROOT / "bot/data/demo_post.txt").read_text("utf-8")
DEMO_NOTICE = (ROOT / "bot/data/demo_notice.txt").read_text("utf-8")


def check_card_of(tapped_replies: list) -> str:  # type: ignore[type-arg]
    return next(r.card for r in tapped_replies if r.card is not None).to_text()


async def test_the_demo_post_is_flagged_at_each_place_and_reviewers_see_the_standard_forms(
    harness: ChatHarness,
) -> None:
    tapped = await submit(harness, "xiaowang", title="关于临江县桃花节的辟谣", text=DEMO_POST)
    body = check_card_of(tapped.replies)
    for line in (
        "标题第3字 名称有误：“临江县”应为“临江区”",
        "正文第1行第21字 名称有误：“临江县”应为“临江区”",
        "正文第1行第28字 名称有误：“临江县”应为“临江区”",
        "正文第2行第1字 名称有误：“临江区文化旅游发展委员会”应为“临江区文化和旅游发展委员会”",
        "正文第2行第31字 用字建议：“截止”应为“截至”",
        "正文第3行第4字 表述不规范：“国家主席、中共中央总书记”"
        "应为“中共中央总书记、国家主席、中央军委主席”",
        "正文第3行第50字 表述不规范：“第二十届三中全会”应为“党的二十届三中全会”",
        "正文第4行第1字 名称有误：“宣传科科长小王”应为“宣传科科员小王”",
        "正文第4行第11字 用字建议：“其它”应为“其他”",
        "（依据：本单位组织名单）",
        "（依据：新华社新闻报道规范（党和国家领导人职务排序））",
    ):
        assert line in body, line
    # Names and wording stop the post until it is fixed or submitted anyway (as other findings).
    assert (await Post.get(id=1)).status == PostStatus.DRAFT
    assert await ReviewStep.all().count() == 0
    check = await harness.latest_card("xiaowang", title="送审前自检")
    done = await harness.tap(
        "xiaowang", check, "仍然送审", form={"reason": "引用视频原文，已加引号说明"}
    )
    assert done.toast == "已送审"
    card = (await review_card(harness, "likz")).to_text()
    assert "发现7处问题、2处用字建议" in card
    assert "名称有误：“临江县”→“临江区”" in card
    assert "送审人说明：引用视频原文，已加引号说明" in card
    version = await PostVersion.get(post_id=1, number=1)
    standards = {f["match"]: f["standard"] for f in version.findings}
    assert standards["第二十届三中全会"] == "党的二十届三中全会"


async def test_a_clean_official_notice_goes_straight_to_review(harness: ChatHarness) -> None:
    tapped = await submit(
        harness, "xiaowang", title="关于进一步加强政务新媒体内容审核管理的通知", text=DEMO_NOTICE
    )
    assert "送审前自检未发现问题" in tapped.replies[0].text
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    assert (await PostVersion.get(post_id=1, number=1)).findings == []
    assert "送审前自检：未发现问题" in (await review_card(harness, "likz")).to_text()


async def test_typos_alone_are_suggestions_the_post_goes_to_review(harness: ChatHarness) -> None:
    text = "第十届临江桃花节今天开幕，其它活动安排另行通知。"
    tapped = await submit(harness, "xiaowang", title="桃花节开幕", text=text)
    said = "\n".join(r.text for r in tapped.replies)
    assert "送审前自检有1处用字建议（不影响送审，审核人也会看到）" in said
    assert "正文第1行第14字 用字建议：“其它”应为“其他”" in said
    assert "送审前自检只有用字建议。" in said
    assert (await Post.get(id=1)).status == PostStatus.IN_REVIEW
    card = (await review_card(harness, "likz")).to_text()
    assert "有1处用字建议" in card
    assert "用字建议：“其它”→“其他”" in card


def docx_of(*paragraphs: str) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def test_docx_and_txt_attachments_are_checked_like_the_body(harness: ChatHarness) -> None:
    for answer in ("送审", "桃花节开幕", "第十届临江桃花节今天开幕。", "无"):
        await harness.say("xiaowang", answer)
    await harness.send_file(
        "xiaowang", "活动方案.docx", docx_of("活动方案", "主办单位：临江县文化和旅游发展委员会")
    )
    await harness.send_file("xiaowang", "说明.txt", "联系人：宣传科科长小王".encode("gb18030"))
    await harness.send_file("xiaowang", "现场.jpg", b"\xff\xd8\xff\xe0" + "临江县".encode())
    await harness.send_file("xiaowang", "坏文件.docx", b"not a zip")
    for answer in ("好了", "1", "原创"):
        await harness.say("xiaowang", answer)
    summary = await harness.latest_card("xiaowang", title="请核对送审稿件")
    tapped = await harness.tap("xiaowang", summary, "送审")
    said = "\n".join(r.text for r in tapped.replies)
    assert "附件坏文件.docx无法读取文字，未做自检，请自行核对（图片不做自检）。" in said
    body = check_card_of(tapped.replies)
    assert "附件《活动方案.docx》第2行第6字 名称有误：“临江县”应为“临江区”" in body
    assert "附件《说明.txt》第1行第5字 名称有误：“宣传科科长小王”应为“宣传科科员小王”" in body
    assert "现场.jpg" not in body


async def test_an_office_wording_file_adds_its_rules(
    harness: ChatHarness, services: Services, tmp_path: Path
) -> None:
    rules = tmp_path / "wording.yaml"
    rules.write_text(
        'version: "临江-1"\nrules:\n'
        "  - id: ljq-festival\n    kind: wording\n    find: [临江桃花会]\n"
        "    standard: 临江桃花节\n    source: 区文旅委节庆名称通知\n",
        "utf-8",
    )
    use_policy(services, "yongchuan", wording_file=rules)
    tapped = await submit(harness, "xiaowang", title="桃花会", text="欢迎参加临江桃花会。")
    body = check_card_of(tapped.replies)
    assert "表述不规范：“临江桃花会”应为“临江桃花节”" in body
    assert "（依据：区文旅委节庆名称通知）" in body
