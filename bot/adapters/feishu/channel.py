"""Feishu delivery: one outbox row → create / reply / PATCH / urgent_app calls.

Every create and reply carries a ``uuid`` derived from the row's idempotency key, so a retry
after a lost answer (or after a failure half-way through a text + card pair) does not post
twice: Feishu keeps the uuid for an hour. Rate budgets are shared through Redis, so all
processes together stay under the app, per-person, per-group and per-message limits; a 429
or 99991400 makes every process wait ``x-ogw-ratelimit-reset`` seconds.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

import aiohttp
from redis.asyncio import Redis

from bot import ratelimit
from bot.adapters.feishu import constants as c
from bot.adapters.feishu import people
from bot.adapters.feishu.api import FeishuApi, FeishuApiError, SentMessage, TokenFetchError
from bot.adapters.feishu.render import card_content, dumps, text_content
from bot.cards.model import Card, Mention
from bot.clock import Clock
from bot.core.channels import Delivered, DeliveryError, RateLimited
from bot.core.directory import identity_for
from bot.core.outgoing import FileRef, Message, OutboxPayload
from storage.enums import IdentityKind, Platform
from storage.models.machinery import CardDelivery, InboundEvent, OutboxMessage
from storage.models.org import Chat

log = logging.getLogger(__name__)

# The APIs whose app-level limits are counted apart (see ``_admit``): creating and replying to
# messages, PATCHing a card, 加急, uploading images and files.
SEND, PATCH, URGENT, UPLOAD = "send", "patch", "urgent", "upload"

# Reads a stored document's bytes (None when it is gone); see bot/files.py.
LoadFile = Callable[[str], Awaitable[bytes | None]]

# Outbox keys of rows written while handling a received message (``bot.core`` prefixes
# ``evt:`` to the event key, and this adapter's message keys are ``msg:<message_id>``).
_REPLY_KEY = re.compile(r"^evt:msg:([^:]+):\d+:")


@dataclass(frozen=True)
class Receiver:
    id_type: str  # receive_id_type: open_id | user_id | union_id | chat_id
    id: str
    kind: str  # person | chat | identity

    @property
    def budget_subject(self) -> str:
        return f"{self.id_type}:{self.id}"


def message_uuid(row: OutboxMessage, part: str) -> str:
    """Stable per row and part, at most 50 characters (Feishu's uuid limit)."""
    digest = hashlib.sha256(f"{row.idempotency_key}|{part}".encode()).hexdigest()
    return ("dutybot-" + digest)[: c.UUID_MAX_LENGTH]


def _mentioned(message: Message) -> list[Mention]:
    seen: dict[int, Mention] = {}
    for m in (*message.mentions, *(message.card.mentions if message.card else ())):
        seen.setdefault(m.person_id, m)
    return list(seen.values())


class FeishuChannel:
    """The outbox's Feishu channel."""

    platform = Platform.FEISHU

    def __init__(
        self, api: FeishuApi, redis: Redis, clock: Clock, load_file: LoadFile | None = None
    ) -> None:
        self.api = api
        self.redis = redis
        # The clock that stamps CardDelivery rows, so ages compare like with like.
        self.clock = clock
        self.load_file = load_file

    async def fetch_media(self, media: str, kind: str) -> tuple[bytes, str]:
        """What a person sent (``media`` is ``message_id/file_key``; see bot/core/media.py)."""
        message_id, _, file_key = media.partition("/")
        return await self.api.download_resource(message_id, file_key, kind)

    # ---- budgets ---------------------------------------------------------------------------

    async def _admit(self, api: str, subject: str, limits: Sequence[tuple[int, float]]) -> None:
        """Take one unit of the app's budget for ``api`` and of ``subject``'s, or postpone.

        Feishu's app limits (50/s, 1000/min) apply per API: a card update (PATCH) or an upload
        does not use up what sending messages may do, so each ``api`` has its own app budget
        and its own cool-down after a 429 (one budget for all of them starved sends while
        reminders refreshed cards)."""
        for scope in (f"app:{api}", subject):
            left_ms = await self.redis.pttl(c.cooldown_key(scope))
            if left_ms and left_ms > 0:
                raise RateLimited("飞书限流冷却中", retry_after=left_ms / 1000)
        app = f"app:{self.api.app_id}:{api}"
        wait = await ratelimit.take(self.redis, "feishu", app, c.APP_LIMITS)
        if wait > 0:
            raise RateLimited("飞书应用发送频率已达上限", retry_after=wait)
        wait = await ratelimit.take(self.redis, "feishu", subject, limits)
        if wait > 0:
            raise RateLimited("对同一人/群的发送频率已达上限", retry_after=wait)

    async def _cool_down(self, exc: FeishuApiError, api: str, subject: str) -> RateLimited:
        seconds = exc.retry_after or 1.0
        # 230020 is the per-chat/person limit; 429 / 99991400 the app's limit for the API.
        scope = subject if exc.code == 230020 else f"app:{api}"
        await self.redis.set(c.cooldown_key(scope), "1", px=int(seconds * 1000))
        return RateLimited(f"飞书限流（{exc.code}），{seconds:.0f} 秒后重试", retry_after=seconds)

    # ---- errors ----------------------------------------------------------------------------

    async def _guard(self, api: str, subject: str, exc: BaseException) -> DeliveryError:
        if isinstance(exc, FeishuApiError):
            if exc.rate_limited:
                return await self._cool_down(exc, api, subject)
            if isinstance(exc, TokenFetchError):
                return DeliveryError(str(exc), retry_after=60.0)
            if exc.transient or exc.token_invalid:
                return DeliveryError(str(exc), retry_after=exc.retry_after or 15.0)
            return DeliveryError(str(exc), retry_after=None)
        if isinstance(exc, aiohttp.ClientError | TimeoutError):
            return DeliveryError(f"连接飞书失败：{type(exc).__name__} {exc}", retry_after=15.0)
        raise exc

    # ---- receivers -------------------------------------------------------------------------

    async def _receiver(self, row: OutboxMessage, payload: OutboxPayload) -> Receiver:
        if row.target_kind == "person":
            identity = await identity_for(row.target_id, Platform.FEISHU)
            if identity is None:
                raise DeliveryError("该人员在组织名单中没有飞书账号", retry_after=None)
            return Receiver(IdentityKind(identity.kind).value, identity.value, "person")
        if row.target_kind == "chat":
            chat = await Chat.filter(id=row.target_id).first()
            if chat is None or not chat.feishu_chat_id:
                raise DeliveryError("该群没有登记飞书群（feishu_chat_id）", retry_after=None)
            return Receiver("chat_id", chat.feishu_chat_id, "chat")
        if row.target_kind == "identity" and payload.identity is not None:
            return Receiver(payload.identity["kind"], payload.identity["value"], "identity")
        raise DeliveryError(f"未知的收件类型 {row.target_kind}", retry_after=None)

    async def _reply_to(self, row: OutboxMessage, receiver: Receiver) -> str | None:
        """The group message this row answers, so the answer is threaded under it."""
        if receiver.kind != "chat":
            return None
        matched = _REPLY_KEY.match(row.idempotency_key)
        if matched is None:
            return None
        message_id = matched.group(1)
        inbound = await InboundEvent.filter(key=f"feishu:msg:{message_id}").first()
        place = (inbound.payload or {}).get("place") if inbound is not None else None
        # Reply only into the chat the message was said in (a reply lands in that chat).
        if isinstance(place, dict) and place.get("chat_ref") == receiver.id:
            return message_id
        return None

    # ---- sending ---------------------------------------------------------------------------

    async def _post(
        self,
        row: OutboxMessage,
        receiver: Receiver,
        msg_type: str,
        content: str,
        part: str,
        reply_to: str | None,
    ) -> SentMessage:
        await self._admit(SEND, receiver.budget_subject, c.TARGET_LIMITS)
        try:
            if reply_to is not None:
                try:
                    return await self.api.reply(
                        reply_to, msg_type, content, message_uuid(row, f"reply:{part}")
                    )
                except FeishuApiError as exc:
                    if exc.rate_limited or exc.transient or exc.token_invalid:
                        raise
                    # The message was recalled or is gone: post it plainly instead.
                    log.info("reply to %s refused (%s); sending as a new message", reply_to, exc)
            return await self.api.send(
                receiver.id_type, receiver.id, msg_type, content, message_uuid(row, part)
            )
        except Exception as exc:
            raise await self._guard(SEND, receiver.budget_subject, exc) from exc

    async def deliver(self, row: OutboxMessage, payload: OutboxPayload) -> Delivered:
        if payload.kind == "card_update":
            await self._update_card(row, payload)
            return Delivered()
        message = payload.message
        if message is None:
            raise DeliveryError("消息为空", retry_after=None)
        receiver = await self._receiver(row, payload)
        mentioned = _mentioned(message)
        ids = await people.feishu_ids(m.person_id for m in mentioned)
        at = {pid: v for pid, (kind, v) in ids.items() if kind in people.AT_KINDS}
        reply_to = await self._reply_to(row, receiver)
        last: SentMessage | None = None
        card = message.card
        if message.text or (message.mentions and card is None):
            last = await self._post(
                row, receiver, "text", text_content(message, at), "text", reply_to
            )
        elif card is not None and message.mentions:
            # No words to carry the @-mentions: the card carries them.
            merged = (*message.mentions, *[m for m in card.mentions if m not in message.mentions])
            card = card.model_copy(update={"mentions": merged})
        if card is not None:
            last = await self._post(
                row, receiver, "interactive", card_content(card, at), "card", reply_to
            )
        card_message = last if card is not None else None
        for ref in message.files:
            if ref.inline and ref.mime in c.IMAGE_MIMES and 0 < ref.size <= c.MAX_IMAGE_BYTES:
                # A picture meant to be seen (the duty roster's PNG) shows in the chat.
                content = dumps({"image_key": await self._image_key(ref)})
                last = await self._post(
                    row, receiver, "image", content, f"image:{ref.file_id}", reply_to
                )
                continue
            content = dumps({"file_key": await self._file_key(ref)})
            last = await self._post(row, receiver, "file", content, f"file:{ref.file_id}", reply_to)
        if last is None:
            raise DeliveryError("消息没有内容", retry_after=None)
        # A card's message id is what later updates need; otherwise the last message sent.
        last = card_message or last
        if message.urgent:
            await self._urgent(row, receiver, last.message_id, mentioned, ids)
        return Delivered(external_id=last.message_id)

    async def _file_key(self, ref: FileRef) -> str:
        """Upload a stored document once; later sends of the same file reuse its key."""
        cache = c.file_key_key(self.api.app_id, ref.file_id)
        cached = await self.redis.get(cache)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        loaded = await self.load_file(ref.file_id) if self.load_file is not None else None
        if loaded is None:
            raise DeliveryError(f"文件「{ref.name}」已不存在，无法发送", retry_after=None)
        if not loaded or len(loaded) > c.MAX_FILE_BYTES:
            raise DeliveryError(
                f"文件「{ref.name}」为空或超过 30 MB，飞书无法发送，请在系统中下载",
                retry_after=None,
            )
        file_type = c.FILE_TYPES.get(PurePath(ref.name).suffix.lower(), "stream")
        await self._admit(UPLOAD, "upload", [])
        try:
            key = await self.api.upload_file(ref.name, loaded, file_type)
        except Exception as exc:
            raise await self._guard(UPLOAD, "upload", exc) from exc
        await self.redis.set(cache, key, ex=c.FILE_KEY_TTL_SECONDS)
        return key

    async def _image_key(self, ref: FileRef) -> str:
        """Upload a picture once; later sends of the same file reuse its key."""
        cache = c.image_key_key(self.api.app_id, ref.file_id)
        cached = await self.redis.get(cache)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        loaded = await self.load_file(ref.file_id) if self.load_file is not None else None
        if not loaded:
            raise DeliveryError(f"图片「{ref.name}」已不存在，无法发送", retry_after=None)
        await self._admit(UPLOAD, "upload", [])
        try:
            key = await self.api.upload_image(ref.name, loaded)
        except Exception as exc:
            raise await self._guard(UPLOAD, "upload", exc) from exc
        await self.redis.set(cache, key, ex=c.FILE_KEY_TTL_SECONDS)
        return key

    async def _urgent(
        self,
        row: OutboxMessage,
        receiver: Receiver,
        message_id: str,
        mentioned: list[Mention],
        ids: dict[int, tuple[IdentityKind, str]],
    ) -> None:
        """加急 (urgent_app): a 1:1 message's receiver, or the people @-mentioned in a group."""
        by_kind: dict[str, list[str]] = {}
        if receiver.kind in ("person", "identity"):
            by_kind[receiver.id_type] = [receiver.id]
        else:
            for m in mentioned:
                if m.person_id in ids:
                    kind, value = ids[m.person_id]
                    by_kind.setdefault(kind.value, []).append(value)
        for id_type, values in by_kind.items():
            try:
                await self._admit(URGENT, f"msg:{message_id}", c.MESSAGE_PATCH_LIMITS)
                invalid = await self.api.urgent_app(message_id, id_type, values)
            except FeishuApiError as exc:
                if exc.code in c.URGENT_QUOTA_CODES:
                    # The message is delivered; only the insistent push was refused.
                    log.warning("urgent_app refused for row %s: %s", row.id, exc)
                    continue
                raise await self._guard(URGENT, f"msg:{message_id}", exc) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise await self._guard(URGENT, f"msg:{message_id}", exc) from exc
            if invalid:
                log.warning("urgent_app could not reach %s for row %s", invalid, row.id)

    # ---- card updates ----------------------------------------------------------------------

    async def _update_card(self, row: OutboxMessage, payload: OutboxPayload) -> None:
        """Re-render a card wherever it was delivered to this target (PATCH, ≤ 14 days)."""
        if payload.card is None or payload.card_id is None:
            raise DeliveryError("卡片更新缺少内容", retry_after=None)
        card: Card = payload.card
        deliveries = await CardDelivery.filter(
            card_id=payload.card_id,
            platform=Platform.FEISHU.value,
            target_kind=row.target_kind,
            target_id=row.target_id,
        ).order_by("id")
        if not deliveries:
            return
        at = await people.at_ids(m.person_id for m in card.mentions)
        content = card_content(card, at)
        oldest_patchable = self.clock.now() - timedelta(days=c.PATCH_MAX_AGE_DAYS)
        for delivery in deliveries:
            if not delivery.external_id:
                continue
            if delivery.created_at < oldest_patchable:
                await self._resend(row, payload, delivery, content)
                continue
            subject = f"msg:{delivery.external_id}"
            await self._admit(PATCH, subject, c.MESSAGE_PATCH_LIMITS)
            try:
                await self.api.patch_card(delivery.external_id, content)
            except Exception as exc:
                raise await self._guard(PATCH, subject, exc) from exc

    async def _resend(
        self, row: OutboxMessage, payload: OutboxPayload, delivery: CardDelivery, content: str
    ) -> None:
        """A card too old to PATCH: post its new state as a new message and follow that one."""
        receiver = await self._receiver(row, payload)
        part = f"refresh:{delivery.id}"
        sent = await self._post(row, receiver, "interactive", content, part, None)
        await CardDelivery.filter(id=delivery.id).update(
            external_id=sent.message_id, created_at=self.clock.now()
        )
