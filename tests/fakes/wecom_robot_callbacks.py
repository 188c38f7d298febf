"""WeCom's intelligent robot in callback mode: encrypted JSON POSTs, as WeCom sends them.

The encryption is the self-built app's (``CallbackSigner``, written from the docs with
``cryptography``), with the robot's receive id ``""`` and JSON around it: the body is
``{"encrypt": …}``, a passive answer ``{"encrypt", "msgsignature", "timestamp", "nonce"}``
signed with the request's nonce (WeCom docs 101033, 101039). ``decrypt_answer`` checks the
answer's signature and receive id the way WeCom would before showing it.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.wecom_callbacks import CallbackSigner


class RobotCallbackSender:
    def __init__(self, token: str, encoding_aes_key: str) -> None:
        self.signer = CallbackSigner(token, encoding_aes_key, "")

    def post(self, body: dict[str, Any], *, timestamp: str | None = None) -> tuple[str, bytes, str]:
        """(query, body bytes, nonce) of one callback POST."""
        ts = timestamp or str(int(time.time()))
        nonce = str(secrets.randbelow(10**9))
        encrypt = self.signer.encrypt(json.dumps(body, ensure_ascii=False), receive_id="")
        query = urlencode(
            {
                "msg_signature": self.signer.signature(ts, nonce, encrypt),
                "timestamp": ts,
                "nonce": nonce,
            }
        )
        return query, json.dumps({"encrypt": encrypt}).encode(), nonce

    def url_verification(self, echo: str) -> str:
        return urlencode(self.signer.url_verification(echo))

    def decrypt_answer(self, answer: dict[str, Any], nonce: str) -> dict[str, Any]:
        assert answer["nonce"] == nonce, "the answer must carry the request's nonce"
        expected = self.signer.signature(str(answer["timestamp"]), nonce, answer["encrypt"])
        assert answer["msgsignature"] == expected, "bad signature on the passive answer"
        plain, receive_id = self.signer.decrypt(answer["encrypt"])
        assert receive_id == "", "the robot's receive id is empty"
        decoded: dict[str, Any] = json.loads(plain)
        return decoded
