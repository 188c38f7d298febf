"""One chat harness per platform — the console, WeCom and Feishu — behind one interface, so a
scenario written once runs on all three (``tests/platforms/``).

Each harness speaks its platform's wire: the console's JSON API, signed and encrypted WeCom
callbacks into ``/wecom/callback``, signed Feishu events into ``/feishu/events``; and reads
what the bot delivered back from the console transcript or the fake platform's API. People
are named by their keys in ``PLATFORMS_ORG`` (every person is on WeCom with their key as
userid, and on Feishu as ``ou_<key>``); group chats by their keys.

What differs between platforms stays visible in the scenario only where a person would see a
difference: a form is a sequence of chat questions on the console and WeCom but one form card
on Feishu (``fill``), and Feishu posts review cards in the group only, WeCom 1:1 only
(``card`` looks in a person's 1:1 chat and then in their groups).

Like the console harness, ``assert_all_seen`` fails on messages to people (or groups) the
scenario never looked at, unless it ``ignore``\\ s them.
"""

from __future__ import annotations

import asyncio
import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.feishu import people
from bot.adapters.feishu.setup import install_feishu
from bot.adapters.wecom import enable_wecom
from bot.app import create_app
from bot.cards.model import Card
from bot.clock import ManualClock, OffsetClock
from bot.core.services import Services
from bot.deadlines import reconciler
from bot.handlers import load_all
from bot.runtime import DEMO_CLOCK_POLL_SECONDS
from bot.system_state import save_demo_offset
from storage.models.machinery import ConsoleMessage
from tests.fakes.feishu_server import FakeFeishu, buttons_of
from tests.fakes.wecom_callbacks import CallbackSigner, file_xml, random_aes_key, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.chat import ChatHarness, Said, watching
from tests.support.dates import SHANGHAI
from tests.support.feishu import close_feishu, feishu_settings
from tests.support.orgs import load_org_text
from tests.support.processes import running_processes, running_stack
from tests.support.travel import settle
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET, TOKEN, wecom_settings

REVIEW_ROBOT = "robot-wlw-review"
DUTY_ROBOT = "robot-wlw-duty"
SUPERVISION_ROBOT = "robot-zfb-jg"

# The 文旅委 (with its 宣传科) under the 区政府办's supervision; everyone on every platform.
PLATFORMS_ORG = f"""
units:
  - {{key: zfb, name: 临江区人民政府办公室, kind: government}}
  - {{key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: zfb}}
  - {{key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}}
people:
  - {{key: laozhou, name: 老周, unit: xck, roles: [clerk, editor], wecom: laozhou,
     feishu_open_id: ou_laozhou}}
  - {{key: xiaowang, name: 小王, unit: xck, roles: [editor], wecom: xiaowang,
     feishu_open_id: ou_xiaowang}}
  - {{key: likz, name: 李科长, unit: xck, roles: [section_chief], wecom: likz,
     feishu_open_id: ou_likz}}
  - {{key: zhaofzr, name: 赵副主任, unit: wlw, roles: [deputy_leader], wecom: zhaofzr,
     feishu_open_id: ou_zhaofzr}}
  - {{key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: wangzr,
     feishu_open_id: ou_wangzr}}
  - {{key: zhangzr, name: 张主任, unit: zfb, roles: [supervisor_staff], wecom: zhangzr,
     feishu_open_id: ou_zhangzr}}
chats:
  - {{key: wlw-review, name: 文旅委审核群, purpose: review, unit: wlw,
     members: [xiaowang, laozhou, likz, zhaofzr, wangzr], feishu_chat_id: oc_wlw-review,
     wecom_webhook_key: {REVIEW_ROBOT}}}
  - {{key: wlw-duty, name: 区文旅委值班群, purpose: duty, unit: wlw,
     members: [xiaowang, laozhou, likz, wangzr], feishu_chat_id: oc_wlw-duty,
     wecom_webhook_key: {DUTY_ROBOT}}}
  - {{key: zfb-jg, name: 监管群, purpose: supervision, unit: zfb, members: [zhangzr],
     feishu_chat_id: oc_zfb-jg, wecom_webhook_key: {SUPERVISION_ROBOT}}}
accounts:
  - {{key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: xck}}
  - key: wlw-douyin
    name: 临江文旅
    platform: douyin
    account_id: ljwl2020
    owner_unit: wlw
    manager: {{name: 李科长, phone: "13900000034"}}
    operators: [{{name: 老周, phone: "13900000036"}}]
    opened_on: 2020-09-01
"""

