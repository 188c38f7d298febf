"""Many replicas, proven: two ``dutybot serve`` and two ``dutybot worker`` processes on one
PostgreSQL and one Redis, each with a home directory of its own (as separate containers have),
the fake WeCom API, and signed callbacks spread across both web replicas as a load balancer
spreads them. Part-way, one web and one worker are killed with SIGKILL — no shutdown, no
cleanup, in the middle of traffic.

A filing, a 三审三校, a monitoring system's rectification notice (with a one-minute
deadline, so its reminders fire while the test runs) and a monitoring system's duty alert
(raised on one replica, escalated to the duty lead after a one-minute acknowledgement limit,
acknowledged through the other replica) go through. Afterwards every decision is recorded
exactly once, every reminder and escalation fired exactly once, every message delivered exactly
once, and the 备案表 a worker generated downloads through the surviving web replica.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import SystemClock
from bot.core.services import Services
from bot.flows.duty.planner import plan_all
from bot.runtime import connect_redis
from bot.web.sources import create_token
from storage.enums import OutboxStatus
from storage.models.deadlines import DeadlineStep, StepStatus
from storage.models.duty_alerts import Alert, AlertStatus
from storage.models.machinery import AuditEntry, OutboxMessage
from storage.models.org import Person
from tests.conftest import DEFAULT_NOW, SHANGHAI, load_org_text
from tests.fakes.wecom_callbacks import CallbackSigner, text_xml
from tests.fakes.wecom_server import FakeWeCom, WeComPlatform
from tests.support.orgs import PLATFORM_OPEN_ANSWERS as OPEN_ANSWERS
from tests.support.processes import free_port, until_healthy
from tests.support.wecom import AGENT_ID, CORP_ID, SECRET, TOKEN, aes_key, cards_to

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(400),
    pytest.mark.skipif(
        not os.environ.get("DUTYBOT_TEST_DATABASE_URL", "").startswith("postgres"),
        reason="replicas on separate machines share a PostgreSQL server; SQLite is one local "
        "file (set DUTYBOT_TEST_DATABASE_URL, as the PostgreSQL pass of .ci/run does)",
    ),
]

__all__ = ["aes_key"]  # fixture

ORG = """
units:
  - {key: zfb, name: 临江区人民政府办公室, kind: government}
  - {key: zx, name: 临江区政务新媒体中心, kind: institution}
  - {key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: zfb}
  - {key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}
people:
  - {key: laozhou, name: 老周, unit: xck, roles: [clerk], wecom: LaoZhou}
  - {key: xiaowang, name: 小王, unit: xck, roles: [editor], wecom: XiaoWang}
  - {key: likz, name: 李科长, unit: xck, roles: [section_chief], wecom: LiKZ}
  - {key: zhaofzr, name: 赵副主任, unit: wlw, roles: [deputy_leader], wecom: ZhaoFZR}
  - {key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}
  - {key: zhangzr, name: 张主任, unit: zfb, roles: [supervisor_staff], wecom: ZhangZR}
  - {key: xiaochen, name: 小陈, unit: zx, roles: [duty_officer], wecom: XiaoChen}
  - {key: fengzz, name: 冯组长, unit: zx, roles: [duty_lead], wecom: FengZZ}
accounts:
  - {key: wlw-wechat, name: 临江文旅公众号, platform: wechat, owner_unit: wlw, operator_unit: xck}
# 小陈 on duty around the clock; the team watches its own unit, which runs no accounts (no
# patrol rounds or activity alerts of its own in this test).
duty_teams:
  - {key: zx-duty, name: 新媒体中心读网值班, unit: zx, scope: [zx], lead: fengzz, shifts: full,
     rotation: [xiaochen]}
