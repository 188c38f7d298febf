"""The console simulator: a page at /console and the small JSON API behind it.

See docs/console-api.md. Everything a person does here goes through the same dispatch as
WeCom and Feishu; only the transport differs.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, Field, ValidationError
from tortoise.transactions import in_transaction

from bot import dispatch
from bot.adapters.console.channel import dm_chat, group_chat
from bot.clock import OffsetClock
from bot.core import files, untrusted
from bot.core.directory import chats_of, load_member
from bot.core.events import CardActionEvent, FileEvent, Place, PlatformUser, TextEvent
from bot.core.files import download_path
from bot.core.media import MAX_BYTES
from bot.core.outgoing import FileRef
from bot.system_state import save_demo_offset
from bot.web.keys import ROUTER_KEY, SERVICES_KEY
from storage.enums import IdentityKind, Platform, Role
from storage.models.machinery import ConsoleMessage
from storage.models.org import Chat, ChatMember, Identity, Person, Unit

MAX_TEXT = 4000
# Row ids are 64-bit: a larger ``after`` would overflow the database's integer.
MAX_ID = 2**63 - 1


class SendMessage(BaseModel):
    as_: str = Field(alias="as", min_length=1, max_length=128)
    chat: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str | None = Field(default=None, max_length=100)


class TapAction(BaseModel):
    as_: str = Field(alias="as", min_length=1, max_length=128)
    chat: str = Field(min_length=1, max_length=100)
    card_id: str = Field(min_length=1, max_length=64)
    action: str = Field(min_length=1, max_length=100)
    payload: dict[str, str] = Field(default_factory=dict)
    form: dict[str, str] = Field(default_factory=dict)
    client_id: str | None = Field(default=None, max_length=100)


class ClockChange(BaseModel):
    advance_minutes: float | None = Field(default=None, ge=0, le=60 * 24 * 400)
    reset: bool = False


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"ok": False, "error": message}, ensure_ascii=False),
        content_type="application/json",
    )


async def _read_json(request: web.Request) -> Any:
    try:
        value = untrusted.loads(await request.read())
    except untrusted.BadJson as exc:
        raise _bad_request(exc.reason) from None
    if untrusted.clean(value) != value:
        raise _bad_request("请求内容含有无法保存的字符（NUL 或不成对的代理字符）")
    return value


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "请求"
    return f"字段 {where} 不正确：{first['msg']}"


async def _person_for_handle(handle: str) -> Person | None:
    identity = await Identity.filter(
        platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value=handle
    ).first()
    if identity is None:
        return None
    return await Person.filter(id=identity.person_id, active=True).first()


async def _place_for(person: Person | None, handle: str, chat: str) -> Place | None:
    """The place a console chat key names, if the person may speak there."""
    if chat == dm_chat(handle):
        return Place(platform=Platform.CONSOLE, kind="dm")
    if chat.startswith("group:") and person is not None:
        chat_key = chat[len("group:") :]
        row = await Chat.filter(key=chat_key, active=True).first()
        if row is None:
            return None
        if not await ChatMember.filter(chat_id=row.id, person_id=person.id).exists():
            return None
        return Place(platform=Platform.CONSOLE, kind="group", chat_ref=chat_key)
    return None


async def index(request: web.Request) -> web.Response:
    page = resources.files("bot.adapters.console").joinpath("static/index.html").read_text("utf-8")
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in {"console.js", "console.css"}:
        raise web.HTTPNotFound()
    body = resources.files("bot.adapters.console").joinpath(f"static/{name}").read_text("utf-8")
    kind = "application/javascript" if name.endswith(".js") else "text/css"
    return web.Response(text=body, content_type=kind, charset="utf-8")


async def list_people(request: web.Request) -> web.Response:
    identities = await Identity.filter(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE)
    by_person = {i.person_id: i.value for i in identities}
    people = await Person.filter(id__in=list(by_person), active=True).order_by("unit_id", "id")
    units = {u.id: u for u in await Unit.all()}
    result = []
    for person in people:
        member = await load_member(person.id)
        assert member is not None
        roles = sorted(member.roles, key=list(Role).index)
        result.append(
            {
                "handle": by_person[person.id],
                "key": person.key,
                "name": person.name,
                "unit": units[person.unit_id].name,
                "roles": [r.value for r in roles],
                "role_labels": [r.label for r in roles],
            }
        )
    return web.json_response({"ok": True, "people": result})


def _query(request: web.Request, name: str) -> str:
    """A query parameter; NUL or a lone surrogate (which the database refuses) is a 400."""
    value = request.query.get(name, "")
    if untrusted.has_unstorable(value):
        raise _bad_request(f"参数 {name} 含有无法识别的字符")
    return value


async def list_chats(request: web.Request) -> web.Response:
    handle = _query(request, "as")
    person = await _person_for_handle(handle)
    if person is None:
        return _error(404, f"控制台里没有用户“{handle}”")
    seen = _seen_ids(_query(request, "seen"))
    if seen is None:
        return _error(400, "seen 应为 {会话: 已读到的消息编号} 形式的 JSON")
    chats: list[dict[str, str | int]] = [
        {"chat": dm_chat(handle), "name": "值班助手（单聊）", "kind": "dm", "purpose": ""}
    ]
    for chat in await chats_of(person.id):
        chats.append(
            {
                "chat": group_chat(chat.key),
                "name": chat.name,
                "kind": "group",
                "purpose": chat.purpose.value,
            }
        )
    # Unread: the bot's messages after the one the page last showed in that chat, so that a
    # card waiting in a group is visible from any other chat (the page keeps what it showed).
    for entry in chats:
        chat_key = str(entry["chat"])
        bot_messages = ConsoleMessage.filter(chat=chat_key, sender_person_id=None)
        entry["unread"] = await bot_messages.filter(id__gt=seen.get(chat_key, 0)).count()
    return web.json_response({"ok": True, "chats": chats})


def _seen_ids(raw: str) -> dict[str, int] | None:
    """``{"dm:likz": 12, …}`` from the page (empty: nothing seen); None when malformed."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    seen: dict[str, int] = {}
    for chat, last in value.items():
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
            return None
        seen[str(chat)] = last
    return seen


