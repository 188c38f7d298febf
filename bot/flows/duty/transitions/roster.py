"""Roster transitions: the duty lead gives a shift to someone else (an override)."""

from __future__ import annotations

from bot.core.directory import Member
from bot.core.work import Outcome, Work
from bot.flows.duty.model import SHIFT_SUBJECT, DutyError, lock_shift, shift_label
from bot.flows.duty.transitions.swaps import tell_change, void_open_swaps
from storage.models.duty import DutyOverride, DutyTeam, ShiftSource
from storage.models.org import Person


async def override(
    w: Work, team: DutyTeam, shift_id: int, person: Member, by: Member, text: str
) -> Outcome:
    """The shift is held by ``person`` from now on; everyone affected is told.

    A shift that has started is history and is not changed (the handover moves responsibility
    inside a running shift). A swap still open on the shift is void: the lead decided.
    """
    shift = await lock_shift(w.conn, shift_id)
    if shift is None or shift.team_id != team.id:
        raise DutyError("找不到这个班次，请发送“值班表”查看。")
    label = shift_label(shift, w.tz)
    if shift.starts_at <= w.now:
        raise DutyError(
            f"{label}已经开始，不能再改排（已开始的班次保留原样）；当班人员如需离开，请办理交接班。"
        )
    if shift.person_id == person.id:
        raise DutyError(f"{label}本来就由{person.name}值班，无需调整。", kind="info")
    previous = await Person.filter(id=shift.person_id).using_db(w.conn).first()
    previous_name = previous.name if previous is not None else "?"
    previous_id = shift.person_id
    await void_open_swaps(w, shift, f"值班长{by.name}已改排此班，换班申请作废")
    shift.person_id = person.id
    shift.source = ShiftSource.OVERRIDE
    shift.updated_at = w.now
    await shift.save(using_db=w.conn, update_fields=["person_id", "source", "updated_at"])
    row = await DutyOverride.create(
        using_db=w.conn,
        team_id=team.id,
        shift_id=shift.id,
        previous_id=previous_id,
        person_id=person.id,
        by_id=by.id,
        text=text[:500],
        created_at=w.now,
    )
    await w.audit(
        "duty.shift_overridden",
        SHIFT_SUBJECT,
        shift.id,
        {"team": team.key, "from": previous_name, "to": person.name, "override": row.id},
    )
    await tell_change(w, team, shift, previous_id, previous_name, person, f"值班长{by.name}调整")
    return Outcome(f"已调整：{label}由{person.name}值班（原{previous_name}）。")
