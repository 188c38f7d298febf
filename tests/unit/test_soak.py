"""bench/soak.py's own logic: its organisation loads, and replies are matched per person
(a soak that miscounts would report figures nobody can trust)."""

from __future__ import annotations

import yaml

from bench.soak import Sent, org_yaml, pair_latencies
from bot.org.schema import parse


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