NAMES = {
    "laozhou": "老周",
    "xiaowang": "小王",
    "likz": "李科长",
    "zhaofzr": "赵副主任",
    "wangzr": "王主任",
    "zhangzr": "张主任",
}
# Who is in which group (the org above), for ``card`` looking in a person's groups.
GROUPS = {
    "wlw-review": ("xiaowang", "laozhou", "likz", "zhaofzr", "wangzr"),
    "wlw-duty": ("xiaowang", "laozhou", "likz", "wangzr"),
    "zfb-jg": ("zhangzr",),
}
ROBOTS = {"wlw-review": REVIEW_ROBOT, "wlw-duty": DUTY_ROBOT, "zfb-jg": SUPERVISION_ROBOT}


@dataclass
class Got:
    """Something the bot delivered, as the person sees it on their platform."""

    text: str  # all visible text (a card's title, body, fields and buttons)
    title: str  # a card's title; "" for a plain message
    buttons: list[str]
    where: str  # a person's key, or "group:<chat key>"
    handle: Any = field(repr=False)  # what the platform needs to tap it
    mentions: list[str] = field(default_factory=list)  # the people @-mentioned (keys)

    def __str__(self) -> str:
        return self.text


@dataclass
class Pick:
    """A form answer chosen from options: a button on the console and WeCom, a select on
    Feishu (``feishu``: the option's value there, when it differs from the label)."""

    key: str
    label: str
    feishu: str | None = None


@dataclass
class Write:
    """A form answer typed in: a chat message on the console and WeCom, a field on Feishu.

    ``feishu``: the field's value there, when it differs; ``in_chat=False``: a field only the
    Feishu card has; ``after_card=True``: what Feishu asks in the chat after the card (files,
    which cards cannot take)."""

    key: str
    text: str
    feishu: str | None = None
    in_chat: bool = True
    after_card: bool = False


@dataclass
class Files:
    """Files for a form's attachments step: sent in the chat one by one, then 好了 (无 when
    there are none) — on every platform, since no card takes files; on Feishu after the card."""

    key: str
    files: list[tuple[str, bytes]]


Answer = Pick | Write | Files

# The 开设 form for PLATFORMS_ORG's clerk (老周 of the 文旅委), opening 临江文旅 on Weibo.
OPEN_FORM: list[Answer] = [
    Write("platform", "微博", feishu="weibo"),
    Write("platform_name", "", in_chat=False),
    Write("subject", "同上", feishu="临江区文化和旅游发展委员会"),
    Write("name", "临江文旅"),
    Write("account_id", "ljwl_weibo"),
    Write("reason", "文旅宣传"),
    Write("manager_name", "李科长"),
    Write("manager_phone", "13900000034"),
    Write("operator_name", "老周"),
    Write("operator_phone", "13900000036"),
    Write("plan_lead", "赵副主任分管"),
    Write("plan_funding", "部门预算"),
    Write("plan_rules", "三审三校"),
    Write("plan_contact", "老周 13900000036"),
]


