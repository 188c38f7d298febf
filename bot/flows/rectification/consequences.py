"""Consequences of the records, per the preset's penalties.

- dongguan ``circulars_per_year``: an overdue notice is 纳入通报 (a circular); the second one on
  the same account within a year flags the account 建议关停 and tells the supervisors.
- kunming ``quarterly_letter`` / ``no_improvement``: units with repeated problems in a quarter
  get a generated rectification letter (.docx); repeated problems again in the next quarter
  flag a circular (通报).
- jiaxian ``bottom_three``: the three worst units of a quarter; the bottom three two quarters in
  a row is flagged.

Flags are rows (unique per kind, period, unit, account), so running a review twice changes
nothing. ``quarterly`` makes sure the quarterly part runs once per quarter; ``records`` shows
the flags.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core import files
from bot.core.directory import nearest_with_role
from bot.core.emit import Emitter
from bot.core.outgoing import FileRef, Message
from bot.core.services import Services
from bot.core.work import Work
from bot.flows.rectification.model import (
    BOTTOM,
    BOTTOM_TWICE,
    CIRCULAR,
    CLOSE_SUGGESTED,
    LETTER,
    number,
    unit_name,
)
from bot.flows.rectification.people import People
from bot.flows.rectification.records import count
from storage import audit
from storage.enums import Role
from storage.models.rectification import RectFlag, Rectification

# Flags and letters are the statistics' doing, whoever's action led to them.
STATISTICS = audit.Actor.system("整改统计")


# ---- dongguan: a second circular on the same account within a year -----------------------------


async def after_overdue(w: Work, rect: Rectification, people: People) -> None:
    """dongguan: the account's second circular within a year flags it 建议关停 (once a year).

    Part of ``transitions.go_overdue``, in its transaction."""
    penalty = w.policy.penalties.get("circulars_per_year")
    if penalty is None or penalty.citation.silent or rect.account_id is None:
        return
    threshold = penalty.threshold or 2
    circulars = await Rectification.filter(
        account_id=rect.account_id,
        ever_overdue=True,
        issued_at__gte=w.now - timedelta(days=365),
    ).using_db(w.conn)
    if len(circulars) < threshold:
        return
    period = str(w.now.astimezone(w.tz).year)
    if (
        await RectFlag.filter(
            kind=CLOSE_SUGGESTED,
            period=period,
            unit_id=rect.owner_unit_id,
            account_id=rect.account_id,
        )
        .using_db(w.conn)
        .exists()
    ):
        return
    listed = "、".join(number(r) for r in sorted(circulars, key=lambda r: r.id))
    reason = (
        f"{rect.account_label}一年内第{len(circulars)}次因整改逾期纳入通报（{listed}），"
        f"依据《{penalty.citation.document}》{penalty.citation.article}：{penalty.action}"
    )
    await RectFlag.create(
        using_db=w.conn,
        kind=CLOSE_SUGGESTED,
        period=period,
        unit_id=rect.owner_unit_id,
        account_id=rect.account_id,
        reason=reason,
        created_at=w.now,
    )
    await audit.record(
        w.conn,
        actor=STATISTICS,
        action="rectification.flagged",
        subject_type="account",
        subject_id=rect.account_id,
        at=w.now,
        detail={"kind": CLOSE_SUGGESTED, "reason": reason},
    )
    for supervisor in people.supervisors:
        await w.emit.to_person(supervisor.id, Message(text=f"【建议关停】{reason}。"))


# ---- quarters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def title(self) -> str:
        return f"{self.year}年第{'一二三四'[self.q - 1]}季度"

    def start(self, tz: ZoneInfo) -> datetime:
        return datetime(self.year, 3 * self.q - 2, 1, tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        return self.next().start(tz)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        match = re.fullmatch(r"(\d{4})\s*[Qq季]?\s*([1-4])", text.strip().replace("第", ""))
        if match is None:
            match = re.fullmatch(r"(\d{4})年([一二三四1-4])季度?", text.strip().replace("第", ""))
        if match is None:
            return None
        q = match.group(2)
        return cls(int(match.group(1)), "一二三四".index(q) + 1 if q in "一二三四" else int(q))


@dataclass
class QuarterResult:
    quarter: Quarter
    letters: list[str]
    circulars: list[str]
    bottom: list[str]
    bottom_twice: list[str]
    files: list[FileRef] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{self.quarter.title}整改情况复核完成。"]
        if self.letters:
            lines.append("印发季度整改函：" + "、".join(self.letters))
        if self.circulars:
            lines.append("收到整改函后仍无改善，建议通报：" + "、".join(self.circulars))
        if self.bottom:
            lines.append("本季度排名后三位：" + "、".join(self.bottom))
        if self.bottom_twice:
            lines.append("连续两个季度排名后三位：" + "、".join(self.bottom_twice))
        if len(lines) == 1:
            lines.append("本季度没有需要印发整改函或通报的单位。")
        return "\n".join(lines)


async def _flag(
    conn: BaseDBAsyncClient,
    kind: str,
    quarter: Quarter,
    unit_id: int,
    reason: str,
    now: datetime,
    file_id: str | None = None,
) -> bool:
    """Record a flag once; False if it already existed (a repeated review)."""
    if (
        await RectFlag.filter(kind=kind, period=quarter.label, unit_id=unit_id)
        .using_db(conn)
        .exists()
    ):
        return False
    await RectFlag.create(
        using_db=conn,
        kind=kind,
        period=quarter.label,
        unit_id=unit_id,
        reason=reason,
        file_id=file_id,
        created_at=now,
    )
    await audit.record(
        conn,
        actor=STATISTICS,
        action="rectification.flagged",
        subject_type="unit",
        subject_id=unit_id,
        at=now,
        detail={"kind": kind, "period": quarter.label, "reason": reason},
    )
    return True


def letter_docx(unit: str, quarter: Quarter, rects: list[Rectification], basis: str) -> bytes:
    """The quarterly rectification letter (整改函) as a Word document."""
    from docx import Document

    document = Document()
    document.add_heading("政务新媒体整改函", level=1)
    document.add_paragraph(f"{unit}：")
    document.add_paragraph(
        f"经日常监测，{quarter.title}你单位政务新媒体共被下发整改通知{len(rects)}件，"
        f"问题反复出现。{basis}，现印发整改函，请于收函后认真整改，健全制度、落实责任，"
        "并将整改情况书面报送。下季度仍无明显改善的，将在一定范围内通报。"
    )
    table = document.add_table(rows=1, cols=4)
    header = table.rows[0].cells
    for cell, text in zip(header, ("编号", "账号", "问题", "处理情况"), strict=True):
        cell.text = text
    for rect in rects:
        row = table.add_row().cells
        state = "逾期" if rect.ever_overdue else "按时"
        row[0].text = number(rect)
        row[1].text = rect.account_label or "—"
        row[2].text = rect.problem
        row[3].text = f"{state}；驳回{rect.reopened}次" if rect.reopened else state
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def quarterly_review(
    services: Services, conn: BaseDBAsyncClient, emit: Emitter, quarter: Quarter, now: datetime
) -> QuarterResult:
    """The end-of-quarter consequences of the active preset, once per quarter."""
    tz = services.tz
    policy = services.timekeeping.policy
    rects = (
        await Rectification.filter(issued_at__gte=quarter.start(tz), issued_at__lt=quarter.end(tz))
        .using_db(conn)
        .order_by("id")
    )
    by_unit: dict[int, list[Rectification]] = defaultdict(list)
    for rect in rects:
        by_unit[rect.owner_unit_id].append(rect)
    result = QuarterResult(quarter, [], [], [], [])

    letter = policy.penalties.get("quarterly_letter")
    if letter is not None and not letter.citation.silent:
        repeated = {u: items for u, items in by_unit.items() if len(items) >= 2}
        no_improvement = policy.penalties.get("no_improvement")
        basis = f"依据《{letter.citation.document}》{letter.citation.article}"
        for unit_id, items in repeated.items():
            name = await unit_name(conn, unit_id)
            had_letter = (
                await RectFlag.filter(kind=LETTER, period=quarter.previous().label, unit_id=unit_id)
                .using_db(conn)
                .exists()
            )
            if had_letter and no_improvement is not None:
                reason = (
                    f"{quarter.previous().title}收到整改函后，{quarter.title}仍有问题{len(items)}件"
                )
                if await _flag(conn, CIRCULAR, quarter, unit_id, reason, now):
                    result.circulars.append(name)
            data = letter_docx(name, quarter, items, basis)
            ref = await files.save(
                services,
                conn,
                name=f"{name}{quarter.title}整改函.docx",
                data=data,
                now=now,
                subject_type="rectification_letter",
                subject_id=unit_id,
            )
            reason = f"{quarter.title}整改通知{len(items)}件，问题反复出现"
            if await _flag(conn, LETTER, quarter, unit_id, reason, now, file_id=ref.file_id):
                result.letters.append(name)
                result.files.append(ref)
                await _send_letter(conn, emit, unit_id, ref, quarter)

    bottom = policy.penalties.get("bottom_three")
    if bottom is not None and not bottom.citation.silent and by_unit:
        ranked = sorted(
            by_unit.items(),
            key=lambda kv: (
                -count(kv[1]).overdue,
                -count(kv[1]).reopened,
                -count(kv[1]).issued,
                kv[0],
            ),
        )
        for unit_id, items in ranked[:3]:
            name = await unit_name(conn, unit_id)
            stats = count(items).text()
            if await _flag(conn, BOTTOM, quarter, unit_id, stats, now):
                result.bottom.append(name)
            was_bottom = (
                await RectFlag.filter(kind=BOTTOM, period=quarter.previous().label, unit_id=unit_id)
                .using_db(conn)
                .exists()
            )
            if was_bottom:
                reason = (
                    f"{quarter.previous().title}、{quarter.title}连续排名后三位，"
                    f"依据《{bottom.citation.document}》{bottom.citation.article}：{bottom.action}"
                )
                if await _flag(conn, BOTTOM_TWICE, quarter, unit_id, reason, now):
                    result.bottom_twice.append(name)
    return result


async def _send_letter(
    conn: BaseDBAsyncClient, emit: Emitter, unit_id: int, ref: FileRef, quarter: Quarter
) -> None:
    for head in await nearest_with_role(unit_id, Role.PRINCIPAL, conn):
        await emit.to_person(
            head.id,
            Message(
                text=f"【季度整改函】{quarter.title}你单位政务新媒体问题反复出现，"
                "请查收整改函并按要求整改、书面报送整改情况。",
                files=(ref,),
            ),
        )
