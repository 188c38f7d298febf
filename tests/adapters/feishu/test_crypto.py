"""Feishu crypto against the official vector and the SDK's own implementation."""

from __future__ import annotations

import json

import pytest

from bot.adapters.feishu import crypto
from tests.fakes.feishu_server import FakeFeishu

# Published in the Feishu docs ("配置 Encrypt Key",
# https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/configure-encrypt-key)
# and in the SDK samples: key "test key", this ciphertext, plaintext "hello world".
OFFICIAL_KEY = "test key"
OFFICIAL_CIPHERTEXT = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="


def test_official_decryption_vector() -> None:
    assert crypto.decrypt(OFFICIAL_KEY, OFFICIAL_CIPHERTEXT) == b"hello world"


def test_official_vector_with_a_wrong_key_is_refused() -> None:
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt("another key", OFFICIAL_CIPHERTEXT)


# async: lark-oapi makes a loop at import unless one is running (it would leak at exit).
async def test_encrypt_round_trip_and_sdk_agrees() -> None:
    from lark_oapi.core.utils.decryptor import AESCipher

    plaintext = json.dumps({"challenge": "abc", "text": "你好"}, ensure_ascii=False).encode()
    encrypted = crypto.encrypt("my key", plaintext)
    assert crypto.decrypt("my key", encrypted) == plaintext
    # The SDK's own decryptor reads what we (and the fake platform) encrypt.
    assert AESCipher("my key").decrypt_str(encrypted).encode() == plaintext
    # And we read the official vector exactly as the SDK does.
    assert AESCipher(OFFICIAL_KEY).decrypt_str(OFFICIAL_CIPHERTEXT) == "hello world"


@pytest.mark.parametrize("bad", ["not base64!", "aGVsbG8=", ""])
def test_malformed_ciphertext(bad: str) -> None:
    with pytest.raises(crypto.MalformedCiphertext):
        crypto.decrypt("k", bad)


async def test_signature_matches_the_sdk_check() -> None:
    """A request built by the fake platform passes lark-oapi's own signature verification."""
    import lark_oapi as lark
    from lark_oapi.core.model import RawRequest

    fake = FakeFeishu()
    payload = fake.message_event(sender_open_id="ou_x", text="帮助")
    headers, body = fake.build_request(payload)
    seen: list[str] = []
    handler = (
        lark.EventDispatcherHandler.builder(fake.encrypt_key, fake.verification_token)
        .register_p2_im_message_receive_v1(lambda data: seen.append(data.event.message.content))
        .build()
    )
    request = RawRequest()
    request.uri = "/feishu/events"
    request.headers = headers
    request.body = body
    response = handler.do(request)
    assert response.status_code == 200, response.content
    assert json.loads(seen[0]) == {"text": "帮助"}
    # Same inputs, our digest.
    ts, nonce = headers["X-Lark-Request-Timestamp"], headers["X-Lark-Request-Nonce"]
    assert crypto.signature(ts, nonce, fake.encrypt_key, body) == headers["X-Lark-Signature"]
    assert crypto.signature_matches(ts, nonce, fake.encrypt_key, body, headers["X-Lark-Signature"])
    assert not crypto.signature_matches(ts, nonce, "wrong", body, headers["X-Lark-Signature"])