class PlatformChat(ABC):
    """A scenario's view of one platform: people say things, tap cards, fill forms."""

    name: str

    # Real ``dutybot serve`` and ``worker`` processes do the work (``live_platform_chat``):
    # the test neither delivers the outbox nor moves a clock, it waits for what the processes
    # send, in real time.
    live = False

    def __init__(self, services: Services) -> None:
        self.services = services
        self.looked_at: set[str] = set()  # people and "group:…" whose messages were read
        self.ignored: set[str] = set()

    @property
    def patience(self) -> int:
        r"""How many ``wait``\ s before a card or text counts as never coming."""
        return 200 if self.live else 40

    # ---- what each platform implements ---------------------------------------------------

    @abstractmethod
    async def say(self, person: str, text: str) -> None:
        """``person`` writes ``text`` to the bot 1:1."""

    @abstractmethod
    async def send_file(self, person: str, name: str, data: bytes) -> None:
        """``person`` sends a file to the bot 1:1."""

    async def send_files(self, person: str, answer: Files) -> None:
        for name, data in answer.files:
            await self.send_file(person, name, data)
            await self.expect(person, f"已收到「{name}」")
        await self.say(person, "好了" if answer.files else "无")

    @abstractmethod
    async def tap(
        self, person: str, got: Got, button: str, form: dict[str, str] | None = None
    ) -> str | None:
        """``person`` taps ``button`` on the card ``got``; the toast, where the platform
        shows one (WeCom's template cards have none)."""

    @abstractmethod
    async def _delivered(self, where: str) -> list[Got]:
        """Everything delivered to a person (key) or group ("group:<key>"), oldest first,
        each card as it looks now."""

    @abstractmethod
    async def _recipients(self) -> set[str]:
        """Every person key and "group:<key>" the bot delivered anything to."""

    @abstractmethod
    def _activity(self) -> int:
        """A count that grows with everything the bot does on the platform (sends, updates)."""

    async def _settle(self, before: int, *, answered: bool = False) -> None:
        """After a person's action: deliver what it caused (in process), or wait until the
        processes have answered (live; ``answered``: the platform's request already carried
        the answer, as a Feishu card callback does — a refusal may send nothing else)."""
        if not self.live:
            await settle(self.services)
            return
        if answered:
            await asyncio.sleep(0.5)
            return
        deadline = asyncio.get_running_loop().time() + 60
        while self._activity() <= before:
            assert asyncio.get_running_loop().time() < deadline, "the bot never answered"
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # what else the same action sends

    # ---- the same on every platform --------------------------------------------------------

    async def received(self, where: str) -> list[Got]:
        """What a person (key) or a group ("group:<key>") got, oldest first."""
        self.looked_at.add(where)
        return await self._delivered(where)

    async def texts(self, where: str) -> str:
        return "\n".join(g.text for g in await self.received(where))

    async def expect(self, where: str, *texts: str) -> str:
        """Everything ``where`` got, failing unless each of ``texts`` is in it."""
        for _ in range(self.patience):  # a platform's rate budget may hold a message back
            everything = await self.texts(where)
            if all(t in everything for t in texts):
                return everything
            await self.wait()
        missing = [t for t in texts if t not in everything]
        raise AssertionError(f"{where} on {self.name} never got {missing}:\n{everything}")

    async def card(self, person: str, title: str, *, button: str | None = None) -> Got:
        """The newest card whose title contains ``title`` (and, if given, that has ``button``)
        in ``person``'s 1:1 chat, else in the groups ``person`` is in (where the platform
        posts it there)."""
        places = [person] + [f"group:{g}" for g, members in GROUPS.items() if person in members]
        for _ in range(self.patience):
            for where in places:
                for got in reversed(await self.received(where)):
                    wanted = button is None or button in got.buttons
                    if got.title and title in got.title and wanted:
                        return got
            await self.wait()
        titles = [g.title or g.text[:40] for w in places for g in await self.received(w)]
        raise AssertionError(f"no card {title!r} for {person} on {self.name}; got {titles}")

    async def choose(self, person: str, label: str) -> str | None:
        """Pick ``label`` from the options the bot just offered ``person``: tap it on the card;
        where the options do not fit on a card (WeCom's six buttons) the bot numbers them in
        the chat, and the person answers with the number."""
        newest = None
        for _ in range(self.patience):
            got = await self.received(person)
            newest = got[-1] if got else None
            if newest is not None and label in newest.buttons:
                return await self.tap(person, newest, label)
            for line in (newest.text if newest else "").replace("\\n", "\n").splitlines():
                number, _, option = line.strip().partition(". ")
                if number.isdigit() and option.startswith(label):
                    await self.say(person, number)
                    return None
            await self.wait()
        raise AssertionError(f"{label!r} is not among the options offered: {newest}")

    async def decide(self, person: str, got: Got, button: str, key: str, text: str) -> None:
        """Tap ``button`` with a text the decision needs (a reason, a comment): typed into the
        card where cards take input (console, Feishu); on WeCom, whose template cards take
        none, the bot asks for it in the chat after the tap."""
        await self.tap(person, got, button, {key: text})

    async def fill(self, person: str, title: str, answers: list[Answer]) -> None:
        """Answer the form whose cards are titled ``title``: in the chat, one question at a
        time (console, WeCom)."""
        for answer in answers:
            if isinstance(answer, Pick):
                got = await self.card(person, title)
                label = next((b for b in got.buttons if b.startswith(answer.label)), None)
                assert label is not None, f"no option {answer.label!r} on {got.buttons}"
                await self.tap(person, got, label)
            elif isinstance(answer, Files):
                await self.send_files(person, answer)
            elif answer.in_chat:
                await self.say(person, answer.text)

    async def wait(self) -> None:
        """Let a rate-limited delivery through: the outbox retries on the (manual) clock, the
        platform's budget refills in real time. Live: the processes' clock is real."""
        if self.live:
            await asyncio.sleep(0.3)
            return
        clock = self.services.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(seconds=1))
        await asyncio.sleep(0.2)
        await settle(self.services)

    async def travel(self, to: datetime) -> None:
        """Move the bot's clock forward to ``to`` and let what became due fire: in process, the
        manual clock and the reconciler (the worker's cron); live, the demo clock the
        processes share (``DUTYBOT_DEMO_CLOCK``, ``live_platform_chat(demo_clock=True)``):
        both re-read it within a second and the worker's reconcile cron fires what is due."""
        clock = self.services.clock
        if self.live:
            assert isinstance(clock, OffsetClock), "live travel needs demo_clock=True"
            clock.offset += to - clock.now()
            await save_demo_offset(clock.offset, to)
            await asyncio.sleep(DEMO_CLOCK_POLL_SECONDS + 0.5)
            return
        assert isinstance(clock, ManualClock)
        clock.set(to)
        await reconciler.reconcile(self.services)
        await settle(self.services)

    def ignore(self, *who: str) -> None:
        """The scenario does not care what these people (keys) or groups ("group:…") got."""
        self.ignored.update(who)

    async def assert_all_seen(self) -> None:
        unread = sorted((await self._recipients()) - self.looked_at - self.ignored)
        assert not unread, (
            f"on {self.name} the bot wrote to {unread}, whom the scenario never looked at"
            " (read with received/expect/card, or ignore)"
        )


