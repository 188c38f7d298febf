"""The notice as a subject: the flow's error, locking, numbering, the rule, labels, constants."""

from __future__ import annotations

import re

from tortoise.backends.base.client import BaseDBAsyncClient

from bot.core import untrusted
from bot.core.work import FlowError
from bot.policy.model import Policy
from storage.models.org import Account, Unit
from storage.models.rectification import (
    RectCategory,
    Rectification,
    RectNumberCounter,
    Severity,
)

# Audit entries, deadlines and stored cards name a notice by this subject type.
SUBJECT = "rectification"
# The step handler the notices' deadlines run (stored in deadline rows: never rename).
STEP_HANDLER = "rectification"
# The deadline kind and the preset schedule of the countdown.
DEADLINE_KIND = "rectification"
SCHEDULE = "rectification"
# The prefix of card actions (rect.ack, rect.done, …): stored cards carry them, never rename.
ACTIONS = "rect"

# Stored card kinds: the owner unit's notice card, the supervisors' decision cards.
UNIT_CARD = "rectification.unit"
REVIEW_CARD = "rectification.review"
EXTENSION_CARD = "rectification.extension"

# Category → the preset rule that governs it, when the preset's own document states one.
CATEGORY_RULES = {
    RectCategory.NETIZEN_REPORT: "error_report.reply",
    RectCategory.MESSAGE_UNANSWERED: "message.reply",
}
# beibei: a netizen's error report must be forwarded (the notice issued) within this rule.
FORWARD_RULE = "error_report.forward"

# Consequence flags (``RectFlag.kind``) and how people read them.
CLOSE_SUGGESTED = "close_suggested"
LETTER = "letter"
CIRCULAR = "circular"
BOTTOM = "bottom"  # in the bottom three of a quarter
BOTTOM_TWICE = "bottom_three"  # twice in a row: the jiaxian penalty

FLAG_LABELS = {
    CLOSE_SUGGESTED: "建议关停",
    LETTER: "季度整改函",
    CIRCULAR: "通报",
    BOTTOM: "季度排名后三位",
    BOTTOM_TWICE: "连续两个季度排名后三位",
}


class RectificationError(FlowError):
    """A notice that cannot be issued, or a tap that cannot act; the message says why."""


def number(rect: Rectification) -> str:
    """ZG2026-0001: the year of issue and the notice's place in that year."""
    if rect.year is None or rect.seq is None:
        return f"ZG{rect.id:04d}"  # issued before numbering by year
    return f"ZG{rect.year}-{rect.seq:04d}"


async def find_by_number(conn: BaseDBAsyncClient, text: str) -> Rectification | None:
    """The notice a person means by "ZG2026-0001" (also "2026-1"; legacy "ZG0001")."""
    cleaned = text.strip().upper().replace(" ", "").replace("－", "-").replace("—", "-")
    match = re.fullmatch(r"(?:ZG)?(\d{4})-0*(\d+)", cleaned)
    if match is not None:
        seq = untrusted.row_id(match.group(2))
        if seq is None:
            return None
        return await Rectification.filter(year=int(match.group(1)), seq=seq).using_db(conn).first()
    match = re.fullmatch(r"(?:ZG)?0*(\d+)", cleaned)
    rect_id = untrusted.row_id(match.group(1)) if match is not None else None
    if rect_id is None:
        return None
    return await Rectification.filter(id=rect_id, seq__isnull=True).using_db(conn).first()


async def next_number(conn: BaseDBAsyncClient, year: int) -> int:
    """The next sequence number of ``year``, in the caller's transaction.

    The counter row is locked until the transaction ends, so two notices issued at once get
    consecutive numbers; a rolled-back notice gives its number back.
    """
    await RectNumberCounter.bulk_create(
        [RectNumberCounter(year=year, last_seq=0)], ignore_conflicts=True, using_db=conn
    )
    counter = await RectNumberCounter.filter(year=year).using_db(conn).select_for_update().get()
    counter.last_seq += 1
    await counter.save(using_db=conn, update_fields=["last_seq"])
    return counter.last_seq


async def lock(conn: BaseDBAsyncClient, rect_id: int) -> Rectification | None:
    """The notice, locked for this transaction (two taps at once record one decision)."""
    return await Rectification.filter(id=rect_id).using_db(conn).select_for_update().first()


def choose_rule(policy: Policy, category: RectCategory, severity: Severity) -> str:
    """The rule of the preset for this notice.

    A category with its own rule (beibei's netizen error reports, jiaxian's public messages)
    uses it only where the preset's own document states it; elsewhere the general
    rectification limit by severity applies (the deployment's configured one by default).
    """
    special = CATEGORY_RULES.get(category)
    rule = policy.deadlines.get(special) if special is not None else None
    if special is not None and rule is not None and not rule.citation.silent:
        return special
    return f"rectification.{severity.value}"


async def account_label(conn: BaseDBAsyncClient, account_id: int | None) -> str:
    """The account as the notice names it (``Account.label``); "" when it names none."""
    if account_id is None:
        return ""
    account = await Account.filter(id=account_id).using_db(conn).first()
    return account.label if account is not None else ""


async def unit_name(conn: BaseDBAsyncClient, unit_id: int) -> str:
    unit = await Unit.filter(id=unit_id).using_db(conn).first()
    return unit.name if unit is not None else ""
