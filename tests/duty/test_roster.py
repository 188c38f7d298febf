"""The roster through the chat: 值班, 值班表 (card and image), the lead's override, and the
roster across the 2026 National Day holiday and its make-up Saturday (10 October)."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageFont

from bot.core import files
from bot.core.services import Services
from bot.flows.duty.roster_image import find_font
from storage.models.duty import DutyOverride, DutyShift, ShiftSlot, ShiftSource
from storage.models.machinery import AuditEntry
from tests.duty.support import DUTY_GROUP, at, card_titled, field, person_key
from tests.support.chat import ChatHarness


async def test_duty_shows_who_is_on_duty_now_and_my_next_shift(duty: ChatHarness) -> None:
    # Friday 9 October 2026, 10:00: 小陈's day shift, 老刘 tonight, 小马 tomorrow morning.
    said = await duty.say("xiaochen", "值班")
    status = card_titled(said, "值班")
    assert field(status, "现在值班").startswith("小陈（白班")
    assert field(status, "下一班").startswith("老刘（夜班")
    assert "正在值班" in field(status, "您的下一个班")
    assert "换班" in (status.card.body if status.card else "")
    said = await duty.say("laoliu", "值班")
    assert "10月9日（周五）夜班 20:30–08:30" in field(card_titled(said, "值班"), "您的下一个班")
    # The lead is told how to change the roster; someone in no team is told why nothing shows.
    lead = card_titled(await duty.say("fengzz", "值班"), "值班")
    assert "12月5日白班由老刘值" in (lead.card.body if lead.card else "")
    said = await duty.say("xiaowang", "值班")
    assert not any(m.card for m in said)  # 小王 (an editor) may not use it


async def test_the_status_card_sends_this_and_next_week(duty: ChatHarness) -> None:
    status = card_titled(await duty.say("xiaoma", "值班"), "值班")
    tapped = await duty.tap("xiaoma", status, "下周值班表")
    assert tapped.toast == "值班表已发送。"
    week = card_titled(tapped.replies, "值班表")
    assert week.card is not None
    assert week.card.subtitle.startswith("10月12日—10月18日")


async def test_the_week_table_and_its_image(duty: ChatHarness, services: Services) -> None:
    said = await duty.say("xiaochen", "值班表")
    week = card_titled(said, "值班表 · 区政务新媒体中心读网值班")
    assert field(week, "10月9日（周五）") == "白班 小陈；夜班 老刘"
    assert field(week, "10月10日（周六）【调休上班】") == "白班 小马；夜班 小陈"
    assert field(week, "10月11日（周日）【周末】") == "白班 老刘；夜班 小马"
    (image,) = week.files
    assert image["mime"] == "image/png"
    assert image["inline"] is True  # shown as a picture where the platform can
    stored = await files.read(services, image["file_id"])
    assert stored is not None
    picture = Image.open(io.BytesIO(stored[1]))
    assert picture.format == "PNG"
    assert picture.width > 600
    assert picture.height > 500
    colours = picture.getcolors(maxcolors=1 << 16)
    assert colours is not None
    assert len(colours) > 20  # anti-aliased text on coloured rows, not a blank page
    # The font it was drawn with has Chinese glyphs: a font without them draws every
    # character as the same empty box (豆腐块), so two different characters would look alike.
    font_path = find_font(None)
    assert font_path is not None
    font = ImageFont.truetype(font_path, 24)
    assert bytes(font.getmask("值")) != bytes(font.getmask("班"))


async def test_the_lead_overrides_a_shift_and_everyone_affected_hears(
    duty: ChatHarness,
) -> None:
    h = duty
    await h.mark_read("xiaochen")
    await h.mark_read("fengzz", DUTY_GROUP)
    said = await h.say("fengzz", "10月12日白班由小马值")
    assert said[-1].text == "已调整：10月12日（周一）白班 08:30–20:30由小马值班（原小陈）。"
    shift = await DutyShift.get(team_id=1, duty_date=date(2026, 10, 12), slot=ShiftSlot.DAY)
    assert await person_key(shift.person_id) == "xiaoma"
    assert await person_key(shift.rostered_id) == "xiaochen"
    assert shift.source == ShiftSource.OVERRIDE
    override = await DutyOverride.get(shift_id=shift.id)
    assert override.text == "10月12日白班由小马值"
    assert await AuditEntry.filter(action="duty.shift_overridden").count() == 1
    (to_new,) = await h.new_messages("xiaoma")
    assert "由您值班（原小陈）" in to_new.text
    (to_old,) = await h.new_messages("xiaochen")
    assert "改由小马值班" in to_old.text
    (group,) = await h.new_messages("fengzz", DUTY_GROUP)
    assert group.mentions == ["小马"]
    # The week shows who changed it.
    week = card_titled(await h.say("xiaoma", "值班表 下周"), "值班表")
    assert field(week, "10月12日（周一）") == "白班 小马（值班长调整，原小陈）；夜班 老刘"
    # The command word works too; the same change again is not a change.
    again = await h.say("fengzz", "调班 10月12日白班由小马值")
    assert "本来就由小马值班" in again[-1].text
    assert await AuditEntry.filter(action="duty.shift_overridden").count() == 1


async def test_bad_overrides_are_explained_and_change_nothing(duty: ChatHarness) -> None:
    h = duty
    before = [(s.id, s.person_id) for s in await DutyShift.all().order_by("id")]
    cases = {
        # A running shift is history.
        "10月9日白班由老刘值": "已经开始，不能再改排",
        "10月12日由老刘值": "请写明是白班还是夜班",
        "10月12日白班由老王值": "找不到可以值班的“老王”。本组可排班的人员：小陈、老刘、小马",
        "12月25日白班由老刘值": "还没有排班",
        "10月32日白班由老刘值": "没有“10月32日”这一天",
    }
    for text, words in cases.items():
        said = await h.say("fengzz", text)
        assert words in said[-1].text, (text, said[-1].text)
    # Only a duty lead may override: an officer typing the sentence is refused, on the record.
    said = await h.say("xiaochen", "10月12日白班由老刘值")
    assert "值班长" in said[-1].text
    assert await AuditEntry.filter(action="command.denied").count() == 1
    assert [(s.id, s.person_id) for s in await DutyShift.all().order_by("id")] == before


async def test_the_wecom_menu_duty_entry_leads_to_the_status(duty: ChatHarness) -> None:
    # The 值班 menu entry's key is "duty"; the router binds it to the 值班 command.
    from bot.adapters.wecom.menu import MENU_ITEMS
    from bot.handlers import load_all

    command = load_all().by_menu_key(MENU_ITEMS["值班"])
    assert command is not None
    assert command.word == "值班"


async def test_the_demo_clock_jumping_weeks_ahead_finds_the_roster_there(
    duty: ChatHarness, services: Services
) -> None:
    from bot.runtime import wire_demo_clock

    wire_demo_clock(services)
    services.clock.set(at(12, 25, 10))  # type: ignore[attr-defined]  # 11 weeks on
    assert not await DutyShift.filter(duty_date=date(2026, 12, 25)).exists()
    assert services.on_clock_change is not None
    await services.on_clock_change()  # what the console's clock control calls
    status = card_titled(await duty.say("xiaoma", "值班"), "值班")
    assert field(status, "现在值班").endswith("（白班，至12月25日 20:30）")
    # The jump also reached 2027, whose holidays are not in the calendar yet: the admin is told.
    await duty.expect("hegly", "2027年的法定节假日")


async def test_a_team_on_24_hour_shifts(duty: ChatHarness, services: Services) -> None:
    from storage.models.duty import ShiftMode
    from tests.duty.support import make_team

    await make_team(services, mode=ShiftMode.FULL, day_start="09:00", start=date(2026, 10, 9))
    # 10:00 on Friday: 小陈's 24-hour shift since 09:00, until 09:00 tomorrow.
    status = card_titled(await duty.say("laoliu", "值班"), "值班")
    assert field(status, "现在值班") == "小陈（全天班，至10月10日 09:00）"
    assert field(status, "下一班") == "老刘（全天班，10月10日 09:00 起）"
    week = card_titled(await duty.say("laoliu", "值班表"), "值班表")
    assert week.card is not None
    assert "全天班 09:00–09:00" in week.card.subtitle
    assert field(week, "10月11日（周日）【周末】") == "全天班 小马"
