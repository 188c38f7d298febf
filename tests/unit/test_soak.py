"""bench/soak.py's own logic: its organisation loads, and replies are matched per person
(a soak that miscounts would report figures nobody can trust)."""

from __future__ import annotations

import argparse
from collections import Counter

import yaml

from bench.soak import FEISHU_MESSAGES_PER_SECOND, Load, Sent, org_yaml, pair_latencies
from bot.org.schema import parse
from tests.fakes.feishu_server import FakeFeishu
from tests.fakes.wecom_callbacks import random_aes_key


def test_the_soak_organisation_is_valid_and_keeps_writers_out_of_the_notified_unit() -> None:
    org = parse(yaml.safe_load(org_yaml(3)))
    units = {p.key: p.unit for p in org.people}
    assert units["w2"] == units["f2"] == "u2"
    assert units["head"] == units["ed"] == "u1"


def test_replies_are_paired_in_order_and_missing_or_extra_ones_counted() -> None:
    sent = [
        Sent("wecom", "w1", 10.0, status=200),
        Sent("wecom", "w1", 15.0, status=200),
        Sent("feishu", "oc_p2p_ou_f1", 11.0, status=200),
        Sent("feishu", "oc_p2p_ou_f2", 12.0, status=500),  # refused: no reply expected
        Sent("retry", "", 13.0, status=200),
        Sent("notice", "", 14.0, status=201),
    ]
    arrived = {"w1": [15.5, 10.25], "oc_p2p_ou_f1": [11.5, 11.75], "oc_p2p_ou_f3": []}
    latencies, missing, doubled = pair_latencies(sent, arrived)
    assert sorted(latencies) == [0.25, 0.5, 0.5]
    assert (missing, doubled) == (0, 1)
    _, missing, _ = pair_latencies([*sent, Sent("wecom", "w9", 1.0, status=200)], arrived)
    assert missing == 1


def test_feishu_messages_stay_within_what_one_feishu_app_may_send() -> None:
    """Ten seconds of the full soak's mix: Feishu gets its share up to the send limit, every
    writer writes in turn, and the rest is WeCom (no person over WeCom's 30 a minute)."""
    args = argparse.Namespace(rate=200.0, people=500)
    load = Load(args, ["http://127.0.0.1:1"], random_aes_key(), FakeFeishu(), "token")
    sent = [load._next()[0] for _ in range(2_000)]
    kinds = Counter(s.kind for s in sent)
    assert kinds["notice"] == 20
    assert (
        FEISHU_MESSAGES_PER_SECOND * 10 * 0.9 <= kinds["feishu"] <= FEISHU_MESSAGES_PER_SECOND * 10
    )
    assert kinds["wecom"] > 1_500
    per_person = Counter(s.who for s in sent if s.kind == "wecom")
    assert max(per_person.values()) <= 30 / 6  # ten seconds: at most a sixth of a minute's 30
    slow = argparse.Namespace(rate=20.0, people=100)
    load = Load(slow, ["http://127.0.0.1:1"], random_aes_key(), FakeFeishu(), "token")
    kinds = Counter(load._next()[0].kind for _ in range(1_000))
    assert abs(kinds["feishu"] - kinds["wecom"]) <= 1  # below the limit: half and half
