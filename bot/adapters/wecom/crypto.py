"""Callback signature check and AES decryption (WXBizMsgCrypt), importable on its own.

Nothing here touches the database, Redis or the bot: a bare aiohttp handler (or a benchmark)
can build a ``CallbackCrypto`` from the three app settings and call ``verify_url`` /
``decrypt``. The AES part is wechatpy's (``wechatpy.enterprise.crypto.PrpCrypto``); the
signature is compared in constant time here because wechatpy compares with ``!=``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto

# WeCom callbacks are a few hundred bytes; anything this large is not from WeCom.
MAX_BODY_BYTES = 64 * 1024


class CallbackError(Exception):
    """A callback we refuse. ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedCallback(CallbackError):
    """Missing parameters, broken XML, undecryptable payload: 400."""

    status = 400


class BadSignature(CallbackError):
    """Wrong signature or a payload meant for another corp: 403, nothing stored."""

    status = 403


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """``msg_signature``: SHA-1 of the four strings sorted and concatenated."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def aes_key_of(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind a 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey 不是有效的 Base64（应为 43 个字符）") from exc
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("EncodingAESKey 长度不对（应为 43 个字符）")
    return key


def parse_envelope(body: bytes | str) -> str:
    """The ``<Encrypt>`` value of a POSTed callback body."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedCallback("回调内容过大")
    try:
        # xmltodict refuses entity declarations by default (no XXE, no entity expansion).
        doc: Any = xmltodict.parse(body)
    except Exception as exc:  # expat errors, entity refusals, bad encodings
        raise MalformedCallback("回调内容不是有效的 XML") from exc
    root = doc.get("xml") if isinstance(doc, dict) else None
    encrypt = root.get("Encrypt") if isinstance(root, dict) else None
    if not isinstance(encrypt, str) or not encrypt:
        raise MalformedCallback("回调内容缺少 Encrypt 字段")
    return encrypt


class CallbackCrypto:
    """Verify and decrypt callbacks of one self-built app (token, EncodingAESKey, corp id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = aes_key_of(encoding_aes_key)
        # For a self-built app the receive id is the CorpID (for an AI bot it would be "").
        self.receive_id = receive_id

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise BadSignature("签名校验失败")

    def open(self, encrypt: str) -> str:
        """Decrypt a checked ``Encrypt``/``echostr`` value; the receive id must be ours."""
        try:
            plain, receive_id = _decrypt(self.key, encrypt)
        except Exception as exc:
            raise MalformedCallback("回调内容无法解密") from exc
        if not hmac.compare_digest(receive_id.encode(), self.receive_id.encode()):
            raise BadSignature("回调不是发给本企业的（ReceiveId 与 CorpID 不符）")
        return plain

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): the plaintext to echo back."""
        # A '+' that arrived unescaped was turned into a space by query decoding; Base64
        # has no spaces, so putting it back is always right.
        echostr = echostr.replace(" ", "+")
        self.check(msg_signature, timestamp, nonce, echostr)
        return self.open(echostr)

    def decrypt(self, msg_signature: str, timestamp: str, nonce: str, body: bytes | str) -> str:
        """A POSTed callback body: check the signature, decrypt, return the inner XML."""
        encrypt = parse_envelope(body)
        self.check(msg_signature, timestamp, nonce, encrypt)
        return self.open(encrypt)


def _decrypt(key: bytes, encrypt: str) -> tuple[str, str]:
    """(message, receive id) from ``random(16) | len(4, big endian) | msg | receive_id``."""
    raw = base64.b64decode(encrypt, validate=True)
    if not raw or len(raw) % 16:
        raise ValueError("ciphertext is not a whole number of AES blocks")
    # wechatpy does the AES-CBC; its own unpadding does not validate, so we check the layout.
    padded: bytes = PrpCrypto(key).cipher.decrypt(raw)
    pad = padded[-1]
    if not 1 <= pad <= 32 or padded[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad PKCS#7 padding")
    content = padded[16:-pad]
    if len(content) < 4:
        raise ValueError("plaintext too short")
    length = int.from_bytes(content[:4], "big")
    if length > len(content) - 4:
        raise ValueError("message length beyond plaintext")
    return content[4 : 4 + length].decode("utf-8"), content[4 + length :].decode("utf-8")
