"""The patrol card, pure: one card per shift's round, walked account by account.

It shows the progress ("已巡查 5/8 个账号"), each account's state, and the item being checked
now with three buttons (本项正常 / 本项异常 / 本账号全部正常), so it fits WeCom's six-button
template cards and is tapped through in order; a finished round shows its outcome and no
buttons.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.model import Button, ButtonStyle, Card, CardField, FormInput, InputKind, Tone
from bot.flows.duty.model import PATROL_ACTIONS as ACTIONS
from storage.models.duty_alerts import PatrolResult


@dataclass(frozen=True)
class AccountProgress:
    account_id: int
    label: str
    results: dict[int, PatrolResult]  # item index → result

    def done(self, items: int) -> bool:
        return len(self.results) >= items

    def abnormal(self) -> int:
        return sum(1 for r in self.results.values() if r is PatrolResult.ABNORMAL)


@dataclass(frozen=True)
class RoundView:
    round_id: int
    shift_label: str
    person_name: str
    checklist: tuple[str, ...]
    accounts: tuple[AccountProgress, ...]
    ended: bool = False  # the shift is over: what is left goes into the handover

    @property
    def items(self) -> int:
        return len(self.checklist)

    def finished_accounts(self) -> int:
        return sum(1 for a in self.accounts if a.done(self.items))

    def current(self) -> tuple[AccountProgress, int] | None:
        """The account and item to check next; None when the round is complete."""
        for account in self.accounts:
            for item in range(self.items):
                if item not in account.results:
                    return account, item
        return None


def progress_text(view: RoundView) -> str:
    return f"已巡查 {view.finished_accounts()}/{len(view.accounts)} 个账号"


def _state(account: AccountProgress, items: int) -> str:
    abnormal = account.abnormal()
    if account.done(items):
        return f"异常 {abnormal} 项" if abnormal else "正常"
    if account.results:
        return f"进行中（{len(account.results)}/{items} 项）" + (
            f"，异常 {abnormal} 项" if abnormal else ""
        )
    return "待巡查"


def patrol_card(view: RoundView) -> Card:
    fields = [CardField(label=a.label, value=_state(a, view.items)) for a in view.accounts]
    current = view.current()
    title = f"读网巡查 · {view.shift_label}"
    if current is None or view.ended:
        abnormal = sum(a.abnormal() for a in view.accounts)
        if current is None:
            status = f"巡查完成：{len(view.accounts)} 个账号" + (
                f"，异常 {abnormal} 项" if abnormal else "，全部正常"
            )
        else:
            status = f"班次已结束，{progress_text(view)}，未完成部分已列入交接班"
        return Card(
            title=title,
            subtitle=progress_text(view),
            tone=Tone.GREEN if current is None and not abnormal else Tone.GREY,
            fields=tuple(fields),
            status=status,
        )
    account, item = current
    payload = {"round": str(view.round_id), "account": str(account.account_id), "item": str(item)}
    body = (
        f"{progress_text(view)}。值班员：{view.person_name}\n"
        f"当前：{account.label} 第{item + 1}/{view.items}项 — {view.checklist[item]}"
    )
    return Card(
        title=title,
        subtitle=progress_text(view),
        tone=Tone.BLUE,
        body=body,
        fields=tuple(fields),
        inputs=(FormInput(name="note", label="异常情况", kind=InputKind.TEXTAREA),),
        buttons=(
            Button(
                label="本项正常",
                action=f"{ACTIONS}.ok",
                payload=payload,
                style=ButtonStyle.PRIMARY,
            ),
            Button(
                label="本项异常",
                action=f"{ACTIONS}.abnormal",
                payload=payload,
                style=ButtonStyle.DANGER,
                needs=("note",),
            ),
            Button(label="本账号全部正常", action=f"{ACTIONS}.all_ok", payload=payload),
        ),
    )