async def list_messages(request: web.Request) -> web.Response:
    handle = _query(request, "as")
    chat = _query(request, "chat")
    person = await _person_for_handle(handle)
    # A stranger may read their own 1:1 view (where the polite refusal lands), nothing else.
    if await _place_for(person, handle, chat) is None:
        return _error(403, "您不在这个会话中")
    try:
        after = int(request.query.get("after", "0"))
        limit = min(500, max(1, int(request.query.get("limit", "100"))))
    except ValueError:
        return _error(400, "after 和 limit 必须是整数")
    if not 0 <= after <= MAX_ID:
        return _error(400, f"after 应在 0 到 {MAX_ID} 之间")
    rows = (await ConsoleMessage.filter(chat=chat, id__gt=after).order_by("-id").limit(limit))[::-1]
    sender_ids = {r.sender_person_id for r in rows if r.sender_person_id is not None}
    senders = {p.id: p for p in await Person.filter(id__in=list(sender_ids))}
    services = request.app[SERVICES_KEY]
    messages = []
    for row in rows:
        sender = senders.get(row.sender_person_id) if row.sender_person_id else None
        messages.append(
            {
                "id": row.id,
                "sender": {"key": sender.key, "name": sender.name} if sender else None,
                "text": row.text,
                "card": row.card,
                "mentions": row.mentions,
                "files": [
                    {**f, "url": await download_path(services, FileRef.model_validate(f))}
                    for f in row.files or []
                ],
                "created_at": row.created_at.astimezone(services.tz).isoformat(),
            }
        )
    return web.json_response({"ok": True, "messages": messages})


_Body = TypeVar("_Body", SendMessage, TapAction)


async def _parse_as_member(
    request: web.Request, model: type[_Body]
) -> tuple[_Body, Person | None, Place] | web.Response:
    """The request body, who it is sent as, and the chat: or the error answer to give."""
    try:
        body = model.model_validate(await _read_json(request))
    except ValidationError as exc:
        return _error(400, _validation_message(exc))
    person = await _person_for_handle(body.as_)
    place = await _place_for(person, body.as_, body.chat)
    if place is None:
        return _error(403, "您不在这个会话中")
    return body, person, place


async def _say(
    request: web.Request,
    event: TextEvent | FileEvent,
    person: Person | None,
    chat: str,
    shown: dict[str, Any],
    answer: dict[str, Any] | None = None,
) -> web.Response:
    """Record what a person sent, show it in the chat (``shown``: its text or files), have it
    handled, and answer with the outcome (plus ``answer``). A repeated client_id is a duplicate."""
    inbound = await dispatch.accept(event)
    if inbound is None:
        return web.json_response({"ok": True, "duplicate": True, "toast": None})
    if person is not None:
        async with in_transaction() as conn:
            await ConsoleMessage.create(
                using_db=conn,
                chat=chat,
                sender_person_id=person.id,
                created_at=event.received_at,
                updated_at=event.received_at,
                **shown,
            )
    outcome = await dispatch.process(request.app[SERVICES_KEY], request.app[ROUTER_KEY], inbound)
    return web.json_response(
        {
            "ok": not outcome.failed,
            "duplicate": outcome.duplicate,
            **(answer or {}),
            "toast": outcome.toast.model_dump() if outcome.toast else None,
        }
    )


