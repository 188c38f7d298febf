"""The week's roster as a PNG (值班表 on channels that show images).

Drawn with Pillow; Chinese needs a CJK font, found at ``DUTYBOT_CJK_FONT`` or the usual
system paths (the Docker image and CI install WenQuanYi Micro Hei). Without one, no image is
made and the card alone answers: a picture of boxes (豆腐块) would be worse than none.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.flows.duty.model import WEEKDAYS
from bot.flows.duty.records.roster import WeekView

log = logging.getLogger(__name__)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

INK = (33, 37, 41)
GRID = (206, 212, 218)
HEADER_BG = (31, 97, 141)
HEADER_INK = (255, 255, 255)
HOLIDAY_BG = (255, 236, 236)
WEEKEND_BG = (246, 246, 246)
MAKEUP_BG = (232, 244, 253)
CHANGED_INK = (196, 92, 0)
MUTED = (108, 117, 125)


@lru_cache(maxsize=4)
def find_font(configured: str | None) -> str | None:
    """The first usable CJK font: the configured one, else a known system path."""
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def render_week(view: WeekView, font_path: str) -> bytes:
    """A table: one row per day (date, weekday, holiday note), one column per shift."""
    title_font = _font(font_path, 30)
    head_font = _font(font_path, 22)
    cell_font = _font(font_path, 24)
    small_font = _font(font_path, 17)
    date_w, slot_w, row_h, head_h, title_h, pad = 230, 300, 74, 56, 96, 24
    width = pad * 2 + date_w + slot_w * len(view.slots)
    height = pad * 2 + title_h + head_h + row_h * len(view.days) + 40
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    last = view.days[-1].day
    draw.text((pad, pad), f"值班表 · {view.team_name}", font=title_font, fill=INK)
    span = f"{view.first.year}年{view.first.month}月{view.first.day}日—{last.month}月{last.day}日"
    draw.text((pad, pad + 44), span, font=head_font, fill=MUTED)
    top = pad + title_h
    draw.rectangle((pad, top, width - pad, top + head_h), fill=HEADER_BG)
    draw.text((pad + 14, top + 14), "日期", font=head_font, fill=HEADER_INK)
    for i, (_slot, header) in enumerate(view.slots):
        draw.text(
            (pad + date_w + slot_w * i + 14, top + 14), header, font=head_font, fill=HEADER_INK
        )
    y = top + head_h
    for day in view.days:
        background = None
        if day.note == "调休上班":
            background = MAKEUP_BG
        elif day.holiday and day.note not in ("", "周末"):
            background = HOLIDAY_BG
        elif day.holiday:
            background = WEEKEND_BG
        if background is not None:
            draw.rectangle((pad, y + 1, width - pad, y + row_h - 1), fill=background)
        label = f"{day.day.month}月{day.day.day}日 周{WEEKDAYS[day.day.weekday()]}"
        draw.text((pad + 14, y + 10), label, font=cell_font, fill=INK)
        if day.note:
            draw.text((pad + 14, y + 42), day.note, font=small_font, fill=MUTED)
        for i, (slot, _header) in enumerate(view.slots):
            x = pad + date_w + slot_w * i + 14
            shift = day.shifts.get(slot)
            if shift is None:
                draw.text((x, y + 10), "未排班", font=cell_font, fill=MUTED)
                continue
            draw.text((x, y + 10), shift.person, font=cell_font, fill=INK)
            if shift.changed:
                note = shift.changed + (f"（原{shift.rostered}）" if shift.rostered else "")
                draw.text((x, y + 42), note, font=small_font, fill=CHANGED_INK)
        y += row_h
        draw.line((pad, y, width - pad, y), fill=GRID, width=1)
    for x in [pad, pad + date_w] + [
        pad + date_w + slot_w * (i + 1) for i in range(len(view.slots))
    ]:
        draw.line((x, top, x, y), fill=GRID, width=1)
    draw.text(
        (pad, y + 12), "红底：法定节假日　灰底：周末　蓝底：调休上班", font=small_font, fill=MUTED
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