# ---- the console ---------------------------------------------------------------------------


class ConsoleChat(PlatformChat):
    name = "console"

    def __init__(self, services: Services, harness: ChatHarness) -> None:
        super().__init__(services)
        self.h = harness

    async def say(self, person: str, text: str) -> None:
        await self.h.say(person, text)

    async def send_file(self, person: str, name: str, data: bytes) -> None:
        await self.h.send_file(person, name, data)

    async def tap(
        self, person: str, got: Got, button: str, form: dict[str, str] | None = None
    ) -> str | None:
        chat = got.where if got.where.startswith("group:") else None
        # The card as it looks now (a tap may have changed its buttons since it was read).
        card = got.handle
        for now in await self._delivered(got.where):
            if now.handle is not None and now.handle.card_id == card.card_id:
                card = now.handle
        tapped = await self.h.tap(person, card, button, form=form, chat=chat)
        assert tapped.status == 200, tapped
        return tapped.toast

    async def _delivered(self, where: str) -> list[Got]:
        if where.startswith("group:"):
            members = GROUPS[where.removeprefix("group:")]
            said = await self.h.messages(members[0], where)
        else:
            said = await self.h.messages(where)
        return [_console_got(s, where) for s in said if s.sender is None]

    def _activity(self) -> int:
        return 0  # never live: the console harness delivers as it goes

    async def _recipients(self) -> set[str]:
        rows = await ConsoleMessage.filter(sender_person_id=None).values_list("chat", flat=True)
        chats = [str(c) for c in rows]
        return {c if c.startswith("group:") else c.removeprefix("dm:") for c in chats}


