"""A stand-in for WeCom, to try outages by hand against real ``dutybot serve`` + ``worker``.

It runs the fake WeCom API of the tests (tests/fakes/wecom_server.py: WeCom's wire format and
rules) on ``--api-port``, and a small control server on ``--control-port`` that plays the people
(signed, encrypted callbacks to the bot) and takes the API away and brings it back::

    PYTHONPATH=. python bench/stand_in_wecom.py --bot http://127.0.0.1:8080  # DUTYBOT_WECOM_*
    curl -XPOST localhost:18109/say -d '{"user":"LaoZhou","text":"备案 开设"}'
    curl -XPOST localhost:18109/tap -d '{"user":"WangZR","title":"请审批","button":"同意"}'
    curl -XPOST localhost:18109/down      # connection refused from now on
    curl -XPOST localhost:18109/up
    curl localhost:18109/report           # what each person got; bodies accepted twice

Point the bot at it with ``DUTYBOT_WECOM_API_BASE=http://127.0.0.1:<api-port>``; the app's
corp id, agent id, secret, token and AES key are read from the same ``DUTYBOT_WECOM_*``
variables the bot uses. docs/decisions/reliability.md ("Tried by hand") shows a whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections import Counter
from typing import Any

from aiohttp import web

from tests.fakes.wecom_callbacks import CallbackSigner, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform


def _describe(body: dict[str, Any]) -> str:
    kind = str(body.get("msgtype"))
    if kind == "template_card":
        card = body["template_card"]
        return f"card {card['main_title']['title']} [{card.get('task_id')}]"
    if kind in ("text", "markdown"):
        return f"{kind} {body[kind]['content'][:70]!r}"
    return kind


class StandIn:
    def __init__(self, fake: FakeWeCom, platform: WeComPlatform, bot: str, api_port: int) -> None:
        self.fake, self.platform, self.bot, self.api_port = fake, platform, bot, api_port
        self.up = True

    def note(self, what: str) -> None:
        print(time.strftime("%H:%M:%S", time.gmtime()), what, flush=True)

    async def say(self, request: web.Request) -> web.Response:
        ask = await request.json()
        xml = text_xml(self.fake.corp_id, ask["user"], ask["text"], uuid.uuid4().hex[:12])
        status, _ = await self.platform.post(self.bot, xml)
        self.note(f"say {ask} -> {status}")
        return web.json_response({"status": status})

    async def tap(self, request: web.Request) -> web.Response:
        ask = await request.json()
        cards = [
            sent["template_card"]
            for sent in self.fake.sent(msgtype="template_card", touser=ask["user"])
            if ask["title"] in sent["template_card"]["main_title"]["title"]
        ]
        if not cards:
            return web.json_response({"error": "no such card"}, status=404)
        status, _ = await self.platform.post(
            self.bot, self.platform.tap(ask["user"], cards[-1], ask["button"])
        )
        self.note(f"tap {ask} -> {status}")
        return web.json_response({"status": status})

    async def down(self, request: web.Request) -> web.Response:
        await self.fake.stop()
        self.up = False
        self.note("API DOWN")
        return web.json_response({"up": self.up})

    async def back(self, request: web.Request) -> web.Response:
        await self.fake.start(self.api_port)
        self.up = True
        self.note("API UP")
        return web.json_response({"up": self.up})

    async def report(self, request: web.Request) -> web.Response:
        accepted = self.fake.sent() + self.fake.updates()
        counts = Counter(json.dumps(b, sort_keys=True, ensure_ascii=False) for b in accepted)
        per_user: dict[str, list[str]] = {}
        for body in self.fake.sent():
            per_user.setdefault(str(body["touser"]), []).append(_describe(body))
        for body in self.fake.updates():
            title = (body.get("template_card") or {}).get("main_title", {}).get("title")
            for user in body.get("userids", []):
                per_user.setdefault(user, []).append(f"update {title}")
        answer = {
            "up": self.up,
            "sends": len(self.fake.sent()),
            "updates": len(self.fake.updates()),
            "dropped": len(self.fake.dropped_messages),
            "doubled": [_describe(json.loads(k)) for k, n in counts.items() if n > 1],
            "per_user": per_user,
        }
        return web.json_response(answer, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def control_app(stand_in: StandIn) -> web.Application:
    app = web.Application()
    app.router.add_post("/say", stand_in.say)
    app.router.add_post("/tap", stand_in.tap)
    app.router.add_post("/down", stand_in.down)
    app.router.add_post("/up", stand_in.back)
    app.router.add_get("/report", stand_in.report)
    return app


async def run(args: argparse.Namespace) -> None:
    env = os.environ
    fake = FakeWeCom(
        corp_id=env["DUTYBOT_WECOM_CORP_ID"],
        secret=env["DUTYBOT_WECOM_SECRET"],
        agent_id=int(env["DUTYBOT_WECOM_AGENT_ID"]),
    )
    signer = CallbackSigner(env["DUTYBOT_WECOM_TOKEN"], env["DUTYBOT_WECOM_AES_KEY"], fake.corp_id)
    stand_in = StandIn(fake, WeComPlatform(api=fake, signer=signer), args.bot, args.api_port)
    await fake.start(args.api_port)
    runner = web.AppRunner(control_app(stand_in))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.control_port).start()
    stand_in.note(f"WeCom API on {fake.url}, control on 127.0.0.1:{args.control_port}")
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bot", required=True, help="the bot's base URL (callbacks go there)")
    parser.add_argument("--api-port", type=int, default=18108)
    parser.add_argument("--control-port", type=int, default=18109)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
