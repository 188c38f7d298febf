"""Benchmark 纠错: a 10,000-character post against 10,000 rules (the issue's target: < 50 ms).

    .venv/bin/python bench/proofread.py [--rules 10000] [--chars 10000] [--runs 50] [--json F]

The rules are the shipped rule files plus generated ones written as an office would (2–6
character words of common characters, each with a standard form and a source) until there are
``--rules`` of them; a tenth carry a context regex (``followed_by``), so the per-hit checks are
measured too. The directory is a district of 300 units (places, aliases, former names) and
1,000 people with titles. The post is the demo notice (official prose) repeated to ``--chars``
with errors planted every ~500 characters.

Measured, per run: the Aho–Corasick pass of the rules and of the directory (``Proofreader``)
and the whole pre-review check of the post (personal data, advertising, names, wording, typos:
``check_title_and_text``). Building the automata is measured once (done once per rule-file
version and once per check for the directory).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.flows.review.check import check_title_and_text  # noqa: E402
from bot.flows.review.proofing import Proofreader  # noqa: E402
from bot.flows.review.proofing.hits import HitKind  # noqa: E402
from bot.flows.review.proofing.names import Lexicon, PersonTitle, UnitNames  # noqa: E402
from bot.flows.review.proofing.rules import Rule, RuleSet, shipped_rules  # noqa: E402

COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性"
    "好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第"
)
PLACES = "东西南北中上下新老青白黑红金银石河山湖江海云风雨花林松竹梅兰"


def generated_rules(count: int, rng: random.Random) -> list[Rule]:
    import re

    rules: list[Rule] = []
    seen: set[str] = set()
    context = re.compile(r"^(?:工作|要求|规定)")
    while len(rules) < count:
        word = "".join(rng.choice(COMMON) for _ in range(rng.randint(2, 6)))
        if word in seen:
            continue
        seen.add(word)
        rules.append(
            Rule(
                id=f"gen-{len(rules)}",
                kind=HitKind.WORDING if len(rules) % 2 else HitKind.TYPO,
                words=((word, word[::-1]),),
                source="bench",
                followed_by=context if len(rules) % 10 == 0 else None,
            )
        )
    return rules


def directory(rng: random.Random) -> Lexicon:
    units: list[UnitNames] = []
    for i in range(300):
        place = rng.choice(PLACES) + rng.choice(PLACES) + rng.choice("区县镇乡")
        body = "".join(rng.choice(COMMON) for _ in range(rng.randint(2, 6)))
        name = f"{place}{body}{rng.choice(('委员会', '局', '办公室', '中心'))}"
        units.append(UnitNames(name, (f"{place[:2]}{body[:2]}委{i}",), (f"{place}旧{body}局",)))
    people = [
        PersonTitle(f"{rng.choice('张王李赵刘陈杨黄')}{rng.choice(COMMON)}{i}", ("科长",))
        for i in range(1000)
    ]
    return Lexicon(units=units, people=people)


def post(chars: int, rng: random.Random) -> str:
    notice = (ROOT / "bot/data/demo_notice.txt").read_text("utf-8")
    planted = ["临江县", "其它", "截止10月9日，", "第二十届三中全会", "国家主席、中共中央总书记"]
    parts: list[str] = []
    size = 0
    while size < chars:
        piece = notice[rng.randrange(0, len(notice) - 500) :][:500]
        piece += rng.choice(planted)
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:chars]


def timed(fn: object, runs: int) -> list[float]:
    out: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--chars", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(20261203)

    shipped = [rule for _, rules in shipped_rules() for rule in rules]
    start = time.perf_counter()
    rules = RuleSet(
        rules=(*shipped, *generated_rules(args.rules - len(shipped), rng)), versions=("bench",)
    )
    build_rules = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    lexicon = directory(rng)
    build_lexicon = (time.perf_counter() - start) * 1000
    proofreader = Proofreader(rules, lexicon)
    text = post(args.chars, rng)
    hits = proofreader.check(text)

    def whole() -> None:
        check_title_and_text(
            "通知", text, repost=False, source="", sensitive_words=[], proofreader=proofreader
        )

    result = {
        "rules": len(rules.rules),
        "chars": len(text),
        "runs": args.runs,
        "hits": len(hits),
        "build_rules_ms": round(build_rules, 1),
        "build_directory_ms": round(build_lexicon, 1),
        "proofread": summary(timed(lambda: proofreader.check(text), args.runs)),
        "whole_check": summary(timed(whole, args.runs)),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