def _console_got(said: Said, where: str) -> Got:
    card: Card | None = said.card
    files = "".join(f"\n[文件] {f['name']}" for f in said.files)
    return Got(
        text=said.to_text() + files,
        title=card.title if card is not None else "",
        buttons=[b.label for b in card.buttons] if card is not None else [],
        where=where,
        handle=card,
        mentions=[key for key, name in NAMES.items() if name in said.mentions],
    )


# ---- WeCom ---------------------------------------------------------------------------------


class WeComChat(PlatformChat):
    name = "wecom"

    def __init__(
        self,
        services: Services,
        client: TestClient[Any, Any] | None,
        platform: WeComPlatform,
        base_url: str | None = None,
    ) -> None:
        super().__init__(services)
        self.client = client
        self.platform = platform
        self.base_url = base_url  # live: the running ``dutybot serve``
        self.live = base_url is not None
        self.msgid = 9000

    async def post(self, xml: str) -> None:
        """Deliver a callback (decrypted XML), signed and encrypted as WeCom does."""
        before = self._activity()
        if self.base_url is not None:
            status, body = await self.platform.post(self.base_url, xml)
            assert status == 200, body
        else:
            assert self.client is not None
            signed = self.platform.signer.post(xml, agent_id=AGENT_ID)
            resp = await self.client.post(f"/wecom/callback?{signed.query}", data=signed.body)
            assert resp.status == 200, await resp.text()
        await self._settle(before)

    def _activity(self) -> int:
        return len(self.platform.api.calls)

    async def say(self, person: str, text: str) -> None:
        self.msgid += 1
        await self.post(text_xml(CORP_ID, person, text, str(self.msgid)))

    async def send_file(self, person: str, name: str, data: bytes) -> None:
        # WeCom sends only a MediaId; the bot fetches name and bytes with media/get.
        self.msgid += 1
        media_id = self.platform.api.add_media(name, data)
        await self.post(file_xml(CORP_ID, person, str(self.msgid), media_id))

    async def tap(
        self, person: str, got: Got, button: str, form: dict[str, str] | None = None
    ) -> str | None:
        # Template cards carry no inputs: what a form would hold, the bot asks in the chat.
        await self.post(self.platform.tap(person, got.handle, button))
        return None

    async def decide(self, person: str, got: Got, button: str, key: str, text: str) -> None:
        await self.tap(person, got, button)
        await self.say(person, text)

    async def _delivered(self, where: str) -> list[Got]:
        api = self.platform.api
        if where.startswith("group:"):
            posts = api.robot_posts(ROBOTS[where.removeprefix("group:")])
            found = []
            for post in posts:
                text = json.dumps(post, ensure_ascii=False)
                found.append(Got(text, "", [], where, None, re.findall(r"<@(\w+)>", text)))
            return found
        found = []
        for sent in api.sent(touser=where):
            if sent.get("msgtype") == "template_card":
                card = sent["template_card"]
                card = api.cards.get((where, card["task_id"]), card)  # as updated since
                found.append(
                    Got(
                        text=json.dumps(card, ensure_ascii=False),
                        title=card["main_title"]["title"],
                        buttons=[b["text"] for b in card.get("button_list") or []],
                        where=where,
                        handle=card,
                    )
                )
            elif sent.get("msgtype") == "file":
                name, _ = api.media[sent["file"]["media_id"]]
                found.append(Got(f"[文件] {name}", "", [], where, None))
            else:
                text = json.dumps(sent, ensure_ascii=False)
                found.append(Got(text, "", [], where, None))
        return found

    async def _recipients(self) -> set[str]:
        api = self.platform.api
        people = {u for s in api.sent() for u in str(s.get("touser", "")).split("|") if u}
        robots = {c.query.get("key") for c in api.calls_to("webhook/send")}
        groups = {f"group:{chat}" for chat, key in ROBOTS.items() if key in robots}
        return people | groups


