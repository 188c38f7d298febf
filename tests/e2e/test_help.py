"""帮助 answers with what this person can do, given their roles."""

from __future__ import annotations

from tests.support.chat import ChatHarness


async def test_clerk_help_names_their_roles_and_duties(harness: ChatHarness) -> None:
    replies = await harness.say("laozhou", "帮助")
    assert len(replies) == 1
    text = replies[0].to_text()
    assert "老周" in text
    assert "区文旅委宣传科" in text
    assert "备案经办人" in text
    assert "编辑" in text
    assert "开设、变更、关停、注销" in text
    # Someone else's duties are not listed.
    assert "读网值班" not in text


async def test_the_work_people_start_gets_the_buttons(harness: ChatHarness) -> None:
    # 老周 is a clerk and an editor: more commands than six buttons hold. 备案 and 送审, the
    # work he starts from the app menu, must be buttons; every command is still listed.
    card = (await harness.say("laozhou", "帮助"))[0].card
    assert card is not None
    labels = [b.label for b in card.buttons]
    assert len(labels) == 6
    assert labels[:2] == ["备案", "送审"]
    assert "我的信息" in labels
    listed = [f.label for f in card.fields]
    assert {"送审", "撤回", "审核记录", "台账", "我的备案"} <= set(listed)


async def test_duty_officer_help_differs_from_clerk(harness: ChatHarness) -> None:
    clerk = (await harness.say("laozhou", "帮助"))[0].to_text()
    officer = (await harness.say("xiaochen", "帮助"))[0].to_text()
    assert "值班员" in officer
    assert "交接班" in officer
    assert "备案经办人" not in officer
    assert clerk != officer


async def test_help_button_runs_the_command(harness: ChatHarness) -> None:
    card = (await harness.say("xiaowang", "帮助"))[0]
    tapped = await harness.tap("xiaowang", card, "我的信息")
    assert tapped.ok
    assert any(
        "我的信息" in r.to_text() and "区文旅委宣传科" in r.to_text() for r in tapped.replies
    )
    # The help card now says what was chosen, and can still be used.
    assert tapped.card is not None
    assert tapped.card.status == "已开始：我的信息"
    assert [b.label for b in tapped.card.buttons] == [b.label for b in card.card.buttons]
    shown = await harness.latest_card("xiaowang", title="我能帮您做什么")
    assert shown.status == "已开始：我的信息"


async def test_stranger_gets_a_polite_refusal_and_nothing_else(harness: ChatHarness) -> None:
    from storage.models.machinery import AuditEntry, Conversation, OutboxMessage

    before_audit = await AuditEntry.all().count()
    replies = await harness.say("nobody", "帮助")
    assert len(replies) == 1
    assert "系统里还没有您的信息" in replies[0].text
    assert await AuditEntry.all().count() == before_audit
    assert await Conversation.all().count() == 0
    assert await OutboxMessage.filter(target_kind="identity").count() == 1


async def test_unknown_text_points_to_help(harness: ChatHarness) -> None:
    replies = await harness.say("xiaowang", "今天天气怎么样")
    assert "帮助" in replies[0].text


async def test_someone_elses_card_cannot_be_tapped(harness: ChatHarness) -> None:
    card = (await harness.say("xiaowang", "帮助"))[0]
    # 老周 replays 小王's card action (e.g. a forwarded card) — refused and audited.
    tapped = await harness.tap("laozhou", card, "我的信息")
    assert tapped.toast == "这张卡片由小王处理，您的操作未生效。"
    from storage.models.machinery import AuditEntry

    denied = await AuditEntry.filter(action="card.denied").all()
    assert len(denied) == 1
    assert denied[0].actor_label == "老周"