async def send_message(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    parsed = await _parse_as_member(request, SendMessage)
    if isinstance(parsed, web.Response):
        return parsed
    body, person, place = parsed
    now = services.clock.now()
    event = TextEvent(
        key=body.client_id or uuid.uuid4().hex,
        sender=PlatformUser(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value=body.as_),
        place=place,
        received_at=now,
        text=body.text,
    )
    return await _say(request, event, person, body.chat, {"text": body.text})


async def tap_action(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    parsed = await _parse_as_member(request, TapAction)
    if isinstance(parsed, web.Response):
        return parsed
    body, _, place = parsed
    event = CardActionEvent(
        key=body.client_id or uuid.uuid4().hex,
        sender=PlatformUser(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value=body.as_),
        place=place,
        received_at=services.clock.now(),
        card_id=body.card_id,
        action=body.action,
        payload=body.payload,
        form=body.form,
    )
    outcome = await dispatch.handle(services, request.app[ROUTER_KEY], event)
    return web.json_response(
        {
            "ok": not outcome.failed,
            "duplicate": outcome.duplicate,
            "toast": outcome.toast.model_dump() if outcome.toast else None,
            "card": outcome.card.model_dump(mode="json") if outcome.card else None,
        }
    )


async def upload_file(request: web.Request) -> web.Response:
    """A person sends an image or file: multipart fields ``as``, ``chat``, ``file``
    (and optionally ``client_id``). Stored at once; the bot sees a FileEvent with its id."""
    services = request.app[SERVICES_KEY]
    if not request.content_type.startswith("multipart/"):
        return _error(400, "请用 multipart/form-data 上传，文件字段名为 file")
    fields: dict[str, str] = {}
    name = ""
    data = b""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            # aiohttp clients percent-encode non-ASCII names; browsers send them raw.
            name = untrusted.clean_text(Path(unquote(part.filename or "")).name)
            # Read by chunks: part.read() stops at the app's 2 MB body limit (meant for JSON),
            # and a file over the documented 20 MB is refused without reading it all.
            buffer = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                buffer.extend(chunk)
                if len(buffer) > MAX_BYTES:
                    return _error(413, f"文件太大了（最大 {MAX_BYTES // 1024 // 1024} MB）")
            data = bytes(buffer)
        elif part.name:
            fields[part.name] = untrusted.clean_text((await part.text())[:200])
    handle, chat = fields.get("as", ""), fields.get("chat", "")
    if not handle or not chat:
        return _error(400, "缺少 as 或 chat 字段")
    if not name or not data:
        return _error(400, "没有收到文件，或文件是空的")
    person = await _person_for_handle(handle)
    place = await _place_for(person, handle, chat)
    if place is None:
        return _error(403, "您不在这个会话中")
    now = services.clock.now()
    event_key = fields.get("client_id") or uuid.uuid4().hex
    async with in_transaction() as conn:
        ref = await files.save(
            services,
            conn,
            name=name[:120],
            data=data,
            now=now,
            subject_type="upload",
            subject_id=event_key,
            created_by=person.id if person else None,
        )
    suffix = Path(name).suffix.lower()
    event = FileEvent(
        key=event_key,
        sender=PlatformUser(platform=Platform.CONSOLE, kind=IdentityKind.HANDLE, value=handle),
        place=place,
        received_at=now,
        kind="image" if suffix in (".png", ".jpg", ".jpeg", ".gif") else "file",
        name=ref.name,
        file_id=ref.file_id,
    )
    file = ref.model_dump(mode="json")
    return await _say(request, event, person, chat, {"files": [file]}, {"file": file})


def _clock_state(request: web.Request) -> dict[str, Any]:
    services = request.app[SERVICES_KEY]
    clock = services.clock
    enabled = services.demo and isinstance(clock, OffsetClock)
    offset = clock.offset.total_seconds() if isinstance(clock, OffsetClock) else 0.0
    return {
        "ok": True,
        "enabled": enabled,
        "now": clock.now().isoformat(),
        "offset_seconds": offset,
    }


async def get_clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_state(request))


async def change_clock(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    clock = services.clock
    if not (services.demo and isinstance(clock, OffsetClock)):
        return _error(403, "只有演示模式（dutybot demo）可以调整时钟")
    try:
        body = ClockChange.model_validate(await _read_json(request))
    except ValidationError as exc:
        return _error(400, _validation_message(exc))
    if body.reset:
        clock.reset()
    elif body.advance_minutes is not None:
        clock.advance(timedelta(minutes=body.advance_minutes))
    else:
        return _error(400, "请给出 advance_minutes 或 reset")
    await save_demo_offset(clock.offset, services.clock.now())
    hook = services.on_clock_change
    if hook is not None:
        await hook()
    return web.json_response(_clock_state(request))


def setup_console(app: web.Application) -> None:
    app.router.add_get("/console", index)
    app.router.add_get("/console/", index)
    app.router.add_get("/console/static/{name}", static_file)
    app.router.add_get("/console/api/people", list_people)
    app.router.add_get("/console/api/chats", list_chats)
    app.router.add_get("/console/api/messages", list_messages)
    app.router.add_post("/console/api/messages", send_message)
    app.router.add_post("/console/api/actions", tap_action)
    app.router.add_post("/console/api/files", upload_file)
    app.router.add_get("/console/api/clock", get_clock)
    app.router.add_post("/console/api/clock", change_clock)
