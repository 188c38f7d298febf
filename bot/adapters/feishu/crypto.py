"""Feishu callback crypto: AES-256-CBC bodies and the X-Lark-Signature digest.

Key = sha256(Encrypt Key); the base64 payload is IV (16 bytes) + ciphertext, PKCS#7 padded.
Signature = sha256_hex(timestamp + nonce + encrypt_key + raw body bytes).
Kept free of aiohttp and the SDK so a bare benchmark handler can import it on its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16


class DecryptError(ValueError):
    """The ciphertext is not base64, has a bad length, or does not decrypt under this key."""


class MalformedCiphertext(DecryptError):
    """Not base64 or not a whole number of AES blocks: a broken request, not a wrong key."""


def aes_key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """Plaintext bytes of an ``encrypt`` field, or ``DecryptError``."""
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCiphertext("encrypt 字段不是有效的 base64") from None
    if len(data) < 2 * BLOCK or len(data) % BLOCK:
        raise MalformedCiphertext("encrypt 字段长度不正确")
    decryptor = Cipher(algorithms.AES(aes_key(encrypt_key)), modes.CBC(data[:BLOCK])).decryptor()
    padded = decryptor.update(data[BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptError("无法解密：Encrypt Key 不匹配") from None


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    """What Feishu puts in ``encrypt`` (used by the fake platform and tests)."""
    iv = iv if iv is not None else os.urandom(BLOCK)
    padder = padding.PKCS7(BLOCK * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """The X-Lark-Signature value for a request body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def signature_matches(
    timestamp: str, nonce: str, encrypt_key: str, body: bytes, given: str
) -> bool:
    # compare_digest refuses non-ASCII str: compare bytes (a surrogate-escaped header byte
    # becomes "?" and simply does not match).
    expected = signature(timestamp, nonce, encrypt_key, body).encode()
    return hmac.compare_digest(expected, given.strip().lower().encode("ascii", "replace"))
