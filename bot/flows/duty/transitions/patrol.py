"""Recording a patrol, one function per tap: 本项正常, 本项异常 (opens an alert), 本账号全部正常,
and closing a round whose shift ended with items left (they go into the handover).

Each locks the round, so two taps on one item record one result; a tap on an item already
recorded (a double tap, an old card) re-renders the card and says so.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards.model import Card
from bot.core.directory import Member, load_member
from bot.core.work import Outcome, Work
from bot.flows.duty.cards.patrol import AccountProgress, RoundView, patrol_card, progress_text
from bot.flows.duty.model import PATROL_SUBJECT, DutyError, lock_patrol, shift_label
from bot.flows.duty.transitions.alerts import AlertRequest, raise_alert
from storage.models.duty import DutyShift
from storage.models.duty_alerts import (
    AlertSeverity,
    AlertSource,
    PatrolCheck,
    PatrolResult,
    PatrolRound,
)
from storage.models.org import Account
from storage.models.rectification import RectCategory

# Checklist items whose failure is a broken link or page (the rectification category an
# alert carries if supervisor staff turn it into a notice).
_LINK_WORDS = ("访问", "链接", "下载")


async def record(
    w: Work, round_id: int, account_id: int, item: int, by: Member, result: PatrolResult, note: str
) -> Outcome:
    """本项正常 / 本项异常: one item of one account; an abnormal item opens an alert."""
    patrol = await _locked(w, round_id, by)
    if account_id not in patrol.account_ids or not 0 <= item < len(patrol.checklist):
        raise DutyError("这个巡查项目不在本班的清单中。")
    if result is PatrolResult.ABNORMAL and not note:
        raise DutyError("请填写异常情况后再点“本项异常”。")
    done = await _results(w, patrol)
    if item in done.get(account_id, {}):
        return await _moved_on(w, patrol, "这一项已记录过")
    check = await PatrolCheck.create(
        using_db=w.conn,
        round_id=patrol.id,
        account_id=account_id,
        item=item,
        result=result,
        note=note[:2000],
        by_id=by.id,
        at=w.now,
    )
    toast = "已记录：正常。"
    if result is PatrolResult.ABNORMAL:
        account = await Account.filter(id=account_id).using_db(w.conn).get()
        label = str(patrol.checklist[item])
        alert, _ = await raise_alert(
            w,
            AlertRequest(
                team_id=patrol.team_id,
                severity=AlertSeverity.ORDINARY,
                source=AlertSource.PATROL,
                title=f"{account.label}：{label}——异常",
                description=note,
                account_id=account_id,
                reported_by_id=by.id,
                dedupe_key=f"patrol:{check.id}",
                data={
                    "round": patrol.id,
                    "item": label,
                    "category": (
                        RectCategory.BROKEN_LINK.value
                        if any(word in label for word in _LINK_WORDS)
                        else RectCategory.OTHER.value
                    ),
                },
            ),
        )
        check.alert_id = alert.id
        await check.save(using_db=w.conn, update_fields=["alert_id"])
        toast = f"已记录异常，并生成告警 GJ-{alert.id:04d}。"
    await w.audit(
        "duty.patrol_recorded",
        PATROL_SUBJECT,
        patrol.id,
        {"account": account_id, "item": item, "result": result.value, "note": note},
    )
    card = await _after(w, patrol)
    return Outcome(toast, card=card)


async def all_ok(w: Work, round_id: int, account_id: int, by: Member) -> Outcome:
    """本账号全部正常: every item of the account not yet recorded is recorded as normal."""
    patrol = await _locked(w, round_id, by)
    if account_id not in patrol.account_ids:
        raise DutyError("这个账号不在本班的巡查清单中。")
    done = (await _results(w, patrol)).get(account_id, {})
    missing = [i for i in range(len(patrol.checklist)) if i not in done]
    if not missing:
        return await _moved_on(w, patrol, "这个账号已巡查完")
    await PatrolCheck.bulk_create(
        [
            PatrolCheck(
                round_id=patrol.id,
                account_id=account_id,
                item=i,
                result=PatrolResult.OK,
                by_id=by.id,
                at=w.now,
            )
            for i in missing
        ],
        using_db=w.conn,
    )
    await w.audit(
        "duty.patrol_recorded",
        PATROL_SUBJECT,
        patrol.id,
        {"account": account_id, "items": missing, "result": "ok"},
    )
    card = await _after(w, patrol)
    return Outcome("已记录：本账号全部正常。", card=card)


async def end_round(w: Work, patrol: PatrolRound) -> None:
    """The shift ended with items left: the card says so, the handover lists them."""
    if patrol.closed_at is not None:
        return
    patrol.closed_at = w.now
    await patrol.save(using_db=w.conn, update_fields=["closed_at"])
    view = await view_of(w, patrol)
    await w.audit(
        "duty.patrol_unfinished",
        PATROL_SUBJECT,
        patrol.id,
        {"progress": progress_text(view)},
    )
    await _render(w, patrol, view)


# ---- shared -----------------------------------------------------------------------------


async def view_of(w: Work, patrol: PatrolRound) -> RoundView:
    results = await _results(w, patrol)
    accounts = {
        a.id: a for a in await Account.filter(id__in=list(patrol.account_ids)).using_db(w.conn)
    }
    shift = await DutyShift.filter(id=patrol.shift_id).using_db(w.conn).first()
    person = await load_member(patrol.person_id, w.conn)
    return RoundView(
        round_id=patrol.id,
        shift_label=shift_label(shift, w.tz) if shift is not None else "",
        person_name=person.name if person is not None else "",
        checklist=tuple(str(i) for i in patrol.checklist),
        accounts=tuple(
            AccountProgress(
                account_id=aid,
                label=accounts[aid].label if aid in accounts else f"账号{aid}",
                results=results.get(aid, {}),
            )
            for aid in patrol.account_ids
        ),
        ended=patrol.closed_at is not None and _ended(patrol, w.now),
    )


def _ended(patrol: PatrolRound, now: datetime) -> bool:
    return patrol.ends_at <= now


async def _results(w: Work, patrol: PatrolRound) -> dict[int, dict[int, PatrolResult]]:
    found: dict[int, dict[int, PatrolResult]] = {}
    for check in await PatrolCheck.filter(round_id=patrol.id).using_db(w.conn):
        found.setdefault(check.account_id, {})[check.item] = PatrolResult(check.result)
    return found


async def _after(w: Work, patrol: PatrolRound) -> Card | None:
    view = await view_of(w, patrol)
    if view.current() is None and patrol.closed_at is None:
        patrol.closed_at = w.now
        await patrol.save(using_db=w.conn, update_fields=["closed_at"])
        await w.audit("duty.patrol_completed", PATROL_SUBJECT, patrol.id, {})
    return await _render(w, patrol, view)


async def _render(w: Work, patrol: PatrolRound, view: RoundView) -> Card | None:
    if patrol.card_id is None:
        return None
    card = patrol_card(view)
    return await w.emit.update_card(patrol.card_id, card, close=not card.buttons)


async def _locked(w: Work, round_id: int, by: Member) -> PatrolRound:
    patrol = await lock_patrol(w.conn, round_id)
    if patrol is None:
        raise DutyError("这轮巡查不存在。")
    if patrol.closed_at is not None:
        raise DutyError("这轮巡查已结束。", kind="info")
    if by.id != patrol.person_id:
        person = await load_member(patrol.person_id, w.conn)
        name = person.name if person is not None else "本班值班员"
        raise DutyError(f"这轮巡查由本班值班员{name}记录；您的操作未生效。")
    return patrol


async def _moved_on(w: Work, patrol: PatrolRound, why: str) -> Outcome:
    card = await _render(w, patrol, await view_of(w, patrol))
    return Outcome(f"{why}，请看最新的巡查卡片。", "info", card=card)
