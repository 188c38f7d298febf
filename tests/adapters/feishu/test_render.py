"""Card JSON 2.0 rendering: golden files, Feishu's structural rules, the 30 KB limit, and taps
that come back as exactly the neutral action they were rendered from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.adapters.feishu import payloads
from bot.adapters.feishu.render import (
    MAX_CARD_BYTES,
    TRUNCATED,
    card_content,
    render_card,
    text_content,
)
from bot.cards.model import (
    Button,
    ButtonStyle,
    Card,
    CardField,
    FormInput,
    InputKind,
    Mention,
    Option,
    Tone,
)
from bot.core.outgoing import Message
from tests.fakes.feishu_server import FakeFeishu, buttons_of, validate_card

GOLDEN = Path(__file__).parent / "golden"
# Set DUTYBOT_UPDATE_GOLDEN=1 to rewrite the files after an intended change (then review the diff).
UPDATE = os.environ.get("DUTYBOT_UPDATE_GOLDEN") == "1"
AT_IDS = {1: "ou_likz", 2: "u_zhaofzr"}  # person 3 (孙科长) has no Feishu id

HELP = Card(
    card_id="c1" * 16,
    title="小王，我能帮您做什么",
    body="您是「区文旅委宣传科」的编辑。\n可以直接发送下面的词语，或点按钮开始：",
    fields=(CardField(label="帮助", value="查看您可以办理的事项"),
            CardField(label="我的信息", value="查看您的单位、角色和所在群")),
    buttons=(Button(label="我的信息", action="help.run", payload={"command": "我的信息"},
                    style=ButtonStyle.PRIMARY),
             Button(label="送审", action="help.run", payload={"command": "送审"})),
)  # fmt: skip

REVIEW = Card(
    card_id="c2" * 16,
    title="请初审《临江文旅》十月推文",
    subtitle="三审三校 · 初审",
    tone=Tone.ORANGE,
    body="小王 提交了稿件，请在 2 小时内完成初审。<at id=all></at> 不应被当作标签。",
    fields=(CardField(label="账号", value="临江文旅（微信）"),
            CardField(label="截止", value="2026-10-09 12:00（依据第十二条）")),
    mentions=(Mention(person_id=1, name="李科长"), Mention(person_id=2, name="赵副主任"),
              Mention(person_id=3, name="孙科长")),
    inputs=(FormInput(name="reason", label="退回理由", kind=InputKind.TEXTAREA, required=True),
            FormInput(name="severity", label="问题程度", kind=InputKind.SELECT,
                      options=(Option(value="minor", label="一般"),
                               Option(value="serious", label="严重")),
                      default="minor"),
            FormInput(name="fix_by", label="整改期限", kind=InputKind.DATE,
                      default="2026-10-12"),
            FormInput(name="meet_at", label="约谈时间", kind=InputKind.DATETIME),
            FormInput(name="note", label="备注", placeholder="可不填")),
    buttons=(Button(label="通过", action="review.approve", payload={"step": "12"},
                    style=ButtonStyle.PRIMARY),
             Button(label="退回修改", action="review.return", payload={"step": "12"},
                    style=ButtonStyle.DANGER, needs=("reason",)),
             Button(label="约谈", action="review.meet", payload={"step": "12"},
                    needs=("meet_at", "reason"))),
    status="待李科长初审",
)  # fmt: skip

# The form engine's single form card: no button names inputs, so the button submits them all.
FORM = Card(
    card_id="c3" * 16,
    title="变更备案",
    body="请填写后点“下一步”核对。",
    inputs=(FormInput(name="name", label="新媒体名称", required=True, default="临江文旅"),
            FormInput(name="platform", label="所属平台", kind=InputKind.SELECT, required=True,
                      options=(Option(value="wechat", label="微信"),
                               Option(value="weibo", label="微博")))),
    buttons=(Button(label="下一步", action="form.card_submit", payload={"form": "filing.change"},
                    style=ButtonStyle.PRIMARY),),
)  # fmt: skip

CASES = {
    "help": HELP,
    "review": REVIEW,
    "review_closed": REVIEW.closed("李科长已通过", Tone.GREEN),
    "form": FORM,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_card_matches_golden_file(name: str) -> None:
    rendered = render_card(CASES[name], AT_IDS)
    path = GOLDEN / f"{name}.json"
    text = json.dumps(rendered, ensure_ascii=False, indent=2) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == rendered, (
        f"{path.name} differs; if intended, rerun with DUTYBOT_UPDATE_GOLDEN=1 and review"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_card_follows_feishu_json_2_rules(name: str) -> None:
    content = card_content(CASES[name], AT_IDS)
    assert len(content.encode()) <= MAX_CARD_BYTES
    validate_card(json.loads(content))


def test_mentions_and_user_text() -> None:
    rendered = render_card(REVIEW, AT_IDS)
    elements = rendered["body"]["elements"]
    assert elements[0] == {
        "tag": "markdown",
        "content": "<at id=ou_likz></at> <at id=u_zhaofzr></at> @孙科长",
    }
    # What people wrote is plain text: an "<at id=all>" in a body must not notify anyone.
    assert elements[1]["text"]["tag"] == "plain_text"
    assert "<at id=all>" in elements[1]["text"]["content"]


def test_form_holds_inputs_and_the_buttons_that_need_them() -> None:
    rendered = render_card(REVIEW, AT_IDS)
    form = next(e for e in rendered["body"]["elements"] if e["tag"] == "form")
    in_form = [b["text"]["content"] for b in buttons_of({"body": {"elements": [form]}})]
    assert in_form == ["退回修改", "约谈"]
    reason = next(e for e in form["elements"] if e.get("name") == "reason")
    # 约谈 and 退回修改 both need a reason: the client may enforce it.
    assert reason["required"] is True
    everything = [b["text"]["content"] for b in buttons_of(rendered)]
    assert everything == ["退回修改", "约谈", "通过"]


def test_form_card_without_named_needs_keeps_required_fields() -> None:
    rendered = render_card(FORM, {})
    form = next(e for e in rendered["body"]["elements"] if e["tag"] == "form")
    name = next(e for e in form["elements"] if e.get("name") == "name")
    assert name["required"] is True
    assert name["default_value"] == "临江文旅"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_button_taps_back_to_its_neutral_action(name: str) -> None:
    card = CASES[name]
    fake = FakeFeishu()
    rendered = render_card(card, AT_IDS)
    for element in buttons_of(rendered):
        value = element["behaviors"][0]["value"]
        form = (
            {"reason": "标题有错别字", "fix_by": "2026-10-12 +0800"}
            if element.get("form_action_type")
            else None
        )
        tap = payloads.parse(
            fake.card_action_event(
                operator_open_id="ou_likz",
                value=value,
                message_id="om_1",
                chat_id="oc_1",
                form_value=form,
                button_name=element.get("name", ""),
            )
        )
        assert isinstance(tap, payloads.CardTap)
        button = next(b for b in card.buttons if b.label == element["text"]["content"])
        assert tap.card_id == card.card_id
        assert (tap.action, tap.payload) == (button.action, button.payload)
        if form:
            # Date pickers answer with their UTC offset; the bot wants the date.
            assert tap.form == {"reason": "标题有错别字", "fix_by": "2026-10-12"}


def test_oversized_card_is_cut_to_30_kb() -> None:
    huge = HELP.model_copy(
        update={
            "body": "很长的正文。" * 4000,
            "fields": tuple(CardField(label=f"第{i}项", value="内容" * 300) for i in range(40)),
        }
    )
    content = card_content(huge, {})
    assert len(content.encode()) <= MAX_CARD_BYTES
    card = json.loads(content)
    validate_card(card)
    assert TRUNCATED in content
    # The buttons survive: the card can still be acted on.
    assert [b["text"]["content"] for b in buttons_of(card)] == ["我的信息", "送审"]


def test_text_message_mentions() -> None:
    message = Message(
        text="请初审《临江文旅》十月推文，请在飞书应用消息中处理",
        mentions=(Mention(person_id=1, name="李科长"), Mention(person_id=3, name="孙科长")),
    )
    assert json.loads(text_content(message, AT_IDS)) == {
        "text": '<at user_id="ou_likz">李科长</at> @孙科长 '
        "请初审《临江文旅》十月推文，请在飞书应用消息中处理"
    }
