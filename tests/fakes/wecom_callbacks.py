"""Build WeCom callbacks exactly as WeCom does: XML, AES-256-CBC, SHA-1 signature.

Written from the platform docs with ``cryptography`` directly, not with the bot's own crypto
module or wechatpy, so the tests check the bot against an independent implementation.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def random_aes_key() -> str:
    """A fresh 43-character EncodingAESKey, as the admin console generates."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


@dataclass
class SignedRequest:
    params: dict[str, str]
    body: bytes

    @property
    def query(self) -> str:
        return urlencode(self.params)


class CallbackSigner:
    """What WeCom holds for one app: Token, EncodingAESKey and the corp id (receive id)."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        assert len(self.key) == 32
        self.corp_id = corp_id

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        joined = "".join(sorted([self.token, timestamp, nonce, encrypt]))
        return hashlib.sha1(joined.encode()).hexdigest()

    def encrypt(self, plaintext: str, receive_id: str | None = None) -> str:
        message = plaintext.encode()
        rid = (self.corp_id if receive_id is None else receive_id).encode()
        raw = secrets.token_bytes(16) + struct.pack(">I", len(message)) + message + rid
        pad = 32 - len(raw) % 32
        raw += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(raw) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> tuple[str, str]:
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        raw = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
        raw = raw[: -raw[-1]]
        length = struct.unpack(">I", raw[16:20])[0]
        return raw[20 : 20 + length].decode(), raw[20 + length :].decode()

    def url_verification(self, echo: str, timestamp: str | None = None) -> dict[str, str]:
        """The GET query WeCom sends when the admin saves the callback URL."""
        ts = timestamp or str(int(time.time()))
        nonce = str(secrets.randbelow(10**9))
        echostr = self.encrypt(echo)
        return {
            "msg_signature": self.signature(ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }

    def post(
        self,
        inner_xml: str,
        *,
        timestamp: str | None = None,
        receive_id: str | None = None,
        agent_id: int = 1000002,
    ) -> SignedRequest:
        """A POSTed callback: the encrypted envelope and its signed query string."""
        ts = timestamp or str(int(time.time()))
        nonce = str(secrets.randbelow(10**9))
        encrypt = self.encrypt(inner_xml, receive_id)
        body = (
            f"<xml><ToUserName>{cdata(self.corp_id)}</ToUserName>"
            f"<AgentID>{cdata(str(agent_id))}</AgentID>"
            f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        ).encode()
        params = {
            "msg_signature": self.signature(ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
        }
        return SignedRequest(params=params, body=body)


def _head(corp_id: str, sender: str, create_time: int | None, msg_type: str) -> str:
    created = create_time if create_time is not None else int(time.time())
    return (
        f"<ToUserName>{cdata(corp_id)}</ToUserName><FromUserName>{cdata(sender)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
    )


def text_xml(
    corp_id: str,
    sender: str,
    content: str,
    msg_id: str,
    *,
    agent_id: int = 1000002,
    create_time: int | None = None,
) -> str:
    return (
        f"<xml>{_head(corp_id, sender, create_time, 'text')}<Content>{cdata(content)}</Content>"
        f"<MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>"
    )


def image_xml(
    corp_id: str, sender: str, msg_id: str, *, agent_id: int = 1000002, media_id: str = "media-1"
) -> str:
    return (
        f"<xml>{_head(corp_id, sender, None, 'image')}"
        f"<PicUrl>{cdata('https://example.invalid/p.jpg')}</PicUrl>"
        f"<MediaId>{cdata(media_id)}</MediaId><MsgId>{msg_id}</MsgId>"
        f"<AgentID>{agent_id}</AgentID></xml>"
    )


def file_xml(
    corp_id: str, sender: str, msg_id: str, media_id: str, *, agent_id: int = 1000002
) -> str:
    """A file sent in the 1:1 chat: only its MediaId; the name comes with ``media/get``."""
    return (
        f"<xml>{_head(corp_id, sender, None, 'file')}"
        f"<MediaId>{cdata(media_id)}</MediaId><MsgId>{msg_id}</MsgId>"
        f"<AgentID>{agent_id}</AgentID></xml>"
    )


def click_xml(
    corp_id: str,
    sender: str,
    key: str,
    *,
    agent_id: int = 1000002,
    create_time: int | None = None,
) -> str:
    return (
        f"<xml>{_head(corp_id, sender, create_time, 'event')}<Event>{cdata('click')}</Event>"
        f"<EventKey>{cdata(key)}</EventKey><AgentID>{agent_id}</AgentID></xml>"
    )


def enter_agent_xml(
    corp_id: str, sender: str, *, agent_id: int = 1000002, create_time: int | None = None
) -> str:
    return (
        f"<xml>{_head(corp_id, sender, create_time, 'event')}"
        f"<Event>{cdata('enter_agent')}</Event><EventKey>{cdata('')}</EventKey>"
        f"<AgentID>{agent_id}</AgentID></xml>"
    )


def template_card_event_xml(
    corp_id: str,
    sender: str,
    *,
    task_id: str,
    event_key: str,
    response_code: str,
    card_type: str = "button_interaction",
    selected: list[tuple[str, list[str]]] | None = None,
    agent_id: int = 1000002,
    create_time: int | None = None,
) -> str:
    """A tap on a template card button (API doc 90240)."""
    items = ""
    if selected is not None:
        parts = []
        for question, options in selected:
            ids = "".join(f"<OptionId>{cdata(o)}</OptionId>" for o in options)
            parts.append(
                f"<SelectedItem><QuestionKey>{cdata(question)}</QuestionKey>"
                f"<OptionIds>{ids}</OptionIds></SelectedItem>"
            )
        items = f"<SelectedItems>{''.join(parts)}</SelectedItems>"
    return (
        f"<xml>{_head(corp_id, sender, create_time, 'event')}"
        f"<Event>{cdata('template_card_event')}</Event><EventKey>{cdata(event_key)}</EventKey>"
        f"<TaskId>{cdata(task_id)}</TaskId><CardType>{cdata(card_type)}</CardType>"
        f"<ResponseCode>{cdata(response_code)}</ResponseCode><AgentID>{agent_id}</AgentID>"
        f"{items}</xml>"
    )