# ---- Feishu --------------------------------------------------------------------------------


class FeishuChat(PlatformChat):
    name = "feishu"

    def __init__(
        self, services: Services, fake: FakeFeishu, url: str, *, live: bool = False
    ) -> None:
        super().__init__(services)
        self.fake = fake
        self.url = url  # the bot's /feishu/events
        self.live = live

    def _activity(self) -> int:
        return sum(len(m.history) for m in self.fake.sent())

    async def send_file(self, person: str, name: str, data: bytes) -> None:
        before = self._activity()
        event = self.fake.file_message_event(
            sender_open_id=f"ou_{person}", kind="file", name=name, data=data
        )
        assert (await self.fake.post_to_bot(self.url, event))[0] == 200
        await self._settle(before)

    async def say(self, person: str, text: str) -> None:
        before = self._activity()
        event = self.fake.message_event(sender_open_id=f"ou_{person}", text=text)
        assert (await self.fake.post_to_bot(self.url, event))[0] == 200
        await self._settle(before)

    async def tap(
        self, person: str, got: Got, button: str, form: dict[str, str] | None = None
    ) -> str | None:
        before = self._activity()
        answer = await self.fake.tap(
            self.url, got.handle, button, operator_open_id=f"ou_{person}", form=form
        )
        await self._settle(before, answered=True)
        toast = answer.get("toast") or {}
        content = toast.get("content")
        return str(content) if content is not None else None

    async def fill(self, person: str, title: str, answers: list[Answer]) -> None:
        """Feishu forms are one card: every answer in its field, then 下一步; what cards cannot
        take (files) is asked in the chat after."""
        on_card = [
            a
            for a in answers
            if not isinstance(a, Files) and not (isinstance(a, Write) and a.after_card)
        ]
        values = {a.key: _feishu_value(a) for a in on_card}
        form_card = await self.card(person, title, button="下一步")
        toast = await self.tap(person, form_card, "下一步", values)
        assert toast is None or "需要修改" not in toast, (toast, await self.texts(person))
        for answer in answers:
            if isinstance(answer, Files):
                await self.send_files(person, answer)
            elif isinstance(answer, Write) and answer.after_card:
                await self.say(person, answer.text)

    async def _delivered(self, where: str) -> list[Got]:
        if where.startswith("group:"):
            receive_id = f"oc_{where.removeprefix('group:')}"
        else:
            receive_id = f"ou_{where}"
        found = []
        for message in self.fake.sent(receive_id=receive_id):
            if message.msg_type == "interactive":
                card = message.card
                title = str(((card.get("header") or {}).get("title") or {}).get("content", ""))
                buttons = [str(b["text"]["content"]) for b in buttons_of(card)]
            else:
                title, buttons = "", []
            text = message.text
            if message.msg_type == "file":  # the name is where the bot uploaded it
                text = "[文件] " + self.fake.uploads[text.removeprefix("[文件] ")][0]
            mentions = re.findall(r"<at (?:user_)?id=\\?\"?ou_(\w+)", message.content)
            found.append(Got(text, title, buttons, where, message.message_id, mentions))
        return found

    async def _recipients(self) -> set[str]:
        ids = {m.receive_id for m in self.fake.sent()}
        return {
            f"group:{i.removeprefix('oc_')}" if i.startswith("oc_") else i.removeprefix("ou_")
            for i in ids
        }


def _feishu_value(answer: Pick | Write) -> str:
    if answer.feishu is not None:
        return answer.feishu
    return answer.label if isinstance(answer, Pick) else answer.text


# ---- opening one ---------------------------------------------------------------------------

PLATFORMS = ("console", "wecom", "feishu")
# With real processes: the console harness delivers in the test process, so it has no live form.
LIVE_PLATFORMS = ("wecom", "feishu")