"""

# A serious problem must be fixed within one minute, in working hours or not: its half-time,
# near-deadline and due reminders all fire while the test runs, in real time. A serious alert
# not acknowledged within a minute escalates to the duty lead, also while the test runs.
ONE_MINUTE = json.dumps(
    {
        "deadlines.rectification.serious.inside_minutes": 1,
        "deadlines.rectification.serious.outside_minutes": 1,
        "deadlines.alert.ack.serious.minutes": 1,
    }
)
# Recovery after SIGKILL waits for what the dead process held: an unanswered delivery is
# swept after 30 s, an outbox lease expires after 60 s, a target's Redis lock after 120 s.
RECOVERY = 150.0


@dataclass
class Replica:
    name: str
    command: str
    process: subprocess.Popen[bytes]
    log: Path
    base: str = ""


class Cluster:
    """The four processes, their logs, and the fake WeCom they all talk to."""

    def __init__(self, workdir: Path, platform: WeComPlatform) -> None:
        self.workdir = workdir
        self.platform = platform
        self.replicas: dict[str, Replica] = {}
        self.started = time.monotonic()

    def note(self, what: str) -> None:
        """Progress with elapsed seconds, shown when the test fails (or with -s)."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {what}")

    def start(self, name: str, command: str, env: dict[str, str], port: int = 0) -> Replica:
        home = self.workdir / name
        home.mkdir()
        log = self.workdir / f"{name}.log"
        full = {**env, "DUTYBOT_HOME": str(home)}
        if port:
            full["DUTYBOT_HTTP_PORT"] = str(port)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", command],
                cwd=home,
                env=full,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        replica = Replica(name, command, process, log, f"http://127.0.0.1:{port}" if port else "")
        self.replicas[name] = replica
        return replica

    def kill(self, name: str) -> None:
        replica = self.replicas[name]
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {r.name} ---\n" + r.log.read_text(errors="replace")[-6000:]
            for r in self.replicas.values()
        )

    def stop(self) -> dict[str, int]:
        for replica in self.replicas.values():
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        codes = {}
        for replica in self.replicas.values():
            try:
                codes[replica.name] = replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                codes[replica.name] = replica.process.wait()
        return codes

    # Generous: on a busy CI machine one step can take many seconds; a pass is not slower.
    async def eventually(self, check: Callable[[], Any], what: str, within: float = 60) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    async def post(self, base: str, inner_xml: str) -> None:
        status, body = await self.platform.post(base, inner_xml)
        assert status == 200, body

    async def say_in_turn(self, bases: list[str], userid: str, texts: list[str], tag: str) -> None:
        """A person filling a form, each message reaching the next replica in turn."""
        for n, text in enumerate(texts):
            before = len(self.platform.api.sent(touser=userid))
            await self.post(bases[n % len(bases)], text_xml(CORP_ID, userid, text, f"{tag}{n:04d}"))
            await self.eventually(
                lambda before=before: len(self.platform.api.sent(touser=userid)) > before,
                f"the answer to {text}",
            )

    async def card(self, userid: str, title: str, within: float = 60) -> dict[str, Any]:
        try:
            found = await self.eventually(
                lambda: cards_to(self.platform, userid, title), f"{userid}'s card {title}", within
            )
        except AssertionError as exc:
            seen = [str(s)[:300] for s in self.platform.api.sent(touser=userid)[-5:]]
            raise AssertionError(f"{exc}\nlast messages to {userid}:\n" + "\n".join(seen)) from exc
        card: dict[str, Any] = found[-1]
        return card


@pytest.fixture
async def cluster(
    db: str, redis_url: str, tmp_path: Path, aes_key: str, services: Services
) -> AsyncIterator[Cluster]:
    redis = await connect_redis(redis_url)
    await redis.flushdb()
    await redis.aclose()
    await load_org_text(ORG)
    # What `dutybot org load` does next: plan the duty roster (from the real time, which the
    # processes run on).
    await plan_all(services.timekeeping.calendar(), SystemClock(SHANGHAI).now())
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID)
    await fake.start()
    ports = {"web-a": free_port(), "web-b": free_port()}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")},
        "PYTHONPATH": str(ROOT),
        "DUTYBOT_DATABASE_URL": db,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_HTTP_HOST": "127.0.0.1",
        # The address people reach: the load balancer; here, the replica that will be killed.
        "DUTYBOT_PUBLIC_URL": f"http://127.0.0.1:{ports['web-a']}",
        "DUTYBOT_CONSOLE": "false",
        "DUTYBOT_CALENDAR_FILE": str(tmp_path / "calendar.toml"),
        "DUTYBOT_POLICY_OVERRIDES": ONE_MINUTE,
        "DUTYBOT_WECOM_CORP_ID": CORP_ID,
        "DUTYBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "DUTYBOT_WECOM_SECRET": SECRET,
        "DUTYBOT_WECOM_TOKEN": TOKEN,
        "DUTYBOT_WECOM_AES_KEY": aes_key,
        "DUTYBOT_WECOM_API_BASE": fake.url,
    }
    cluster = Cluster(
        tmp_path, WeComPlatform(api=fake, signer=CallbackSigner(TOKEN, aes_key, CORP_ID))
    )
    for name, port in ports.items():
        cluster.start(name, "serve", env, port)
    cluster.start("worker-1", "worker", env)
    cluster.start("worker-2", "worker", env)
    try:
        for name in ports:
            await until_healthy(cluster.replicas[name].base, cluster.logs, path="/healthz")
        yield cluster
    finally:
        codes = cluster.stop()
        await fake.stop()
    assert codes == {"web-a": -9, "web-b": 0, "worker-1": -9, "worker-2": 0}, cluster.logs()


