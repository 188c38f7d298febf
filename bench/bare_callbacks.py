"""The ceiling for this stack: an aiohttp server that only verifies and decrypts callbacks.

Run by bench/callbacks.py beside ``dutybot serve``. It uses the adapters' own pure functions
(WeCom ``CallbackCrypto.decrypt``, Feishu ``verify.open_request``) and nothing else: no database,
no Redis, no routing — so the difference to ``dutybot serve`` is what the bot itself costs.
"""

from __future__ import annotations

import argparse
import time

from aiohttp import web

from bot.adapters.feishu.verify import Rejected, open_request
from bot.adapters.wecom.crypto import CallbackCrypto


def build_app(
    token: str, aes_key: str, corp_id: str, encrypt_key: str, verification: str
) -> web.Application:
    wecom = CallbackCrypto(token, aes_key, corp_id)

    async def wecom_callback(request: web.Request) -> web.Response:
        body = await request.read()
        q = request.query
        wecom.decrypt(q["msg_signature"], q["timestamp"], q["nonce"], body)
        return web.Response(text="")

    async def feishu_events(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            open_request(
                body,
                dict(request.headers),
                encrypt_key=encrypt_key,
                verification_token=verification,
                now=time.time(),
            )
        except Rejected as exc:
            return web.Response(status=exc.status)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/wecom/callback", wecom_callback)
    app.router.add_post("/feishu/events", feishu_events)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--aes-key", required=True)
    parser.add_argument("--corp-id", required=True)
    parser.add_argument("--encrypt-key", required=True)
    parser.add_argument("--verification-token", required=True)
    args = parser.parse_args()
    app = build_app(
        args.token, args.aes_key, args.corp_id, args.encrypt_key, args.verification_token
    )
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