@asynccontextmanager
async def platform_chat(
    name: str, services: Services, *, check: Callable[[], bool] = lambda: True
) -> AsyncIterator[PlatformChat]:
    """The bot on ``name`` alone (as a deployment on that platform), ``PLATFORMS_ORG`` loaded;
    after the scenario, fails on messages to people it never looked at (unless ``check()``
    says not to: the fixtures skip it when the scenario itself already failed)."""
    await load_org_text(PLATFORMS_ORG, services.clock.now())
    chat: PlatformChat
    if name == "console":
        watching(services)
        app = create_app(services, load_all(), console=True)
        async with TestClient(TestServer(app)) as client:
            chat = ConsoleChat(services, ChatHarness(client, services))
            yield chat
            if check():
                await chat.assert_all_seen()
    elif name == "wecom":
        fake = FakeWeCom(
            corp_id=CORP_ID,
            secret=SECRET,
            agent_id=AGENT_ID,
            robot_keys={REVIEW_ROBOT, DUTY_ROBOT, SUPERVISION_ROBOT},
        )
        await fake.start()
        aes_key = random_aes_key()
        services.settings = wecom_settings(services.settings, fake.url, aes_key)
        services.channels.clear()  # people are reached on WeCom only, as in a WeCom deployment
        enable_wecom(services)
        try:
            app = create_app(services, load_all(), console=False)
            async with TestClient(TestServer(app)) as client:
                platform = WeComPlatform(api=fake, signer=CallbackSigner(TOKEN, aes_key, CORP_ID))
                chat = WeComChat(services, client, platform)
                yield chat
                if check():
                    await chat.assert_all_seen()
        finally:
            await services.wait_background()
            await services.close()
            await fake.stop()
    elif name == "feishu":
        fake_feishu = FakeFeishu()
        await fake_feishu.start()
        services.settings = feishu_settings(services.settings, fake_feishu)
        people._known_cache.clear()  # which Feishu ids are on file is cached per process
        services.channels.clear()
        install_feishu(services)
        try:
            app = create_app(services, load_all(), console=False)
            async with TestClient(TestServer(app)) as client:
                chat = FeishuChat(services, fake_feishu, str(client.make_url("/feishu/events")))
                yield chat
                if check():
                    await chat.assert_all_seen()
        finally:
            await close_feishu(services)
            await fake_feishu.close()
    else:
        raise AssertionError(f"no platform {name!r}")


@asynccontextmanager
async def live_platform_chat(
    name: str,
    services: Services,
    db_url: str,
    redis_url: str,
    tmp_path: Path,
    *,
    check: Callable[[], bool] = lambda: True,
    demo_clock: bool = False,
) -> AsyncIterator[PlatformChat]:
    """The same, with real ``dutybot serve`` and ``dutybot worker`` processes doing the work
    (``python -m bot``, the test's database and Redis, the fake platform): the scenario only
    sends what the platform would and waits for what the processes deliver.

    ``demo_clock``: the processes and the test share the demo clock stored in the database
    (real time plus an offset ``travel`` moves), so a scenario can wait out a countdown of
    minutes in seconds."""
    calendar = {"DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml")}
    if demo_clock:
        calendar["DUTYBOT_DEMO_CLOCK"] = "true"
        services.clock = OffsetClock(SHANGHAI)
    chat: PlatformChat
    if name == "wecom":
        robots = {REVIEW_ROBOT, DUTY_ROBOT, SUPERVISION_ROBOT}
        async with running_stack(
            db_url,
            redis_url,
            tmp_path,
            random_aes_key(),
            org=PLATFORMS_ORG,
            robot_keys=robots,
            extra_env=calendar,
        ) as (base, platform, _):
            chat = WeComChat(services, None, platform, base_url=base)
            yield chat
            if check():
                await chat.assert_all_seen()
    elif name == "feishu":
        await load_org_text(PLATFORMS_ORG, services.clock.now())
        fake = FakeFeishu()
        await fake.start()
        try:
            async with running_processes(fake, db_url, redis_url, tmp_path, calendar) as running:
                chat = FeishuChat(services, fake, running[0] + "/feishu/events", live=True)
                yield chat
                if check():
                    await chat.assert_all_seen()
        finally:
            await fake.close()
    else:
        raise AssertionError(f"no live platform {name!r}")