async def _issue_notice(base: str, token: str, body: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/api/rectifications", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        return resp.status, await resp.json()


async def _post_json(base: str, path: str, token: str, body: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        return resp.status, await resp.json()


async def _outbox_settled() -> bool:
    return not await OutboxMessage.exclude(status=OutboxStatus.SENT).exists()


async def test_two_webs_two_workers_one_of_each_killed(cluster: Cluster) -> None:
    platform, fake = cluster.platform, cluster.platform.api
    a, b = cluster.replicas["web-a"].base, cluster.replicas["web-b"].base

    # A monitoring system reports a serious problem through replica A; its retry reaches B.
    token = await create_token("web-monitor", DEFAULT_NOW)
    notice = {
        "account": "wlw-wechat",
        "problem": "首页“旅游攻略”栏目链接返回 404",
        "category": "broken_link",
        "severity": "serious",
        "external_id": "monitor-1",
    }
    status, issued = await _issue_notice(a, token, notice)
    assert status == 201, issued
    issued_at = time.monotonic()
    status, again = await _issue_notice(b, token, notice)
    assert (status, again["id"], again["duplicate"]) == (200, issued["id"], True)
    # The same monitoring system raises a serious duty alert through B; its retry reaches A.
    probe = {"title": "临江文旅公众号首页无法访问", "severity": "serious", "external_id": "probe-1"}
    status, raised = await _post_json(b, "/api/alerts", token, probe)
    assert status == 201, raised
    status, retried = await _post_json(a, "/api/alerts", token, probe)
    assert (status, retried["id"], retried["duplicate"]) == (200, raised["id"], True)
    await cluster.card("XiaoChen", "临江文旅公众号首页无法访问")  # the officer on duty

    cluster.note("notice issued")
    # 老周 files a new account, his messages spread over both replicas; 王主任 approves.
    await cluster.say_in_turn([a, b], "LaoZhou", ["备案 开设", *OPEN_ANSWERS], "31")
    summary = await cluster.card("LaoZhou", "请核对开设备案")
    await cluster.post(b, platform.tap("LaoZhou", summary, "提交备案"))
    wang_filing = platform.tap("WangZR", await cluster.card("WangZR", "请审批"), "同意")
    await asyncio.gather(cluster.post(a, wang_filing), cluster.post(b, wang_filing))

    cluster.note("filing submitted and approved once")
    # 小王 submits a post for 三审三校; 李科长's tap reaches both replicas at once.
    texts = ["送审", "桃花节开幕", "第十届临江桃花节今天开幕。", "无", "无", "1", "原创"]
    await cluster.say_in_turn([b, a], "XiaoWang", texts, "32")
    await cluster.post(
        a, platform.tap("XiaoWang", await cluster.card("XiaoWang", "请核对送审稿件"), "送审")
    )
    chief = platform.tap("LiKZ", await cluster.card("LiKZ", "初审"), "通过")
    await asyncio.gather(cluster.post(a, chief), cluster.post(b, chief))

    cluster.note("review at 复审")
    # Part-way: two decisions reach replica A, then A and a worker die without warning.
    deputy = platform.tap("ZhaoFZR", await cluster.card("ZhaoFZR", "复审"), "通过")
    zhang_filing = platform.tap("ZhangZR", await cluster.card("ZhangZR", "请审批"), "同意")
    await asyncio.gather(cluster.post(a, deputy), cluster.post(a, zhang_filing))
    cluster.kill("web-a")
    cluster.kill("worker-1")
    cluster.note("killed web-a and worker-1")
    # WeCom retries what it is unsure of; the load balancer sends it to the survivor.
    await cluster.post(b, deputy)
    await cluster.post(b, zhang_filing)

    final = platform.tap("WangZR", await cluster.card("WangZR", "终审", RECOVERY), "通过")
    await cluster.post(b, final)
    await cluster.card("XiaoWang", "可发布", RECOVERY)
    await cluster.card("LaoZhou", "备案已同意", RECOVERY)

    cluster.note("review and filing decided")
    # The 备案表 a worker generated downloads through the replica that is left.
    link = await cluster.eventually(
        lambda: [str(s) for s in fake.sent(touser="LaoZhou") if "下载链接" in str(s)],
        "the 备案表 link",
        RECOVERY,
    )
    path = link[0].split(a, 1)[1].split()[0].split("'")[0].split("\\n")[0]
    cluster.note(f"download {path}")
    async with aiohttp.ClientSession() as session, session.get(b + path) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.read())[:2] == b"PK"
    sent_file = await cluster.eventually(
        lambda: fake.sent(msgtype="file", touser="LaoZhou"), "the 备案表 file", RECOVERY
    )
    assert len(sent_file) == 1

    cluster.note("备案表 downloaded")
    # Nobody acknowledged the alert: after a minute the duty lead is reached (once, though two
    # workers watched the deadline and one died), and acknowledges it through replica B.
    escalated = await cluster.card("FengZZ", "临江文旅公众号首页无法访问", RECOVERY)
    await cluster.post(b, platform.tap("FengZZ", escalated, "确认告警"))
    await cluster.eventually(
        lambda: "冯组长" in str(fake.cards.get(("FengZZ", escalated["task_id"]), "")),
        "the card showing 冯组长's acknowledgement",
        RECOVERY,
    )
    cluster.note("alert escalated and acknowledged")
    # The rectification's one-minute countdown ran on regardless: wait for its due step.
    await asyncio.sleep(max(0.0, 65 - (time.monotonic() - issued_at)))
    deadline = time.monotonic() + RECOVERY
    while not (
        await DeadlineStep.filter(status=StepStatus.FIRED).count() >= 4 and await _outbox_settled()
    ):
        assert time.monotonic() < deadline, cluster.logs()
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # anything still to come would now show up twice

    cluster.note("settled")
    # ---- exactly once ------------------------------------------------------------------------
    actions = Counter(await AuditEntry.all().values_list("action", flat=True))
    decisions = {
        "filing.submitted": 1,
        "filing.approved": 2,  # 王主任, then 张主任: each once although both tapped twice
        "filing.document_generated": 1,
        "review.submitted": 1,
        "review.level_opened": 3,
        "review.approved": 3,
        "rectification.issued": 1,  # the monitoring system's retry was a duplicate
        "rectification.reminded": 3,  # half-time, near the deadline, at the deadline
        "rectification.overdue": 1,
        "duty.alert_raised": 1,  # the retry through the other replica was a duplicate
        "duty.alert_escalated": 1,
        "duty.alert_acknowledged": 1,
    }
    assert {k: actions[k] for k in decisions} == decisions, sorted(actions.items())
    fired = await DeadlineStep.filter(status=StepStatus.FIRED).order_by("fire_at")
    assert sorted((s.name, s.repeat) for s in fired) == [
        ("due", 0),
        ("duty_lead", 0),
        ("half", 0),
        ("late", 0),
    ]
    alert = await Alert.get(id=raised["id"])
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by_id == (await Person.get(key="fengzz")).id
    cluster.note(f"audit {sorted(actions.items())}")

    # Every outbox row delivered, each exactly once: the platform accepted as many sends and
    # card updates as there are rows, and no two of them are the same message.
    rows = await OutboxMessage.all().count()
    accepted = fake.sent() + fake.updates()
    cluster.note(f"{rows} outbox rows, {len(accepted)} accepted by WeCom")
    doubled = [
        body
        for body, n in Counter(
            json.dumps(b, sort_keys=True, ensure_ascii=False) for b in accepted
        ).items()
        if n > 1
    ]
    assert not doubled, doubled
    assert len(accepted) == rows
